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

// ---- latest entries: by timestamp (string) and the value's bytes in the input -------------------

let eBits = MIN_BITS;
let eObjs = new Array<LatestEntry | undefined>(1 << eBits).fill(undefined);
let eHash = new Int32Array(1 << eBits);
let eStart = new Int32Array(1 << eBits);
let eLen = new Int32Array(1 << eBits);
const eUsed = new Used();
const NO_INPUT = new Uint8Array(0);
/** The input the entries' value offsets point into. */
let input: Uint8Array = NO_INPUT;

function growEntries(): void {
  if (eBits >= MAX_BITS) return;
  const objs = eObjs, hash = eHash, start = eStart, len = eLen;
  eBits++;
  const size = 1 << eBits;
  eObjs = new Array<LatestEntry | undefined>(size).fill(undefined);
  eHash = new Int32Array(size);
  eStart = new Int32Array(size);
  eLen = new Int32Array(size);
  const used = eUsed.slots.subarray(0, eUsed.n).slice();
  eUsed.n = 0;
  for (const old of used) {
    const h = hash[old]!;
    for (let p = 0, i = h & (size - 1); p < MAX_PROBES; p++, i = (i + 1) & (size - 1)) {
      if (eObjs[i] !== undefined) continue;
      eObjs[i] = objs[old]; eHash[i] = h; eStart[i] = start[old]!; eLen[i] = len[old]!;
      eUsed.push(i);
      break;
    }
  }
}

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
  const mask = (1 << eBits) - 1;
  let free = -1;
  for (let p = 0, i = h & mask; p < MAX_PROBES; p++, i = (i + 1) & mask) {
    const e = eObjs[i];
    if (e === undefined) { free = i; break; }
    if (eHash[i] !== h || eLen[i] !== n || e.timestamp !== timestamp) continue;
    const s = eStart[i]!;
    let k = 0;
    while (k < n && b[s + k] === b[start + k]) k++;
    if (k === n) return e;
  }
  const e: LatestEntry = { timestamp, value: n === 0 ? '' : decodeUtf8(b, start, n) };
  if (free >= 0) {
    eObjs[free] = e; eHash[free] = h; eStart[free] = start; eLen[free] = n;
    eUsed.push(free);
    if (eUsed.n * 2 > 1 << eBits) growEntries();
  }
  return e;
}

// ---- samples: by date (string) and value (SameValueZero) -----------------------------------------

let sBits = MIN_BITS;
let sObjs = new Array<Sample | undefined>(1 << sBits).fill(undefined);
let sHash = new Int32Array(1 << sBits);
/** Ordinal of each shared sample in this decode: a stable hash of it for the metric table. */
let sOrd = new Int32Array(1 << sBits);
let nextOrd = 0;
const sUsed = new Used();
/** Ordinal of the sample `sampleOf` returned last (-1: a sample of its own, never shared). */
export let lastSampleOrd = -1;

function growSamples(): void {
  if (sBits >= MAX_BITS) return;
  const objs = sObjs, hash = sHash, ord = sOrd;
  sBits++;
  const size = 1 << sBits;
  sObjs = new Array<Sample | undefined>(size).fill(undefined);
  sHash = new Int32Array(size);
  sOrd = new Int32Array(size);
  const used = sUsed.slots.subarray(0, sUsed.n).slice();
  sUsed.n = 0;
  for (const old of used) {
    const h = hash[old]!;
    for (let p = 0, i = h & (size - 1); p < MAX_PROBES; p++, i = (i + 1) & (size - 1)) {
      if (sObjs[i] !== undefined) continue;
      sObjs[i] = objs[old]; sHash[i] = h; sOrd[i] = ord[old]!;
      sUsed.push(i);
      break;
    }
  }
}

