/** Value formatting for metrics, metadata and tables (app spec §6.9), pure. */

const SI = ['', 'k', 'M', 'G', 'T', 'P'];

function si(v: number): string {
  let i = 0;
  let x = v;
  while (Math.abs(x) >= 1000 && i < SI.length - 1) {
    x /= 1000;
    i++;
  }
  return `${x.toFixed(x < 10 && i > 0 ? 3 : 2).replace(/\.?0+$/, '')}${SI[i] ?? ''}`;
}

export function formatFileSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  let x = bytes;
  while (Math.abs(x) >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${i === 0 ? x.toFixed(0) : x.toFixed(1)} ${units[i] ?? 'B'}`;
}

/** Formats a metric value by its `format` (percent, filesize, integer, or plain number). */
export function formatMetric(value: number, format: string | undefined): string {
  if (!Number.isFinite(value)) return '-';
  switch (format) {
    case 'percent':
      return `${value.toFixed(2)}%`;
    case 'filesize':
      return formatFileSize(value);
    case 'integer':
      return value < 1100 ? value.toFixed(0) : si(value);
    default:
      return value < 1100 ? value.toFixed(2) : si(value);
  }
}

/** "3 hours" from seconds, rounded down. */
export function humanDuration(seconds: number): string {
  const units: [number, string][] = [
    [86400 * 365, 'year'],
    [86400 * 30, 'month'],
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  for (const [s, name] of units) {
    if (seconds >= s) {
      const n = Math.floor(seconds / s);
      return `${n} ${name}${n === 1 ? '' : 's'}`;
    }
  }
  return `${Math.max(0, Math.floor(seconds))} seconds`;
}

/** "3 hours ago" relative to `nowMillis`. */
export function relativeTime(iso: string, nowMillis: number): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const d = Math.round((nowMillis - t) / 1000);
  return d >= 0 ? `${humanDuration(d)} ago` : `in ${humanDuration(-d)}`;
}

/** Formats a metadata value by its `dataType`. */
export function formatMetadata(value: string, dataType: string | undefined, nowMillis: number, truncate?: number): string {
  let v = value;
  if (dataType === 'datetime') v = relativeTime(value, nowMillis);
  else if (dataType === 'duration') {
    const n = Number(value);
    if (Number.isFinite(n)) v = humanDuration(n);
  }
  if (truncate && truncate > 0 && v.length > truncate) v = `${v.slice(0, truncate)}…`;
  return v;
}
