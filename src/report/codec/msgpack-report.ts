/**
 * msgpack bytes → Report in one pass for the hot part of a report — nodes, with their latest
 * maps, sets and metrics — reading straight from the bytes into domain objects (no intermediate
 * tree, no per-time byte views). The small, rarely large rest (templates, controls, DNS, plugins,
 * legacy fields) is read as a generic tree and handed to `from-wire.ts`, so the field rules for it
 * live in one place. Error paths and messages match the JSON path's.
 */
import { TOPOLOGIES, ZERO_TIME, type LatestMap, type Metric, type Node, type Report, type Sample,
  type Sets, type StringSet, type Time, type Topology, type TopologyName } from '../types.js';
import { leanTopology, makeDefaultTopology, makeLeanReport } from '../model.js';
import { NODE_UNITS, charge } from './budget.js';
import { EMPTY_SET, emptyMap } from './shared-empty.js';
import { TooDeepError, WireTypeError } from './errors.js';
import { applyReportFields, applyTopology, legacyControls, legacyCounters, reportFromWire } from './from-wire.js';
import { keySeg, num, rethrowAt, sortUnique } from './wire-check.js';
import { KEY_HINTS, MsgpackReader, MsgpackSyntaxError, decodeUtf8, headTypeName, type MsgpackValue } from './msgpack-read.js';
import { TimeFormatError, timeFromGoBinary } from './wire-time.js';
import { NO_SAMPLES, beginShare, endShare, entryOf, lastSampleOrd, metricOf, sampleOf } from './decode-share.js';

const WIRE_TO_NAME = new Map<string, TopologyName>(TOPOLOGIES.map((t) => [t.wire, t.name]));
const NIL = -1;

/** A field name as a msgpack fixstr (header byte, then the ASCII bytes), to match in the input. */
function fixstr(name: string): Uint8Array {
  const t = new Uint8Array(name.length + 1);
  t[0] = 0xa0 | name.length;
  for (let i = 0; i < name.length; i++) t[i + 1] = name.charCodeAt(i);
  return t;
}

/**
 * Whether the bytes at `p` are the field name `t`. Encoders write field names as fixstr, so the
 * known fields of entries, samples, metrics and nodes are matched here without decoding (hashing,
 * caching, comparing) a key string; any other spelling goes through `r.key()` as before.
 */
function at(b: Uint8Array, p: number, t: Uint8Array): boolean {
  const n = t.length;
  if (b[p] !== t[0] || p + n > b.length) return false;
  for (let i = 1; i < n; i++) if (b[p + i] !== t[i]) return false;
  return true;
}

const F_TIMESTAMP = fixstr('timestamp');
const F_VALUE = fixstr('value');
const F_DATE = fixstr('date');
const F_SAMPLES = fixstr('samples');
const F_MIN = fixstr('min');
const F_MAX = fixstr('max');

/** Field codes of entries, samples and metrics; OTHER: a field not read (skipped). */
const OTHER = 0;
const TIMESTAMP = 1;
const VALUE = 2;
const DATE = 3;
const SAMPLES = 4;
const MIN = 5;
const MAX = 6;

/** Node fields, by code. */
const NODE_FIELDS = ['id', 'topology', 'sets', 'adjacency', 'latest', 'metrics', 'parents', 'children',
  'latestControls', 'counters'] as const;
const NODE_FIELD_BYTES = NODE_FIELDS.map(fixstr);
const N_ID = 0, N_TOPOLOGY = 1, N_SETS = 2, N_ADJACENCY = 3, N_LATEST = 4, N_METRICS = 5, N_PARENTS = 6,
  N_CHILDREN = 7, N_LATEST_CONTROLS = 8, N_COUNTERS = 9, N_OTHER = 10;

/** The node field code of a key string. */
function nodeFieldOf(k: string): number {
  const i = (NODE_FIELDS as readonly string[]).indexOf(k);
  return i < 0 ? N_OTHER : i;
}

