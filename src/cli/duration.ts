// Go `time.ParseDuration` / `time.Duration.String` semantics, so Scope's manifests and scripts
// (`--app.window=15s`, `--probe.publish.interval=1m30s`) mean exactly what they meant to Scope.

const NANOS_PER_UNIT: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['\u00b5s', 1_000n], // U+00B5 micro sign
  ['\u03bcs', 1_000n], // U+03BC Greek small letter mu
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);

/** Go's Duration is an int64 of nanoseconds; larger magnitudes are errors, as in Go. */
const MAX_NANOS = (1n << 63n) - 1n;

/** A duration string that Go's time.ParseDuration would reject; `message` is Go's wording. */
export class DurationSyntaxError extends Error {
  override readonly name = 'DurationSyntaxError';
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/**
 * Parses a Go duration (`300ms`, `-1.5h`, `1m30s`, `0`) into nanoseconds.
 * Grammar: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, units ns us µs μs ms s m h; a unit is required
 * except for the bare string "0". Throws DurationSyntaxError with Go's message otherwise.
 */
export function parseGoDurationNanos(input: string): bigint {
  const quoted = JSON.stringify(input);
  let s = input;
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s.startsWith('-');
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw new DurationSyntaxError(`time: invalid duration ${quoted}`);
  let total = 0n;
  let i = 0;
  while (i < s.length) {
    if (!(s[i] === '.' || isDigit(s[i]))) throw new DurationSyntaxError(`time: invalid duration ${quoted}`);
    const intStart = i;
    while (isDigit(s[i])) i++;
    const intDigits = s.slice(intStart, i);
    let fracDigits = '';
    if (s[i] === '.') {
      i++;
      const fracStart = i;
      while (isDigit(s[i])) i++;
      fracDigits = s.slice(fracStart, i);
    }
    if (intDigits === '' && fracDigits === '') throw new DurationSyntaxError(`time: invalid duration ${quoted}`);
    const unitStart = i;
    while (i < s.length && !(s[i] === '.' || isDigit(s[i]))) i++;
    const unit = s.slice(unitStart, i);
    if (unit === '') throw new DurationSyntaxError(`time: missing unit in duration ${quoted}`);
    const scale = NANOS_PER_UNIT.get(unit);
    if (scale === undefined) {
      throw new DurationSyntaxError(`time: unknown unit ${JSON.stringify(unit)} in duration ${quoted}`);
    }
    // Exact arithmetic: integer part times scale, plus the fraction truncated to whole nanoseconds.
    let value = BigInt(intDigits === '' ? '0' : intDigits) * scale;
    if (fracDigits !== '') {
      value += (BigInt(fracDigits) * scale) / 10n ** BigInt(fracDigits.length);
    }
    total += value;
    if (total > MAX_NANOS + (negative ? 1n : 0n)) throw new DurationSyntaxError(`time: invalid duration ${quoted}`);
  }
  return negative ? -total : total;
}

/** Like parseGoDurationNanos, in (possibly fractional) milliseconds. */
export function parseGoDurationMillis(input: string): number {
  return Number(parseGoDurationNanos(input)) / 1e6;
}

/** Go's `time.Duration.String()`: `0s`, `100ms`, `1.5µs`, `15s`, `1m0s`, `1h0m0s`. */
export function formatGoDuration(nanos: bigint): string {
  if (nanos === 0n) return '0s';
  const sign = nanos < 0n ? '-' : '';
  const abs = nanos < 0n ? -nanos : nanos;
  const frac = (value: bigint, digits: number): string => {
    const div = 10n ** BigInt(digits);
    const whole = value / div;
    const rest = (value % div).toString().padStart(digits, '0').replace(/0+$/, '');
    return rest === '' ? whole.toString() : `${whole}.${rest}`;
  };
  if (abs < 1_000n) return `${sign}${abs}ns`;
  if (abs < 1_000_000n) return `${sign}${frac(abs, 3)}µs`;
  if (abs < 1_000_000_000n) return `${sign}${frac(abs, 6)}ms`;
  const hours = abs / 3_600_000_000_000n;
  const minutes = (abs / 60_000_000_000n) % 60n;
  const seconds = frac(abs % 60_000_000_000n, 9);
  if (hours > 0n) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0n) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}

/** Milliseconds → Go duration string (for help defaults and the startup log). */
export function formatMillisAsGoDuration(millis: number): string {
  return formatGoDuration(BigInt(Math.round(millis * 1e6)));
}
