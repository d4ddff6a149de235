/**
 * Sharing of identical latest entries, samples and metrics within one msgpack decode: a probe
 * stamps most entries of a report with one tick's time and samples every process at the same
 * ticks, and values repeat (states, host ids, zero memory, capacity as max), so a recorded report's
 * 780 samples hold ~150 distinct ones and its 280 metrics ~60. All three are immutable (copy.ts,
 * merge-metric.ts make new ones), so identical ones are one object: less heap per stored report,
 * fewer objects for the GC to copy and mark while the report sits in the collector's window.
 *
 * Open-addressing tables instead of Maps of Maps: one probe per lookup instead of two Map lookups,
 * and a latest entry is found by its value's *bytes* in the input, so a repeated value is never
 * decoded to a string again. Tables live across decodes (no allocation per report) but hold
 * nothing after one: `endShare` empties the slots it used, so nothing is shared between reports
 * and a failed decode's objects go with its garbage. A lookup probes at most `MAX_PROBES` slots
 * and a full table stops taking new objects, so hostile input (colliding hashes, millions of
 * distinct values) costs bounded time per lookup; it merely shares less.
 */
import type { LatestEntry, Metric, Sample, Time } from '../types.js';
import { decodeUtf8 } from './msgpack-read.js';

const MAX_PROBES = 16;
const MIN_BITS = 10;
const MAX_BITS = 18;
/** Tables grown past this (a huge or hostile report) are made small again after the decode. */
const KEEP_BITS = 14;

/** Hash of the number `x` (SameValueZero-consistent for NaN; -0 is never looked up). */
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
function numberHash(x: number): number {
  if (x !== x) return 0x7ff80000;
  f64[0] = x;
  return u32[0]! ^ Math.imul(u32[1]!, 0x9e3779b1);
}

function mix(a: number, b: number): number {
  const h = Math.imul(a ^ Math.imul(b, 0x85ebca6b), 0xc2b2ae35);
  return h ^ (h >>> 15);
}

/** Slots of a table in use by this decode, to empty at its end. */
class Used {
  slots = new Int32Array(1 << MIN_BITS);
  n = 0;
  push(i: number): void {
    if (this.n === this.slots.length) {
      const s = new Int32Array(this.slots.length * 2);
      s.set(this.slots);
      this.slots = s;
    }
    this.slots[this.n++] = i;
  }
}

/**
 * One open-addressing table: per slot the shared object, its hash and `columns` more Int32 fields
 * (a latest entry's value offset and length, a sample's ordinal). The lookups probe `objs`/`hash`
 * themselves (hot); the table grows, empties and shrinks itself.
 */
class ShareTable<T> {
  bits = MIN_BITS;
  objs: Array<T | undefined> = [];
  hash = new Int32Array(0);
  cols: Int32Array[] = [];
  readonly used = new Used();

  constructor(private readonly columns: number) {
    this.alloc();
  }

  get mask(): number {
    return (1 << this.bits) - 1;
  }

  /** Stores `obj` with hash `h` in the free slot `i` (its columns already written), growing when half full. */
  take(i: number, obj: T, h: number): void {
    this.objs[i] = obj;
    this.hash[i] = h;
    this.used.push(i);
    if (this.used.n * 2 > 1 << this.bits) this.grow();
  }

  /** Empties the slots this decode used; a table grown past KEEP_BITS is made small again. */
  end(): void {
    const { objs, used } = this;
    for (let k = 0; k < used.n; k++) objs[used.slots[k]!] = undefined;
    used.n = 0;
    if (this.bits > KEEP_BITS) {
      this.bits = MIN_BITS;
      this.alloc();
    }
    if (used.slots.length > 1 << KEEP_BITS) used.slots = new Int32Array(1 << MIN_BITS);
  }

  private alloc(): void {
    const size = 1 << this.bits;
    this.objs = new Array<T | undefined>(size).fill(undefined);
    this.hash = new Int32Array(size);
    this.cols = [];
    for (let c = 0; c < this.columns; c++) this.cols.push(new Int32Array(size));
  }

  private grow(): void {
    if (this.bits >= MAX_BITS) return;
    const { objs, hash, cols } = this;
    const used = this.used.slots.subarray(0, this.used.n).slice();
    this.bits++;
    this.alloc();
    this.used.n = 0;
    const mask = this.mask;
    for (const old of used) {
      const h = hash[old]!;
      for (let p = 0, i = h & mask; p < MAX_PROBES; p++, i = (i + 1) & mask) {
        if (this.objs[i] !== undefined) continue;
        this.objs[i] = objs[old];
        this.hash[i] = h;
        for (let c = 0; c < cols.length; c++) this.cols[c]![i] = cols[c]![old]!;
        this.used.push(i);
        break;
      }
    }
  }
}

// ---- latest entries: by timestamp (string) and the value's bytes in the input -------------------

/** Columns: the value's start offset in `input`, its byte length. */
const entryTable = new ShareTable<LatestEntry>(2);
const NO_INPUT = new Uint8Array(0);
/** The input the entries' value offsets point into. */
let input: Uint8Array = NO_INPUT;

