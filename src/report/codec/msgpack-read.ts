/**
 * A msgpack reader for Scope's flavour (wire §2.1): the byte-level primitives `msgpack-report.ts`
 * decodes nodes with, and a generic `value()` giving the same plain tree shape `JSON.parse` gives,
 * for the parts of a report `from-wire.ts` maps (templates, controls, DNS, plugins, unknown keys).
 *
 * Why not @msgpack/msgpack's `decode`: Go times arrive as 15 raw bytes inside a *str* header. The
 * library either UTF-8-decodes every str (mangling those bytes irreversibly) or, with `rawStrings`,
 * none (so every string would need a second decode); it has no nesting limit; and it rejects a
 * `__proto__` map key, which our `Map`-based model can carry. This reader returns a str of exactly
 * the Go-binary-time shape (15 bytes starting 0x01, or 16 starting 0x02) as its raw bytes, and
 * `from-wire.ts` decodes those bytes as a time or, where a string is expected, as UTF-8 — so no
 * information is lost either way.
 *
 * Invariants: never allocates more than the input justifies (lengths are checked against the bytes
 * remaining before any array is created), recursion is bounded by `maxDepth`, every error is a
 * `MsgpackSyntaxError` or `TooDeepError`.
 */
import { charge } from './budget.js';
import { TooDeepError, WireTypeError } from './errors.js';

/** Truncated or corrupt msgpack. */
export class MsgpackSyntaxError extends Error {}

/** A msgpack extension value (Scope never sends one; a msgpack timestamp is one). */
export class MsgpackExt {
  constructor(readonly type: number) {}
}

/** What this reader produces. */
export type MsgpackValue =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | MsgpackExt
  | MsgpackValue[]
  | { [key: string]: MsgpackValue };

const utf8 = new TextDecoder('utf-8');

/**
 * Short-string cache: keys, ids and values repeat throughout a report. Direct-mapped by a hash of
 * the bytes; the bytes of each slot live in one pooled array (no per-entry allocation). Up to 80
 * bytes, so that container ids (64 hex digits, and node ids made of one plus a tag) and image ids
 * are one string each too: they repeat in every process's parents and latest, and a string
 * decoded anew for each is garbage, hashed again by every Map it keys, and compared char by char.
 */
const CACHE_BITS = 13;
const CACHE_SLOTS = 1 << CACHE_BITS;
const CACHE_MAX_BYTES = 80;
const cacheData = new Uint8Array(CACHE_SLOTS * CACHE_MAX_BYTES);
const cacheLengths = new Int8Array(CACHE_SLOTS).fill(-1);
const cacheStrings = new Array<string>(CACHE_SLOTS).fill('');
/**
 * Reused char-code arrays for `String.fromCharCode.apply` (3× faster than `+=` per char), one per
 * length: setting one array's length for each string cost more than the decode.
 */
/** The cache slot of the string `decodeUtf8` returned last (-1: not cached). */
let lastSlot = -1;
/** Hints of plain `key()` (one slot, rarely right: see keyHinted). */
const NO_HINTS = new Int32Array(1);
/** Hints for `keyHinted`: as many as its callers' maps have keys worth guessing. */
export const KEY_HINTS = 64;
const charCodes: number[][] = Array.from({ length: CACHE_MAX_BYTES + 1 }, (_, n) => new Array<number>(n).fill(0));

export class MsgpackReader {
  pos = 0;
  readonly view: DataView;

