/**
 * msgpack bytes → Report in one pass for the hot part of a report — nodes, with their latest
 * maps, sets and metrics — reading straight from the bytes into domain objects (no intermediate
 * tree, no per-time byte views). The small, rarely large rest (templates, controls, DNS, plugins,
 * legacy fields) is read as a generic tree and handed to `from-wire.ts`, so the field rules for it
 * live in one place. Error paths and messages match the JSON path's.
 */
import { TOPOLOGIES, ZERO_TIME, type LatestEntry, type LatestMap, type Metric, type Node, type Report, type Sample,
  type Sets, type StringSet, type Time, type Topology, type TopologyName } from '../types.js';
import { leanTopology, makeDefaultTopology, makeLeanReport } from '../model.js';
import { NODE_UNITS, charge } from './budget.js';
import { EMPTY_SET, emptyMap } from './shared-empty.js';
import { TooDeepError, WireTypeError } from './errors.js';
import { applyReportFields, applyTopology, legacyControls, legacyCounters, reportFromWire } from './from-wire.js';
import { keySeg, num, rethrowAt, sortUnique } from './wire-check.js';
import { MsgpackReader, MsgpackSyntaxError, decodeUtf8, headTypeName, type MsgpackValue } from './msgpack-read.js';
import { TimeFormatError, timeFromGoBinary } from './wire-time.js';

const WIRE_TO_NAME = new Map<string, TopologyName>(TOPOLOGIES.map((t) => [t.wire, t.name]));
const NIL = -1;

/**
 * Latest entries of this decode by timestamp, then value: a probe stamps most entries of a report
 * with one tick's time, and values repeat (states, host ids, flags), so identical entries are
 * shared — LatestEntry objects are immutable (see copy.ts). Fewer objects kept per stored report
 * is less for the GC to copy and mark while the report sits in the collector's window.
 */
let entries = new Map<Time, Map<string, LatestEntry>>();

function latestEntry(timestamp: Time, value: string): LatestEntry {
  let byValue = entries.get(timestamp);
  if (byValue === undefined) {
    byValue = new Map();
    entries.set(timestamp, byValue);
  }
  let e = byValue.get(value);
  if (e === undefined) {
    e = { timestamp, value };
    byValue.set(value, e);
  }
  return e;
}

/**
 * Samples and metrics of this decode, shared like `entries`: a probe samples every process at the
 * same ticks and many values repeat (zero memory, zero open files, the same capacity as max), so a
 * recorded report's 780 samples hold ~150 distinct (date, value) pairs and its 280 metrics ~60
 * distinct ones. Both are immutable (merge-metric.ts builds new ones), so identical ones are one
 * object: a quarter less heap per stored report, a thousand fewer objects for the GC.
 */
let samples = new Map<Time, Map<number, Sample>>();
/**
 * Metrics of this decode by their newest sample (`null`: no samples): the first one alone, then an
 * array of a few candidates. Most metrics have a newest sample of their own (a fresh value), so
 * an array for each would be garbage (~140 KiB per ~550-process report).
 */
let metricsByLast = new Map<Sample | null, Metric | Metric[]>();
/** Candidates kept per newest sample: enough for the repeats, bounded for hostile input. */
const METRIC_CANDIDATES = 8;

function sampleOf(date: Time, value: number): Sample {
  // Map keys are SameValueZero: -0 would find a 0 sample; keep it apart (rare, never shared).
  if (value === 0 && 1 / value < 0) return { date, value };
  let byValue = samples.get(date);
  if (byValue === undefined) {
    byValue = new Map();
    samples.set(date, byValue);
  }
  let s = byValue.get(value);
  if (s === undefined) {
    s = { date, value };
    byValue.set(value, s);
  }
  return s;
}

/** Whether `c` has `metric`'s min, max and sample objects. */
function sameMetric(c: Metric, metric: Metric): boolean {
  const ss = metric.samples;
  if (!Object.is(c.min, metric.min) || !Object.is(c.max, metric.max) || c.samples.length !== ss.length) return false;
  let i = 0;
  while (i < ss.length && c.samples[i] === ss[i]) i++;
  return i === ss.length;
}