/** The node field whose fixstr name is at `p`, or -1 (then the key is read as a string). */
function nodeFieldAt(b: Uint8Array, p: number): number {
  let f: number;
  switch (b[p]) {
    case 0xa2: f = N_ID; break;
    case 0xa4: f = N_SETS; break;
    case 0xa6: f = N_LATEST; break;
    case 0xa7: f = b[p + 1] === 0x6d ? N_METRICS : N_PARENTS; break; // 'm'
    case 0xa8: f = b[p + 1] === 0x74 ? N_TOPOLOGY : b[p + 2] === 0x68 ? N_CHILDREN : N_COUNTERS; break; // 't', 'h'
    case 0xa9: f = N_ADJACENCY; break;
    case 0xae: f = N_LATEST_CONTROLS; break;
    default: return -1;
  }
  return at(b, p, NODE_FIELD_BYTES[f]!) ? f : -1;
}

function typeError(expected: string, h: number, seg: string): WireTypeError {
  const e = new WireTypeError(`expected ${expected}, got ${headTypeName(h)}`);
  if (seg !== '') e.segments.push(seg);
  return e;
}

function peek(r: MsgpackReader): number {
  if (r.pos >= r.b.length) throw new MsgpackSyntaxError(`truncated msgpack at offset ${r.pos}`);
  return r.b[r.pos]!;
}

/** Reads a map header: its size, or NIL for nil. */
function mapLen(r: MsgpackReader, seg: string): number {
  const h = peek(r);
  if (h >= 0x80 && h <= 0x8f) { r.pos += 1; return h & 0x0f; }
  let n: number;
  if (h === 0xde) { r.need(3); n = r.view.getUint16(r.pos + 1); r.pos += 3; }
  else if (h === 0xdf) { r.need(5); n = r.view.getUint32(r.pos + 1); r.pos += 5; }
  else if (h === 0xc0) { r.pos += 1; return NIL; }
  else throw typeError('map', h, seg);
  if (n * 2 > r.b.length - r.pos) throw new MsgpackSyntaxError(`truncated msgpack: map of ${n} at offset ${r.pos}`);
  return n;
}

/** Reads an array header: its size, or NIL for nil. */
function arrayLen(r: MsgpackReader, seg: string, expected = 'array'): number {
  const h = peek(r);
  if (h >= 0x90 && h <= 0x9f) { r.pos += 1; return h & 0x0f; }
  let n: number;
  if (h === 0xdc) { r.need(3); n = r.view.getUint16(r.pos + 1); r.pos += 3; }
  else if (h === 0xdd) { r.need(5); n = r.view.getUint32(r.pos + 1); r.pos += 5; }
  else if (h === 0xc0) { r.pos += 1; return NIL; }
  else throw typeError(expected, h, seg);
  if (n > r.b.length - r.pos) throw new MsgpackSyntaxError(`truncated msgpack: array of ${n} at offset ${r.pos}`);
  return n;
}

/** Reads a str/bin header (Go reads either into a string or a time): payload length, or NIL. */
function rawLen(r: MsgpackReader, expected: string, seg: string): number {
  const h = peek(r);
  let n: number;
  if (h >= 0xa0 && h <= 0xbf) { n = h & 0x1f; r.pos += 1; }
  else if (h === 0xd9 || h === 0xc4) { r.need(2); n = r.b[r.pos + 1]!; r.pos += 2; }
  else if (h === 0xda || h === 0xc5) { r.need(3); n = r.view.getUint16(r.pos + 1); r.pos += 3; }
  else if (h === 0xdb || h === 0xc6) { r.need(5); n = r.view.getUint32(r.pos + 1); r.pos += 5; }
  else if (h === 0xc0) { r.pos += 1; return NIL; }
  else throw typeError(expected, h, seg);
  r.need(n);
  return n;
}

function readString(r: MsgpackReader, seg: string): string {
  const n = rawLen(r, 'string', seg);
  if (n === NIL) return '';
  const s = decodeUtf8(r.b, r.pos, n);
  r.pos += n;
  return s;
}

/**
 * A function of the time `readTime` read last, for the sharing tables' hashes: its seconds' low
 * bytes and its nanoseconds (the zone bytes do not change the Time). Equal times may still hash
 * apart (nil vs the zero time's bytes): they are then merely not shared.
 */
let timeHash = 0;

function readTime(r: MsgpackReader, seg: string): Time {
  const n = rawLen(r, 'time', seg);
  if (n === NIL) { timeHash = 0; return ZERO_TIME; }
  const start = r.pos;
  r.pos += n;
  const b = r.b;
  if (n >= 13) {
    timeHash = ((b[start + 6]! << 16) | (b[start + 7]! << 8) | b[start + 8]!) ^
      ((b[start + 9]! << 24) | (b[start + 10]! << 16) | (b[start + 11]! << 8) | b[start + 12]!);
  }
  try {
    return timeFromGoBinary(r.b, start, n);
  } catch (e) {
    if (!(e instanceof TimeFormatError)) throw e;
    const err = new WireTypeError(`expected time: ${e.message}`);
    err.segments.push(seg);
    throw err;
  }
}

