/**
 * Checked reads of wire-tree values for `from-wire.ts` (and the generic parts of the msgpack
 * path): each returns the typed value, treats `null`/absent as the zero value (as Go does), or
 * throws `WireTypeError` naming the field.
 */
import { ZERO_TIME, type StringSet, type Time } from '../types.js';
import { WireTypeError, typeName } from './errors.js';
import { decodeUtf8 } from './msgpack-read.js';
import { TimeFormatError, timeFromGoBinary, timeFromRfc3339 } from './wire-time.js';

export type Obj = { readonly [key: string]: unknown };

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Path segment for a map key: `.pid` when identifier-like, else `["x;1"]`. */
export function keySeg(k: string): string {
  return IDENT.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
}

/** Prepends a path segment to a WireTypeError on its way out; rethrows anything. */
export function rethrowAt(e: unknown, seg: string): never {
  if (e instanceof WireTypeError) e.segments.unshift(seg);
  throw e;
}

export function fail(expected: string, v: unknown, seg?: string): never {
  const e = new WireTypeError(`expected ${expected}, got ${typeName(v)}`);
  if (seg !== undefined) e.segments.push(seg);
  throw e;
}

export function isObj(v: unknown): v is Obj {
  // Plain objects only: excludes arrays, byte arrays and msgpack extension markers.
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

/** A map field: `null`/absent → undefined. */
export function obj(v: unknown, seg: string): Obj | undefined {
  if (v === undefined || v === null) return undefined;
  if (isObj(v)) return v;
  return fail('map', v, seg);
}

export function str(v: unknown, seg: string): string {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return '';
  if (v instanceof Uint8Array) return decodeUtf8(v, 0, v.length);
  return fail('string', v, seg);
}

export function num(v: unknown, seg: string): number {
  if (typeof v === 'number') return v;
  if (v === undefined || v === null) return 0;
  return fail('number', v, seg);
}

export function int(v: unknown, seg: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (v === undefined || v === null) return 0;
  return fail('integer', v, seg);
}

export function uint(v: unknown, seg: string): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  if (v === undefined || v === null) return 0;
  return fail('unsigned integer', v, seg);
}

export function bool(v: unknown, seg: string): boolean {
  if (typeof v === 'boolean') return v;
  if (v === undefined || v === null) return false;
  return fail('boolean', v, seg);
}

export function time(v: unknown, seg: string): Time {
  try {
    if (typeof v === 'string') return timeFromRfc3339(v);
    if (v instanceof Uint8Array) return timeFromGoBinary(v, 0, v.length);
  } catch (e) {
    if (e instanceof TimeFormatError) {
      const err = new WireTypeError(`expected time: ${e.message}`);
      err.segments.push(seg);
      throw err;
    }
    throw e;
  }
  if (v === undefined || v === null) return ZERO_TIME;
  return fail('time', v, seg);
}

/**
 * A sorted, de-duplicated string array (wire §2.6). The parsed array itself is reused (the tree
 * is ours and dies after decoding), sorted in place only when the input is not already.
 */
export function stringSet(v: unknown, seg: string): StringSet {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return fail('array of strings', v, seg);
  const a = v as unknown[];
  const n = a.length;
  let ordered = true;
  let prev = '';
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const s = typeof x === 'string' ? x : (a[i] = str(x, `${seg}[${i}]`));
    if (i > 0 && !(s > prev)) ordered = false;
    prev = s;
  }
  return ordered ? (a as string[]) : sortUnique(a as string[]);
}

/** Number of own enumerable keys, without allocating (Object.keys would). */
export function keyCount(o: Obj): number {
  let n = 0;
  for (const _ in o) n++;
  return n;
}

export function sortUnique(a: string[]): string[] {
  a.sort();
  let w = 0;
  for (let i = 0; i < a.length; i++) {
    if (i === 0 || a[i] !== a[w - 1]) a[w++] = a[i]!;
  }
  a.length = w;
  return a;
}

export function stringArray(v: unknown, seg: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return fail('array of strings', v, seg);
  return v.map((s, i) => str(s, `${seg}[${i}]`));
}