/** The sample `{ date, value }`: one made earlier in this decode if any (-0 never shared). */
export function sampleOf(date: Time, timeHash: number, value: number): Sample {
  // SameValueZero would find a 0 sample for -0; keep it apart (rare, never shared).
  if (value === 0 && 1 / value < 0) { lastSampleOrd = -1; return { date, value }; }
  const h = mix(timeHash, numberHash(value));
  const mask = (1 << sBits) - 1;
  let free = -1;
  for (let p = 0, i = h & mask; p < MAX_PROBES; p++, i = (i + 1) & mask) {
    const s = sObjs[i];
    if (s === undefined) { free = i; break; }
    if (sHash[i] === h && s.date === date && (s.value === value || (value !== value && s.value !== s.value))) {
      lastSampleOrd = sOrd[i]!;
      return s;
    }
  }
  const s: Sample = { date, value };
  if (free < 0) { lastSampleOrd = -1; return s; }
  sObjs[free] = s; sHash[free] = h; sOrd[free] = lastSampleOrd = nextOrd++;
  sUsed.push(free);
  if (sUsed.n * 2 > 1 << sBits) growSamples();
  return s;
}

// ---- metrics: by newest sample (its ordinal), min, max, then every sample object ----------------

/** `lastOrd` for a metric with no samples. */
export const NO_SAMPLES = -2;

let mBits = MIN_BITS;
let mObjs = new Array<Metric | undefined>(1 << mBits).fill(undefined);
let mHash = new Int32Array(1 << mBits);
const mUsed = new Used();

function growMetrics(): void {
  if (mBits >= MAX_BITS) return;
  const objs = mObjs, hash = mHash;
  mBits++;
  const size = 1 << mBits;
  mObjs = new Array<Metric | undefined>(size).fill(undefined);
  mHash = new Int32Array(size);
  const used = mUsed.slots.subarray(0, mUsed.n).slice();
  mUsed.n = 0;
  for (const old of used) {
    const h = hash[old]!;
    for (let p = 0, i = h & (size - 1); p < MAX_PROBES; p++, i = (i + 1) & (size - 1)) {
      if (mObjs[i] !== undefined) continue;
      mObjs[i] = objs[old]; mHash[i] = h;
      mUsed.push(i);
      break;
    }
  }
}

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
  const mask = (1 << mBits) - 1;
  let free = -1;
  for (let p = 0, i = h & mask; p < MAX_PROBES; p++, i = (i + 1) & mask) {
    const m = mObjs[i];
    if (m === undefined) { free = i; break; }
    if (mHash[i] === h && sameMetric(m, samples, min, max)) return m;
  }
  const m: Metric = { samples, min, max };
  if (free >= 0) {
    mObjs[free] = m; mHash[free] = h;
    mUsed.push(free);
    if (mUsed.n * 2 > 1 << mBits) growMetrics();
  }
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
  for (let k = 0; k < eUsed.n; k++) eObjs[eUsed.slots[k]!] = undefined;
  eUsed.n = 0;
  for (let k = 0; k < sUsed.n; k++) sObjs[sUsed.slots[k]!] = undefined;
  sUsed.n = 0;
  for (let k = 0; k < mUsed.n; k++) mObjs[mUsed.slots[k]!] = undefined;
  mUsed.n = 0;
  nextOrd = 0;
  lastSampleOrd = -1;
  input = NO_INPUT;
  if (eBits > KEEP_BITS) {
    eBits = MIN_BITS;
    eObjs = new Array<LatestEntry | undefined>(1 << eBits).fill(undefined);
    eHash = new Int32Array(1 << eBits);
    eStart = new Int32Array(1 << eBits);
    eLen = new Int32Array(1 << eBits);
  }
  if (sBits > KEEP_BITS) {
    sBits = MIN_BITS;
    sObjs = new Array<Sample | undefined>(1 << sBits).fill(undefined);
    sHash = new Int32Array(1 << sBits);
    sOrd = new Int32Array(1 << sBits);
  }
  if (mBits > KEEP_BITS) {
    mBits = MIN_BITS;
    mObjs = new Array<Metric | undefined>(1 << mBits).fill(undefined);
    mHash = new Int32Array(1 << mBits);
  }
  for (const u of [eUsed, sUsed, mUsed]) if (u.slots.length > 1 << KEEP_BITS) u.slots = new Int32Array(1 << MIN_BITS);
}