/** FNV-1a of `b[start, start + n)`. */
function bytesHash(b: Uint8Array, start: number, n: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < start + n; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h;
}

/**
 * The entry `{ timestamp, value }` whose value is the UTF-8 `input[start, start + n)`: one made
 * earlier in this decode from the same time and value bytes, else a new one. `timeHash`: any
 * function of the time's value (see msgpack-report.ts readTime).
 */
export function entryOf(timestamp: Time, timeHash: number, start: number, n: number): LatestEntry {
  const b = input;
  const h = mix(timeHash, bytesHash(b, start, n));
  const { objs, hash, mask } = entryTable;
  const starts = entryTable.cols[0]!;
  const lens = entryTable.cols[1]!;
  let free = -1;
  for (let p = 0, i = h & mask; p < MAX_PROBES; p++, i = (i + 1) & mask) {
    const e = objs[i];
    if (e === undefined) { free = i; break; }
    if (hash[i] !== h || lens[i] !== n || e.timestamp !== timestamp) continue;
    const s = starts[i]!;
    let k = 0;
    while (k < n && b[s + k] === b[start + k]) k++;
    if (k === n) return e;
  }
  const e: LatestEntry = { timestamp, value: n === 0 ? '' : decodeUtf8(b, start, n) };
  if (free >= 0) {
    starts[free] = start;
    lens[free] = n;
    entryTable.take(free, e, h);
  }
  return e;
}

// ---- samples: by date (string) and value (SameValueZero) -----------------------------------------

/** Column: the ordinal of each shared sample in this decode, a stable hash of it for the metric table. */
const sampleTable = new ShareTable<Sample>(1);
let nextOrd = 0;
/** Ordinal of the sample `sampleOf` returned last (-1: a sample of its own, never shared). */
export let lastSampleOrd = -1;

/** The sample `{ date, value }`: one made earlier in this decode if any (-0 never shared). */
export function sampleOf(date: Time, timeHash: number, value: number): Sample {
  // SameValueZero would find a 0 sample for -0; keep it apart (rare, never shared).
  if (value === 0 && 1 / value < 0) { lastSampleOrd = -1; return { date, value }; }
  const h = mix(timeHash, numberHash(value));
  const { objs, hash, mask } = sampleTable;
  const ords = sampleTable.cols[0]!;
  let free = -1;
  for (let p = 0, i = h & mask; p < MAX_PROBES; p++, i = (i + 1) & mask) {
    const s = objs[i];
    if (s === undefined) { free = i; break; }
    if (hash[i] === h && s.date === date && (s.value === value || (value !== value && s.value !== s.value))) {
      lastSampleOrd = ords[i]!;
      return s;
    }
  }
  const s: Sample = { date, value };
  if (free < 0) { lastSampleOrd = -1; return s; }
  ords[free] = lastSampleOrd = nextOrd++;
  sampleTable.take(free, s, h);
  return s;
}

// ---- metrics: by newest sample (its ordinal), min, max, then every sample object ----------------

/** `lastOrd` for a metric with no samples. */
export const NO_SAMPLES = -2;

const metricTable = new ShareTable<Metric>(0);

/** Whether `c` has these min, max and sample objects. */
function sameMetric(c: Metric, samples: readonly Sample[], min: number, max: number): boolean {
  if (!Object.is(c.min, min) || !Object.is(c.max, max) || c.samples.length !== samples.length) return false;
  let i = 0;
  while (i < samples.length && c.samples[i] === samples[i]) i++;
  return i === samples.length;
}

/**
 * The metric `{ samples, min, max }`: one made earlier in this decode with the same min, max and
 * sample objects if any. `lastOrd`: `lastSampleOrd` of the newest sample, or NO_SAMPLES.
 */
export function metricOf(samples: Sample[], min: number, max: number, lastOrd: number): Metric {
  // A newest sample of its own (-0) makes a metric nothing else can equal.
  if (lastOrd === -1) return { samples, min, max };
  const h = mix(mix(lastOrd, samples.length), numberHash(min) ^ Math.imul(numberHash(max), 0x27d4eb2f));
  const { objs, hash, mask } = metricTable;
  let free = -1;
  for (let p = 0, i = h & mask; p < MAX_PROBES; p++, i = (i + 1) & mask) {
    const m = objs[i];
    if (m === undefined) { free = i; break; }
    if (hash[i] === h && sameMetric(m, samples, min, max)) return m;
  }
  const m: Metric = { samples, min, max };
  if (free >= 0) metricTable.take(free, m, h);
  return m;
}

// ---- per decode ----------------------------------------------------------------------------------

/** Starts sharing for a decode of `bytes`. */
export function beginShare(bytes: Uint8Array): void {
  endShare();
  input = bytes;
}

/** Ends the decode's sharing: nothing of it stays reachable from the tables. */
export function endShare(): void {
  entryTable.end();
  sampleTable.end();
  metricTable.end();
  nextOrd = 0;
  lastSampleOrd = -1;
  input = NO_INPUT;
}
