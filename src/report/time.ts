/**
 * Canonical report times (see `Time` in types.ts): fixed-width RFC 3339 UTC strings with nine
 * fractional digits, so string comparison is chronological comparison.
 */
import { ZERO_TIME, type Time } from './types.js';

const pad9 = (n: number): string => String(n).padStart(9, '0');

/** Milliseconds since the Unix epoch (fractions keep sub-millisecond precision) → Time. */
export function timeFromMillis(ms: number): Time {
  const whole = Math.floor(ms);
  const iso = new Date(whole).toISOString(); // yyyy-mm-ddThh:mm:ss.mmmZ
  const nanos = (whole % 1000 + 1000) % 1000 * 1_000_000 + Math.round((ms - whole) * 1_000_000);
  return `${iso.slice(0, 19)}.${pad9(Math.min(nanos, 999_999_999))}Z`;
}

/** Seconds since the Unix epoch plus nanoseconds → Time (exact; used by the msgpack codec). */
export function timeFromUnix(seconds: number, nanos: number): Time {
  const iso = new Date(seconds * 1000).toISOString();
  if (iso.startsWith('+') || iso.startsWith('-')) {
    throw new RangeError(`time out of range: ${seconds}s`);
  }
  return `${iso.slice(0, 19)}.${pad9(nanos)}Z`;
}

/** Time → milliseconds since the Unix epoch (sub-millisecond digits are dropped). */
export function timeToMillis(t: Time): number {
  return Date.parse(t.slice(0, 23) + 'Z');
}

/** Time → [seconds since the Unix epoch, nanoseconds]; exact. */
export function timeToUnix(t: Time): [seconds: number, nanos: number] {
  const seconds = Math.floor(Date.parse(t.slice(0, 19) + 'Z') / 1000);
  return [seconds, Number(t.slice(20, 29))];
}

/** The current time. */
export function nowTime(): Time {
  return timeFromMillis(performance.timeOrigin + performance.now());
}

export function isZeroTime(t: Time): boolean {
  return t === ZERO_TIME;
}
