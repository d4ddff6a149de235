/**
 * Scope's two wire forms of Go's `time.Time` (wire §2.1) ↔ our canonical `Time`:
 * - JSON: RFC 3339 with 0–9 fractional digits and `Z` or a `±hh:mm` offset;
 * - msgpack: the 15-byte `time.MarshalBinary()` form carried in a str/bin.
 *
 * Both decoders are on the hot path (every latest entry and metric sample carries a time), so the
 * common shapes are handled without `Date`: an already-canonical string passes after one regex
 * test, and the binary form re-uses the formatted seconds of the previous call (a report's times
 * share a handful of seconds).
 */
import type { Time } from '../types.js';

/** Seconds from 0001-01-01T00:00:00Z (Go's internal epoch) to the Unix epoch. */
const GO_UNIX_OFFSET_SECONDS = 62_135_596_800;
const UNIX_MIN_SECONDS = -62_135_596_800; // 0001-01-01 (canonical years are four digits)
const UNIX_MAX_SECONDS = 253_402_300_799; // 9999-12-31T23:59:59Z
const MIN_YEAR_0000_SECONDS = -62_167_219_200; // 0000-01-01

/** Canonical shape, with field ranges checked (day-of-month only to 31). */
const CANONICAL =
  /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{9}Z$/;
const RFC3339 =
  /^(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:[Zz]|([+-])(\d\d):(\d\d))$/;

/** Thrown for a time that cannot be represented; the caller turns it into a typed error. */
export class TimeFormatError extends Error {}

const pad9 = (n: number): string => {
  const s = String(n);
  return s.length === 9 ? s : '000000000'.slice(s.length) + s;
};

/**
 * Direct-mapped cache of `yyyy-mm-ddThh:mm:ss` by Unix seconds: a report's times fall in a few
 * hundred distinct seconds at most, and formatting through `Date` costs ~1 µs each.
 */
const PREFIX_SLOTS = 1024;
const prefixSeconds = new Float64Array(PREFIX_SLOTS).fill(Number.NaN);
const prefixStrings = new Array<string>(PREFIX_SLOTS).fill('');

/** `yyyy-mm-ddThh:mm:ss` for Unix seconds. */
function secondsPrefix(unixSeconds: number): string {
  const slot = unixSeconds & (PREFIX_SLOTS - 1);
  if (prefixSeconds[slot] === unixSeconds) return prefixStrings[slot]!;
  if (!(unixSeconds >= MIN_YEAR_0000_SECONDS && unixSeconds <= UNIX_MAX_SECONDS)) {
    throw new TimeFormatError(`time out of range (year 0000–9999): ${unixSeconds} s since 1970`);
  }
  const prefix = new Date(unixSeconds * 1000).toISOString().slice(0, 19);
  prefixSeconds[slot] = unixSeconds;
  prefixStrings[slot] = prefix;
  return prefix;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

let lastRfc3339In = '';
let lastRfc3339Out = '';

/** RFC 3339 (Go's `time.Time` JSON form) → canonical Time. Throws `TimeFormatError`. */
export function timeFromRfc3339(s: string): Time {
  // Runs of entries share one time; a string compare is cheaper than the regex.
  if (s === lastRfc3339In) return lastRfc3339Out;
  const t = parseRfc3339(s);
  lastRfc3339In = s;
  lastRfc3339Out = t;
  return t;
}

function parseRfc3339(s: string): Time {
  if (s.length === 30 && CANONICAL.test(s)) return s;
  const m = RFC3339.exec(s);
  if (m === null) throw new TimeFormatError(`not an RFC 3339 time: ${JSON.stringify(s.slice(0, 64))}`);
  const [, ys, mos, ds, hs, mis, ss, frac, sign, ohs, oms] = m as unknown as string[];
  const year = Number(ys);
  const month = Number(mos);
  const day = Number(ds);
  const hour = Number(hs);
  const minute = Number(mis);
  const second = Number(ss);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 ||
    minute > 59 || second > 59) {
    throw new TimeFormatError(`time field out of range: ${JSON.stringify(s)}`);
  }
  // Go keeps nine digits and ignores the rest.
  const nanos = frac === undefined ? '000000000' : frac.length >= 9 ? frac.slice(0, 9) : frac.padEnd(9, '0');
  if (sign === undefined) {
    return `${s.slice(0, 10)}T${s.slice(11, 19)}.${nanos}Z`;
  }
  const offsetMinutes = (Number(ohs) * 60 + Number(oms)) * (sign === '-' ? -1 : 1);
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day); // setUTCFullYear keeps years 0–99 literal, Date.UTC does not
  d.setUTCHours(hour, minute - offsetMinutes, second, 0);
  const unix = Math.floor(d.getTime() / 1000);
  return `${secondsPrefix(unix)}.${nanos}Z`;
}