function readNumber(r: MsgpackReader, seg: string, depth: number): number {
  const h = peek(r);
  if (h <= 0x7f) { r.pos += 1; return h; }
  // Metric values are float64: read them without the generic value path.
  if (h === 0xcb) { r.pos += 1; r.need(8); r.pos += 8; return r.view.getFloat64(r.pos - 8); } // as value() does
  return num(r.value(depth), seg);
}

function readStringSet(r: MsgpackReader, seg: string): StringSet {
  const n = arrayLen(r, seg, 'array of strings');
  if (n === NIL || n === 0) return EMPTY_SET;
  const out = new Array<string>(n);
  let ordered = true;
  let prev = '';
  let i = 0;
  try {
    for (; i < n; i++) {
      const s = readString(r, '');
      if (i > 0 && !(s > prev)) ordered = false;
      out[i] = prev = s;
    }
  } catch (e) {
    rethrowAt(e, `${seg}[${i}]`);
  }
  return ordered ? out : sortUnique(out);
}

/**
 * Sets and parents Maps of this decode by a hash of their bytes: a probe's processes mostly have
 * the same parents (the host, one of a few containers), so a full report's ~90 parents Maps hold
 * ~7 distinct ones. Maps with the same bytes decode equal (key order included) and decoded Maps
 * are read-only to the app, so they are one object: ~11 KiB less heap per stored report.
 */
let setsByHash = new Map<number, SharedSets[]>();
/** A shared Map and where its bytes are in the input (for the byte comparison). */
interface SharedSets {
  readonly sets: Sets;
  readonly start: number;
  readonly end: number;
}
/** Maps whose bytes are longer than this are not looked for (hashing costs more than they save). */
const SHARED_SETS_MAX_BYTES = 512;
/** Candidates kept per hash: bounded for hostile input. */
const SETS_CANDIDATES = 4;

/** End of the str at `p` (fixstr, str8 or str16) if it ends by `limit`, else -1. */
function strEnd(b: Uint8Array, p: number, limit: number): number {
  if (p >= limit) return -1;
  const h = b[p]!;
  let end: number;
  if (h >= 0xa0 && h <= 0xbf) end = p + 1 + (h & 0x1f);
  else if (h === 0xd9 && p + 1 < limit) end = p + 2 + b[p + 1]!;
  else if (h === 0xda && p + 2 < limit) end = p + 3 + ((b[p + 1]! << 8) | b[p + 2]!);
  else return -1;
  return end <= limit ? end : -1;
}

/**
 * End of the Sets Map at `p` if its bytes are the common shape (a fixmap of 1–15 string keys
 * to fixarrays of such strings) and at most SHARED_SETS_MAX_BYTES long, else -1. Found without
 * decoding, so a Map shared with an earlier one is never built.
 */
function setsEnd(b: Uint8Array, p: number): number {
  const limit = Math.min(b.length, p + SHARED_SETS_MAX_BYTES);
  const h = b[p]!;
  if (!(h > 0x80 && h <= 0x8f)) return -1;
  p++;
  for (let i = h & 0x0f; i > 0; i--) {
    p = strEnd(b, p, limit);
    if (p < 0 || p >= limit) return -1;
    const a = b[p]!;
    if (!(a >= 0x90 && a <= 0x9f)) return -1;
    p++;
    for (let j = a & 0x0f; j > 0; j--) {
      p = strEnd(b, p, limit);
      if (p < 0) return -1;
    }
  }
  return p;
}

/**
 * A Sets Map read from the input: one decoded earlier from the same bytes if any (found by their
 * hash before decoding), else a new one, remembered when short enough.
 */