/** `metric`, or an identical one decoded earlier (same min, max and sample objects). */
function sharedMetric(metric: Metric): Metric {
  const ss = metric.samples;
  const last = ss.length === 0 ? null : ss[ss.length - 1]!;
  const found = metricsByLast.get(last);
  if (found === undefined) {
    metricsByLast.set(last, metric);
    return metric;
  }
  if (!Array.isArray(found)) {
    if (sameMetric(found, metric)) return found;
    metricsByLast.set(last, [found, metric]);
    return metric;
  }
  for (const c of found) if (sameMetric(c, metric)) return c;
  if (found.length < METRIC_CANDIDATES) found.push(metric);
  return metric;
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

function readTime(r: MsgpackReader, seg: string): Time {
  const n = rawLen(r, 'time', seg);
  if (n === NIL) return ZERO_TIME;
  const start = r.pos;
  r.pos += n;
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

/** `m` (decoded from `r.b[start, end)`), or a Map decoded earlier from the same bytes. */
function sharedSets(r: MsgpackReader, m: Sets, start: number, end: number): Sets {
  const n = end - start;
  if (n > SHARED_SETS_MAX_BYTES) return m;
  const b = r.b;
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
    if (i === n) return c.sets;
  }
  if (candidates.length < SETS_CANDIDATES) candidates.push({ sets: m, start, end });
  return m;
}

function readSets(r: MsgpackReader, seg: string): Sets {
  const start = r.pos;
  const m = readSetsOwn(r, seg);
  return m.size === 0 ? m : sharedSets(r, m, start, r.pos);
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

function readLatest(r: MsgpackReader, depth: number): LatestMap {
  const n = mapLen(r, '.latest');
  if (n === NIL || n === 0) return emptyMap();
  const m: LatestMap = new Map();
  charge(n);
  let k = '';
  try {
    for (let i = 0; i < n; i++) {
      k = r.key();
      const fields = mapLen(r, '');
      if (fields === NIL) throw typeError('map', 0xc0, '');
      let timestamp = ZERO_TIME;
      let value = '';
      for (let j = 0; j < fields; j++) {
        const f = r.key();
        if (f === 'timestamp') timestamp = readTime(r, '.timestamp');
        else if (f === 'value') value = readString(r, '.value');
        else r.value(depth + 2);
      }
      m.set(k, latestEntry(timestamp, value));
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
  let i = 0;
  try {
    for (; i < n; i++) {
      const fields = mapLen(r, '');
      if (fields === NIL) throw typeError('map', 0xc0, '');
      let date = ZERO_TIME;
      let value = 0;
      for (let j = 0; j < fields; j++) {
        const f = r.key();
        if (f === 'date') date = readTime(r, '.date');
        else if (f === 'value') value = readNumber(r, '.value', depth + 2);
        else r.value(depth + 2);
      }
      out[i] = sampleOf(date, value);
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
  let k = '';
  try {
    for (let i = 0; i < n; i++) {
      k = r.key();
      const fields = mapLen(r, '');
      if (fields === NIL) throw typeError('map', 0xc0, '');
      // Fields in locals: a metric made up front would throw its empty samples array away.
      let samples: Sample[] | undefined;
      let min = 0;
      let max = 0;
      for (let j = 0; j < fields; j++) {
        const f = r.key();
        if (f === 'samples') samples = readSamples(r, depth + 2);
        else if (f === 'min') min = readNumber(r, '.min', depth + 2);
        else if (f === 'max') max = readNumber(r, '.max', depth + 2);
        else r.value(depth + 2);
      }
      m.set(k, sharedMetric({ samples: samples ?? [], min, max }));
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
  for (let i = 0; i < n; i++) {
    const k = r.key();
    switch (k) {
      case 'id': id = readString(r, '.id'); if (id === key) id = key; break;
      case 'topology': topology = readString(r, '.topology'); break;
      case 'sets': sets = readSets(r, '.sets'); break;
      case 'adjacency': adjacency = readStringSet(r, '.adjacency'); break;
      case 'latest': latest = readLatest(r, depth); break;
      case 'metrics': metrics = readMetrics(r, depth); break;
      case 'parents': parents = readSets(r, '.parents'); break;
      case 'children': children = readChildren(r, depth); break;
      case 'latestControls': latestControls = r.value(depth + 1); break;
      case 'counters': counters = r.value(depth + 1); break;
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
  entries = new Map();
  samples = new Map();
  metricsByLast = new Map();
  setsByHash = new Map();
  try {
    return reportFromMsgpackReader(r, bytes, maxDepth);
  } finally {
    // Let the shared objects go with the report, or with the garbage of a failure.
    entries = new Map();
    samples = new Map();
    metricsByLast = new Map();
    setsByHash = new Map();
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
