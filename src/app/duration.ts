/** Go's `time.ParseDuration` subset the UI and tools send (`500ms`, `5s`, `1m30s`, `1.5h`). */

const UNIT_MILLIS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  'μs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Milliseconds, or undefined if `text` is not a Go duration. `0` alone is allowed, as in Go. */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const m = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/u.exec(text);
  if (!m) return undefined;
  let total = 0;
  for (const part of text.slice(m[1]!.length).matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gu)) {
    total += Number(part[1]) * UNIT_MILLIS[part[2]!]!;
  }
  return m[1] === '-' ? -total : total;
}

/** An RFC 3339 time → ms since the epoch; Scope turns unparseable values into the zero time. */
export function parseTimestampMillis(text: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text) ? Date.parse(text) : NaN;
  return Number.isNaN(ms) ? GO_ZERO_TIME_MILLIS : ms;
}

/** 0001-01-01T00:00:00Z in ms since the epoch. */
export const GO_ZERO_TIME_MILLIS = -62_135_596_800_000;