function readSets(r: MsgpackReader, seg: string): Sets {
  const start = r.pos;
  const b = r.b;
  const end = setsEnd(b, start);
  if (end < 0) return readSetsOwn(r, seg);
  const n = end - start;
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  let candidates = setsByHash.get(h);
  if (candidates === undefined) {
    candidates = [];
    setsByHash.set(h, candidates);
  }
  for (const c of candidates) {
    if (c.end - c.start !== n) continue;
    let i = 0;
    while (i < n && b[c.start + i] === b[start + i]) i++;
    if (i === n) {
      charge(b[start]! & 0x0f); // what decoding it would have charged
      r.pos = end;
      return c.sets;
    }
  }
  const m = readSetsOwn(r, seg);
  if (candidates.length < SETS_CANDIDATES) candidates.push({ sets: m, start, end });
  return m;
}

function readSetsOwn(r: MsgpackReader, seg: string): Sets {
  const n = mapLen(r, seg);
  if (n === NIL || n === 0) return emptyMap();
  const m: Sets = new Map();
  charge(n);
  let k = '';
  try {
    for (let i = 0; i < n; i++) {
      k = r.key();
      m.set(k, readStringSet(r, ''));
    }
  } catch (e) {
    rethrowAt(e, `${seg}${keySeg(k)}`);
  }
  return m;
}

/** Cache slots of the latest and metrics keys last seen at each position (see keyHinted). */
const latestHints = new Int32Array(KEY_HINTS);
const metricHints = new Int32Array(KEY_HINTS);

function readLatest(r: MsgpackReader, depth: number): LatestMap {
  const n = mapLen(r, '.latest');
  if (n === NIL || n === 0) return emptyMap();
  const m: LatestMap = new Map();
  charge(n);
  const b = r.b;
  let k = '';
  try {
    for (let i = 0; i < n; i++) {
      k = r.keyHinted(latestHints, i & (KEY_HINTS - 1));
      const fields = mapLen(r, '');
      if (fields === NIL) throw typeError('map', 0xc0, '');
      let timestamp = ZERO_TIME;
      let th = 0;
      // The value stays bytes until `entryOf` finds no entry of the same time and value bytes.
      let vStart = 0;
      let vLen = 0;
      for (let j = 0; j < fields; j++) {
        const p = r.pos;
        let f: number;
        if (at(b, p, F_TIMESTAMP)) { f = TIMESTAMP; r.pos = p + F_TIMESTAMP.length; }
        else if (at(b, p, F_VALUE)) { f = VALUE; r.pos = p + F_VALUE.length; }
        else { const key = r.key(); f = key === 'timestamp' ? TIMESTAMP : key === 'value' ? VALUE : OTHER; }
        if (f === TIMESTAMP) {
          timestamp = readTime(r, '.timestamp');
          th = timeHash;
        } else if (f === VALUE) {
          const len = rawLen(r, 'string', '.value');
          if (len === NIL) { vLen = 0; } else { vStart = r.pos; vLen = len; r.pos += len; }
        } else {
          r.value(depth + 2);
        }
      }
      m.set(k, entryOf(timestamp, th, vStart, vLen));
    }
  } catch (e) {
    rethrowAt(e, `.latest${keySeg(k)}`);
  }
  return m;
}

function readSamples(r: MsgpackReader, depth: number): Sample[] {
  const n = arrayLen(r, '.samples');
  if (n === NIL) return [];
  charge(n);
  const out = new Array<Sample>(n);
  const b = r.b;
  let i = 0;
  try {
    for (; i < n; i++) {
      const fields = mapLen(r, '');
      if (fields === NIL) throw typeError('map', 0xc0, '');
      let date = ZERO_TIME;
      let th = 0;
      let value = 0;
      for (let j = 0; j < fields; j++) {
        const p = r.pos;
        let f: number;
        if (at(b, p, F_DATE)) { f = DATE; r.pos = p + F_DATE.length; }
        else if (at(b, p, F_VALUE)) { f = VALUE; r.pos = p + F_VALUE.length; }
        else { const key = r.key(); f = key === 'date' ? DATE : key === 'value' ? VALUE : OTHER; }
        if (f === DATE) { date = readTime(r, '.date'); th = timeHash; }
        else if (f === VALUE) value = readNumber(r, '.value', depth + 2);
        else r.value(depth + 2);
      }
      out[i] = sampleOf(date, th, value);
    }
  } catch (e) {
    rethrowAt(e, `.samples[${i}]`);
  }
  return out;
}