  constructor(readonly b: Uint8Array, readonly maxDepth: number) {
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  need(n: number): void {
    if (this.pos + n > this.b.length) {
      throw new MsgpackSyntaxError(`truncated msgpack: ${n} more bytes needed at offset ${this.pos}`);
    }
  }

  value(depth: number): MsgpackValue {
    const b = this.b;
    if (this.pos >= b.length) throw new MsgpackSyntaxError(`truncated msgpack at offset ${this.pos}`);
    const h = b[this.pos++]!;
    if (h <= 0x7f) return h;
    if (h >= 0xa0 && h <= 0xbf) return this.str(h & 0x1f);
    if (h >= 0x80 && h <= 0x8f) return this.map(h & 0x0f, depth);
    if (h >= 0x90 && h <= 0x9f) return this.array(h & 0x0f, depth);
    if (h >= 0xe0) return h - 0x100;
    const v = this.view;
    let n: number;
    switch (h) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xc4: this.need(1); n = b[this.pos]!; this.pos += 1; return this.bin(n);
      case 0xc5: this.need(2); n = v.getUint16(this.pos); this.pos += 2; return this.bin(n);
      case 0xc6: this.need(4); n = v.getUint32(this.pos); this.pos += 4; return this.bin(n);
      case 0xc7: this.need(1); n = b[this.pos]!; this.pos += 1; return this.ext(n);
      case 0xc8: this.need(2); n = v.getUint16(this.pos); this.pos += 2; return this.ext(n);
      case 0xc9: this.need(4); n = v.getUint32(this.pos); this.pos += 4; return this.ext(n);
      case 0xca: this.need(4); this.pos += 4; return v.getFloat32(this.pos - 4);
      case 0xcb: this.need(8); this.pos += 8; return v.getFloat64(this.pos - 8);
      case 0xcc: this.need(1); return b[this.pos++]!;
      case 0xcd: this.need(2); this.pos += 2; return v.getUint16(this.pos - 2);
      case 0xce: this.need(4); this.pos += 4; return v.getUint32(this.pos - 4);
      case 0xcf: this.need(8); this.pos += 8;
        return v.getUint32(this.pos - 8) * 4_294_967_296 + v.getUint32(this.pos - 4);
      case 0xd0: this.need(1); this.pos += 1; return v.getInt8(this.pos - 1);
      case 0xd1: this.need(2); this.pos += 2; return v.getInt16(this.pos - 2);
      case 0xd2: this.need(4); this.pos += 4; return v.getInt32(this.pos - 4);
      case 0xd3: this.need(8); this.pos += 8;
        return v.getInt32(this.pos - 8) * 4_294_967_296 + v.getUint32(this.pos - 4);
      case 0xd4: return this.ext(1);
      case 0xd5: return this.ext(2);
      case 0xd6: return this.ext(4);
      case 0xd7: return this.ext(8);
      case 0xd8: return this.ext(16);
      case 0xd9: this.need(1); n = b[this.pos]!; this.pos += 1; return this.str(n);
      case 0xda: this.need(2); n = v.getUint16(this.pos); this.pos += 2; return this.str(n);
      case 0xdb: this.need(4); n = v.getUint32(this.pos); this.pos += 4; return this.str(n);
      case 0xdc: this.need(2); n = v.getUint16(this.pos); this.pos += 2; return this.array(n, depth);
      case 0xdd: this.need(4); n = v.getUint32(this.pos); this.pos += 4; return this.array(n, depth);
      case 0xde: this.need(2); n = v.getUint16(this.pos); this.pos += 2; return this.map(n, depth);
      case 0xdf: this.need(4); n = v.getUint32(this.pos); this.pos += 4; return this.map(n, depth);
      default:
        throw new MsgpackSyntaxError(`invalid msgpack byte 0x${h.toString(16)} at offset ${this.pos - 1}`);
    }
  }

  bin(n: number): Uint8Array {
    this.need(n);
    const start = this.pos;
    this.pos += n;
    return this.b.subarray(start, start + n);
  }

  ext(n: number): MsgpackExt {
    this.need(n + 1);
    const type = this.view.getInt8(this.pos);
    this.pos += n + 1;
    return new MsgpackExt(type);
  }

  /** A str: a string, except the Go-binary-time shape, which stays bytes (see module comment). */
  str(n: number): string | Uint8Array {
    this.need(n);
    const b = this.b;
    const start = this.pos;
    this.pos += n;
    if ((n === 15 && b[start] === 1) || (n === 16 && b[start] === 2)) return b.subarray(start, start + n);
    return decodeUtf8(b, start, n);
  }

  key(): string {
    return this.keyHinted(NO_HINTS, 0);
  }

  /**
   * A map key, tried first against the cache slot `hints[i]` (then recorded there): the i-th keys
   * of successive latest and metrics maps are mostly the same few strings in the same order, and
   * a hit skips hashing the bytes. Any slot is a safe guess: its bytes are compared in full.
   */
  keyHinted(hints: Int32Array, i: number): string {
    const b = this.b;
    if (this.pos >= b.length) throw new MsgpackSyntaxError(`truncated msgpack at offset ${this.pos}`);
    const h = b[this.pos]!;
    let n: number;
    if (h >= 0xa0 && h <= 0xbf) { n = h & 0x1f; this.pos += 1; }
    else if (h === 0xd9 || h === 0xc4) { this.need(2); n = b[this.pos + 1]!; this.pos += 2; }
    else if (h === 0xda || h === 0xc5) { this.need(3); n = this.view.getUint16(this.pos + 1); this.pos += 3; }
    else if (h === 0xdb || h === 0xc6) { this.need(5); n = this.view.getUint32(this.pos + 1); this.pos += 5; }
    else throw new WireTypeError(`expected string map key, got ${headTypeName(h)}`);
    this.need(n);
    const start = this.pos;
    this.pos += n;
    const slot = hints[i]!;
    if (cacheLengths[slot] === n) {
      const base = slot * CACHE_MAX_BYTES;
      let k = 0;
      while (k < n && cacheData[base + k] === b[start + k]) k++;
      if (k === n) return cacheStrings[slot]!;
    }
    const s = decodeUtf8(b, start, n);
    if (lastSlot >= 0) hints[i] = lastSlot;
    return s;
  }