/** Direct-mapped cache of whole times by (seconds, nanoseconds). */
const TIME_SLOTS = 4096;
const timeSeconds = new Float64Array(TIME_SLOTS).fill(Number.NaN);
const timeNanos = new Int32Array(TIME_SLOTS).fill(-1);
const timeStrings = new Array<string>(TIME_SLOTS).fill('');

/**
 * Go's `MarshalBinary` bytes (15 bytes, version 1; or 16 bytes, version 2 with offset seconds) →
 * canonical Time. The zone offset only names a location; the instant is absolute, so it is ignored.
 */
export function timeFromGoBinary(b: Uint8Array, off: number, len: number): Time {
  const version = b[off];
  if (!((version === 1 && len === 15) || (version === 2 && len === 16))) {
    throw new TimeFormatError(`not a Go binary time (version ${String(version)}, ${len} bytes)`);
  }
  const hi = ((b[off + 1]! << 24) | (b[off + 2]! << 16) | (b[off + 3]! << 8) | b[off + 4]!); // signed
  const lo = ((b[off + 5]! << 24) | (b[off + 6]! << 16) | (b[off + 7]! << 8) | b[off + 8]!) >>> 0;
  const goSeconds = hi * 4_294_967_296 + lo;
  const nanos = ((b[off + 9]! << 24) | (b[off + 10]! << 16) | (b[off + 11]! << 8) | b[off + 12]!) >>> 0;
  if (nanos > 999_999_999) throw new TimeFormatError(`nanoseconds out of range: ${nanos}`);
  const unix = goSeconds - GO_UNIX_OFFSET_SECONDS;
  if (unix < UNIX_MIN_SECONDS) throw new TimeFormatError(`time before year 1: ${unix} s since 1970`);
  // Entries and samples stamped by one reporter tick share the exact time, across all nodes:
  // reuse the string made for it last time (also saves memory: one string per distinct time).
  const slot = (nanos ^ (nanos >>> 12) ^ unix) & (TIME_SLOTS - 1);
  if (timeNanos[slot] === nanos && timeSeconds[slot] === unix) return timeStrings[slot]!;
  const t = `${secondsPrefix(unix)}.${pad9(nanos)}Z`;
  timeSeconds[slot] = unix;
  timeNanos[slot] = nanos;
  timeStrings[slot] = t;
  return t;
}

/** Direct-mapped cache of Go seconds by `yyyy-mm-ddThh:mm:ss` prefix (see PREFIX_SLOTS). */
const encPrefixes = new Array<string>(PREFIX_SLOTS).fill('');
const encSeconds = new Float64Array(PREFIX_SLOTS);

/**
 * Canonical Time → Go's 15-byte `MarshalBinary` form at `out[off…off+15)`, zone `ff ff` (UTC).
 * `t` must be canonical (the model guarantees it).
 */
export function writeGoBinaryTime(t: Time, out: Uint8Array, off: number): void {
  // Slot by the characters that vary most (minutes, seconds) without building the prefix string.
  const slot = (t.charCodeAt(15) * 100 + t.charCodeAt(17) * 10 + t.charCodeAt(18) + t.charCodeAt(12) * 7) &
    (PREFIX_SLOTS - 1);
  let goSeconds: number;
  const cached = encPrefixes[slot]!;
  if (cached.length === 19 && t.startsWith(cached)) {
    goSeconds = encSeconds[slot]!;
  } else {
    const prefix = t.slice(0, 19);
    const ms = Date.parse(`${prefix}Z`);
    if (Number.isNaN(ms)) throw new TimeFormatError(`not a canonical time: ${JSON.stringify(t)}`);
    goSeconds = ms / 1000 + GO_UNIX_OFFSET_SECONDS;
    encPrefixes[slot] = prefix;
    encSeconds[slot] = goSeconds;
  }
  let nanos = 0;
  for (let i = 20; i < 29; i++) nanos = nanos * 10 + (t.charCodeAt(i) - 48);
  const hi = Math.floor(goSeconds / 4_294_967_296);
  const lo = goSeconds - hi * 4_294_967_296;
  out[off] = 1;
  out[off + 1] = hi >>> 24;
  out[off + 2] = hi >>> 16;
  out[off + 3] = hi >>> 8;
  out[off + 4] = hi;
  out[off + 5] = lo >>> 24;
  out[off + 6] = lo >>> 16;
  out[off + 7] = lo >>> 8;
  out[off + 8] = lo;
  out[off + 9] = nanos >>> 24;
  out[off + 10] = nanos >>> 16;
  out[off + 11] = nanos >>> 8;
  out[off + 12] = nanos;
  out[off + 13] = 0xff;
  out[off + 14] = 0xff;
}