function readMetrics(r: MsgpackReader, depth: number): Map<string, Metric> {
  const n = mapLen(r, '.metrics');
  if (n === NIL || n === 0) return emptyMap();
  const m = new Map<string, Metric>();
  charge(2 * n);
  const b = r.b;
  let k = '';
  try {
    for (let i = 0; i < n; i++) {
      k = r.keyHinted(metricHints, i & (KEY_HINTS - 1));
      const fields = mapLen(r, '');
      if (fields === NIL) throw typeError('map', 0xc0, '');
      // Fields in locals: a metric made up front would throw its empty samples array away.
      let samples: Sample[] | undefined;
      let lastOrd = NO_SAMPLES;
      let min = 0;
      let max = 0;
      for (let j = 0; j < fields; j++) {
        const p = r.pos;
        let f: number;
        if (at(b, p, F_SAMPLES)) { f = SAMPLES; r.pos = p + F_SAMPLES.length; }
        else if (at(b, p, F_MIN)) { f = MIN; r.pos = p + F_MIN.length; }
        else if (at(b, p, F_MAX)) { f = MAX; r.pos = p + F_MAX.length; }
        else {
          const key = r.key();
          f = key === 'samples' ? SAMPLES : key === 'min' ? MIN : key === 'max' ? MAX : OTHER;
        }
        if (f === SAMPLES) {
          samples = readSamples(r, depth + 2);
          lastOrd = samples.length === 0 ? NO_SAMPLES : lastSampleOrd;
        } else if (f === MIN) min = readNumber(r, '.min', depth + 2);
        else if (f === MAX) max = readNumber(r, '.max', depth + 2);
        else r.value(depth + 2);
      }
      m.set(k, metricOf(samples ?? [], min, max, lastOrd));
    }
  } catch (e) {
    rethrowAt(e, `.metrics${keySeg(k)}`);
  }
  return m;
}

/** `key`: the node's key in its topology, whose string its id (the same text) shares. */
function readNode(r: MsgpackReader, depth: number, key = ''): Node {
  if (depth >= r.maxDepth) throw new TooDeepError(`nesting deeper than ${r.maxDepth}`);
  const n = mapLen(r, '');
  if (n === NIL) throw typeError('map', 0xc0, '');
  charge(NODE_UNITS);
  // Fields in locals: a node made up front with four empty Maps would throw those away for every
  // field present. Absent and empty maps are the shared read-only EMPTY_MAP (see shared-empty.ts).
  let id = '';
  let topology = '';
  let sets: Sets | undefined;
  let adjacency: StringSet = EMPTY_SET;
  let latest: LatestMap | undefined;
  let metrics: Map<string, Metric> | undefined;
  let parents: Sets | undefined;
  let children: Map<string, Node> | null = null;
  let latestControls: MsgpackValue | undefined;
  let counters: MsgpackValue | undefined;
  const b = r.b;
  for (let i = 0; i < n; i++) {
    let f = nodeFieldAt(b, r.pos);
    if (f >= 0) r.pos += NODE_FIELD_BYTES[f]!.length;
    else f = nodeFieldOf(r.key());
    switch (f) {
      case N_ID: id = readString(r, '.id'); if (id === key) id = key; break;
      case N_TOPOLOGY: topology = readString(r, '.topology'); break;
      case N_SETS: sets = readSets(r, '.sets'); break;
      case N_ADJACENCY: adjacency = readStringSet(r, '.adjacency'); break;
      case N_LATEST: latest = readLatest(r, depth); break;
      case N_METRICS: metrics = readMetrics(r, depth); break;
      case N_PARENTS: parents = readSets(r, '.parents'); break;
      case N_CHILDREN: children = readChildren(r, depth); break;
      case N_LATEST_CONTROLS: latestControls = r.value(depth + 1); break;
      case N_COUNTERS: counters = r.value(depth + 1); break;
      default: r.value(depth + 1);
    }
  }
  // Legacy fields write into latest, so it must be a Map of this node's own then.
  if ((latestControls !== undefined || counters !== undefined) && (latest === undefined || latest.size === 0)) {
    latest = new Map();
  }
  const node: Node = {
    id, topology, sets: sets ?? emptyMap(), adjacency, latest: latest ?? emptyMap(), metrics: metrics ?? emptyMap(),
    parents: parents ?? emptyMap(), children,
  };
  if (latestControls !== undefined) legacyControls(latestControls, node.latest);
  if (counters !== undefined) legacyCounters(counters, node.latest);
  return node;
}