  array(n: number, depth: number): MsgpackValue[] {
    if (depth >= this.maxDepth) throw new TooDeepError(`nesting deeper than ${this.maxDepth}`);
    if (n > this.b.length - this.pos) {
      throw new MsgpackSyntaxError(`truncated msgpack: array of ${n} at offset ${this.pos}`);
    }
    charge(1 + (n >>> 3));
    const out = new Array<MsgpackValue>(n);
    for (let i = 0; i < n; i++) out[i] = this.value(depth + 1);
    return out;
  }

  map(n: number, depth: number): { [key: string]: MsgpackValue } {
    if (depth >= this.maxDepth) throw new TooDeepError(`nesting deeper than ${this.maxDepth}`);
    if (n * 2 > this.b.length - this.pos) {
      throw new MsgpackSyntaxError(`truncated msgpack: map of ${n} at offset ${this.pos}`);
    }
    charge(1 + (n >>> 2));
    const out: { [key: string]: MsgpackValue } = {};
    for (let i = 0; i < n; i++) {
      const k = this.key();
      const val = this.value(depth + 1);
      if (k === '__proto__') {
        Object.defineProperty(out, k, { value: val, enumerable: true, writable: true, configurable: true });
      } else {
        out[k] = val;
      }
    }
    return out;
  }
}

/** UTF-8 → string; short strings through the cache, ASCII without TextDecoder. */
export function decodeUtf8(b: Uint8Array, start: number, n: number): string {
  lastSlot = -1;
  if (n === 0) return '';
  if (n > CACHE_MAX_BYTES) return utf8.decode(b.subarray(start, start + n));
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ b[start + i]!, 0x01000193);
  const slot = (h ^ (h >>> 15)) & (CACHE_SLOTS - 1);
  const base = slot * CACHE_MAX_BYTES;
  lastSlot = slot;
  if (cacheLengths[slot] === n) {
    let i = 0;
    while (i < n && cacheData[base + i] === b[start + i]) i++;
    if (i === n) return cacheStrings[slot]!;
  }
  const s = decodeShort(b, start, n);
  for (let i = 0; i < n; i++) cacheData[base + i] = b[start + i]!;
  cacheLengths[slot] = n;
  cacheStrings[slot] = s;
  return s;
}

function decodeShort(b: Uint8Array, start: number, n: number): string {
  const codes = charCodes[n]!;
  for (let i = 0; i < n; i++) {
    const c = b[start + i]!;
    if (c >= 0x80) return utf8.decode(b.subarray(start, start + n));
    codes[i] = c;
  }
  return String.fromCharCode.apply(null, codes);
}

/** Default nesting limit of the msgpack and JSON paths. */
export const MAX_DEPTH = 64;

/** The msgpack type a head byte starts, for error messages. */
export function headTypeName(h: number): string {
  // Integers and floats are both `number`, as the JSON path names them.
  if (h <= 0x7f || h >= 0xe0 || (h >= 0xcc && h <= 0xd3)) return 'number';
  if ((h >= 0xa0 && h <= 0xbf) || (h >= 0xd9 && h <= 0xdb)) return 'string';
  if ((h >= 0x80 && h <= 0x8f) || h === 0xde || h === 0xdf) return 'map';
  if ((h >= 0x90 && h <= 0x9f) || h === 0xdc || h === 0xdd) return 'array';
  if (h === 0xc0) return 'null';
  if (h === 0xc2 || h === 0xc3) return 'boolean';
  if (h === 0xca || h === 0xcb) return 'number';
  if (h >= 0xc4 && h <= 0xc6) return 'bytes';
  if ((h >= 0xc7 && h <= 0xc9) || (h >= 0xd4 && h <= 0xd8)) return 'extension';
  return `invalid byte 0x${h.toString(16)}`;
}