function readChildren(r: MsgpackReader, depth: number): Map<string, Node> | null {
  const n = arrayLen(r, '.children');
  if (n === NIL) return null;
  const m = new Map<string, Node>();
  let i = 0;
  try {
    for (; i < n; i++) {
      const child = readNode(r, depth + 2);
      m.set(child.id, child);
    }
  } catch (e) {
    rethrowAt(e, `.children[${i}]`);
  }
  return m;
}

function readNodes(r: MsgpackReader): Map<string, Node> {
  const m = new Map<string, Node>();
  const n = mapLen(r, '.nodes');
  let k = '';
  try {
    for (let i = 0; i < n; i++) {
      k = r.key();
      m.set(k, readNode(r, 3, k));
    }
  } catch (e) {
    rethrowAt(e, `.nodes${keySeg(k)}`);
  }
  return m;
}

/** Plain object for the generic rest; `__proto__` is never a field we read, so it is dropped. */
function restPut(o: Record<string, MsgpackValue>, k: string, v: MsgpackValue): void {
  if (k !== '__proto__') o[k] = v;
}

/**
 * A probe's report fills a few of the 23 topologies, and their controls and templates are mostly
 * empty too: ~110 empty Maps per decoded report, ~18 KiB of the heap it keeps through the window.
 * They become the shared read-only `EMPTY_MAP`, as empty node Maps already are; a topology left
 * with nothing but `name`'s default presentation becomes the shared frozen `leanTopology(name)`
 * (which merges skip). Returns the topology the report keeps.
 */
function shareEmptyTopologyMaps(t: Topology, name: TopologyName): Topology {
  if (t.nodes.size === 0) t.nodes = emptyMap();
  if (t.controls.size === 0) t.controls = emptyMap();
  if (t.metadataTemplates.size === 0) t.metadataTemplates = emptyMap();
  if (t.metricTemplates.size === 0) t.metricTemplates = emptyMap();
  if (t.tableTemplates.size === 0) t.tableTemplates = emptyMap();
  const lean = leanTopology(name);
  const bare = t.nodes.size === 0 && t.controls.size === 0 && t.metadataTemplates.size === 0 &&
    t.metricTemplates.size === 0 && t.tableTemplates.size === 0;
  return bare && t.shape === lean.shape && t.tag === lean.tag && t.label === lean.label &&
    t.labelPlural === lean.labelPlural ? lean : t;
}

/** Scope-flavoured msgpack → Report. Throws MsgpackSyntaxError / WireTypeError / TooDeepError. */
export function reportFromMsgpack(bytes: Uint8Array, maxDepth: number): Report {
  const r = new MsgpackReader(bytes, maxDepth);
  setsByHash = new Map();
  beginShare(bytes);
  try {
    return reportFromMsgpackReader(r, bytes, maxDepth);
  } finally {
    // Let the shared objects go with the report, or with the garbage of a failure.
    setsByHash = new Map();
    endShare();
  }
}

function reportFromMsgpackReader(r: MsgpackReader, bytes: Uint8Array, maxDepth: number): Report {
  const h = peek(r);
  const isMap = (h >= 0x80 && h <= 0x8f) || h === 0xde || h === 0xdf;
  let report: Report;
  if (!isMap) {
    report = reportFromWire(r.value(0), maxDepth); // throws the top-level type error
  } else {
    const n = mapLen(r, '');
    // Topologies absent from the bytes, or bare, are the shared lean ones (see shareEmptyTopologyMaps).
    report = makeLeanReport();
    const rest: Record<string, MsgpackValue> = {};
    for (let i = 0; i < n; i++) {
      const k = r.key();
      const name = WIRE_TO_NAME.get(k);
      if (name === undefined) { restPut(rest, k, r.value(1)); continue; }
      const topo = makeDefaultTopology(name);
      try {
        const fields = mapLen(r, '');
        const other: Record<string, MsgpackValue> = {};
        for (let j = 0; j < fields; j++) {
          const f = r.key();
          if (f === 'nodes') topo.nodes = readNodes(r);
          else restPut(other, f, r.value(2));
        }
        applyTopology(other, topo, maxDepth);
      } catch (e) {
        rethrowAt(e, k);
      }
      report.topologies[name] = shareEmptyTopologyMaps(topo, name);
    }
    applyReportFields(rest, report);
  }
  if (r.pos !== bytes.length) {
    throw new MsgpackSyntaxError(`${bytes.length - r.pos} trailing bytes after the msgpack value`);
  }
  return report;
}
