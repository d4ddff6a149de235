/**
 * Copy-on-write report merging for read-only results (the app's window): the merge of many
 * reports into a new one that *shares* every node found under its key in only one input, and
 * where several inputs hold a key, shares whatever part of their nodes the merge leaves as it
 * was (a node, or its latest/sets/metrics/parents Maps). Reports from different probes hardly
 * overlap (node ids carry the host), so a window of 500 probes costs Map inserts instead of
 * 50,000 node copies; one probe's consecutive reports repeat most of their content, so merging
 * them allocates little. Same result, key order included, as folding the inputs left to right
 * with `mergeReportInto` into a fresh report.
 *
 * The result's topology Maps are its own, but its nodes, and the Maps in them, may be the
 * inputs': neither the result's nodes nor the inputs may be mutated while the result is in use.
 *
 * Maps are walked with `keys()` and `values()` iterators side by side, never `for (const [k, v]
 * of map)`: V8 (Node 20) allocates a [key, value] array per entry for the latter (~64 bytes),
 * which was 2.9 of the 3.9 MiB a fold of five ~550-process reports allocated.
 */
import { copyNode } from './copy.js';
import { mergeDnsInto, mergeTableTemplate } from './merge.js';
import { MAX_METRIC_SAMPLES, mergeMetric } from './merge-metric.js';
import { ACTIVE_CONTROLS_KEY, mergeNodeInto } from './merge-node.js';
import { mergeStringSets } from './merge-sets.js';
import { EMPTY_MAP, isLeanTopology, makeLeanReport, makeReport } from './model.js';
import {
  TOPOLOGIES,
  ZERO_TIME,
  type LatestEntry,
  type LatestMap,
  type MetadataTemplate,
  type Metric,
  type MetricTemplate,
  type Node,
  type PluginSpec,
  type Report,
  type Sample,
  type Sets,
  type StringSet,
  type TableTemplate,
  type Time,
  type Topology,
  type TopologyName,
} from './types.js';

/** The shared empty Map, as the Map type it stands in for (identity comparisons only). */
const NONE = EMPTY_MAP as ReadonlyMap<string, unknown>;

/*
 * Node merges that share: each returns one of its inputs (or a Map of one) whenever the merge
 * equals it, with the same key order, and otherwise what `mergeNodeInto` on a copy gives. A
 * probe's reports mostly repeat the same sets, parents and (newer) latest entries, so merging a
 * probe's window allocates little and keeps its maps shared with the reports it came from.
 */

/** `mergeLatestInto(copy of a, b)`, sharing `a` or `b` when the result equals one of them. */
function mergeLatestShared(a: LatestMap, b: LatestMap): LatestMap {
  if (b.size === 0 || a === b) return a;
  if (a.size === 0) return b;
  if (fresh !== null && fresh.has(a)) {
    // Made earlier in this fold: written in place (see `fresh`), without the sharing checks.
    mergeLatestIntoOwn(a, b);
    return a;
  }
  let taken = 0;
  let replaced = 0;
  const entries = b.values();
  for (const key of b.keys()) {
    const entry = entries.next().value as LatestEntry;
    const mine = a.get(key);
    if (mine === undefined) taken++;
    else if (entry.timestamp > mine.timestamp) {
      taken++;
      replaced++;
    }
  }
  if (taken === 0) return a;
  if (taken === b.size && replaced === a.size && a.size === b.size && sameKeyOrder(a, b)) return b;
  const out = copyMap(a);
  mergeLatestIntoOwn(out, b);
  return out;
}

/** `mergeLatestInto` (`a` is this merge's own). */
function mergeLatestIntoOwn(a: LatestMap, b: LatestMap): void {
  const entries = b.values();
  for (const key of b.keys()) {
    const entry = entries.next().value as LatestEntry;
    const mine = a.get(key);
    if (mine === undefined || entry.timestamp > mine.timestamp) a.set(key, entry);
  }
}

/**
 * A copy of `m` (a for-of copy: `new Map(m)` is 2–3× slower for the few entries node Maps hold),
 * marked `fresh` inside a fold so that the fold's later steps write into it instead of copying it
 * again (a process's latest Map changes in every report of its window).
 */
function copyMap<V>(m: ReadonlyMap<string, V>): Map<string, V> {
  const out = new Map<string, V>();
  const values = m.values();
  for (const key of m.keys()) out.set(key, values.next().value as V);
  fresh?.add(out);
  return out;
}

/** Whether two maps with the same keys iterate them in the same order. */
function sameKeyOrder<K>(a: ReadonlyMap<K, unknown>, b: ReadonlyMap<K, unknown>): boolean {
  const other = b.keys();
  for (const key of a.keys()) if (other.next().value !== key) return false;
  return true;
}

/** `mergeSetsInto(copy of a, b)`, sharing `a` (or `b` when `a` is empty) when the union equals it. */
function mergeSetsShared(a: Sets, b: Sets): Sets {
  if (b.size === 0 || a === b) return a;
  if (a.size === 0) return b;
  let changed = false;
  let sets = b.values();
  for (const key of b.keys()) {
    const set = sets.next().value as StringSet;
    const mine = a.get(key);
    if (mine === undefined || mergeStringSets(mine, set) !== mine) {
      changed = true;
      break;
    }
  }
  if (!changed) return a;
  const out = fresh !== null && fresh.has(a) ? a : copyMap(a);
  sets = b.values();
  for (const key of b.keys()) {
    const set = sets.next().value as StringSet;
    const mine = out.get(key);
    out.set(key, mine === undefined ? set : mergeStringSets(mine, set));
  }
  return out;
}

/**
 * Nodes, metric Maps and metrics made by the `mergeReportsLean` fold in progress (null outside
 * one). Nothing else holds them until the fold returns, so later steps of the same fold merge
 * into them in place — samples are appended, not copied again — instead of replacing them. A
 * fold of a probe's window (five reports) then makes one node, Map and metric per output
 * instead of one per step. Everything is immutable again once the fold has returned.
 */
let fresh: Set<object> | null = null;

/**
 * Set inside a `mergeReportsLean` fold while it merges a topology whose inputs' samples are known
 * to follow each other (see {@link SampleSpans}): every metric's versions then do, so
 * {@link mergeMetricColumn} need not read their first and last samples' dates to know it (two
 * objects and a string compare per version, mostly cache misses in reports decoded seconds apart).
 */
let samplesFollow = false;

/**
 * The earliest and latest sample date of the metrics of each topology of a report, by topology
 * (those with samples only): see {@link reportSampleSpans}.
 */
export type SampleSpans = ReadonlyMap<TopologyName, { readonly first: Time; readonly last: Time }>;

/**
 * The {@link SampleSpans} of `report` (one pass over its samples' dates; children are not
 * metric-merged, so not looked at). By topology because a probe's reports overlap in some
 * (container metrics: a sample of the previous report's last second comes again) but not in
 * others (processes, hosts).
 */
export function reportSampleSpans(report: Report): SampleSpans {
  const spans = new Map<TopologyName, { first: Time; last: Time }>();
  for (const { name } of TOPOLOGIES) {
    const nodes = report.topologies[name].nodes;
    if (nodes.size === 0) continue;
    let first: Time | undefined;
    let last: Time | undefined;
    // The decoder shares a report's date strings, and its metrics were mostly sampled at the same
    // few times: a date that is the same string as one just seen needs no (char-by-char) compare.
    let seen: Time | undefined;
    for (const node of nodes.values()) {
      if (node.metrics.size === 0) continue;
      for (const metric of node.metrics.values()) {
        const ss = metric.samples;
        for (let i = 0; i < ss.length; i++) {
          const date = ss[i]!.date;
          if (date === seen || date === first || date === last) continue;
          seen = date;
          if (first === undefined || date < first) first = date;
          if (last === undefined || date > last) last = date;
        }
      }
    }
    if (first !== undefined && last !== undefined) spans.set(name, { first, last });
  }
  return spans;
}

/**
 * Whether the samples of `name` in each report (their spans, oldest first) all come after those
 * of the reports before it: then every metric's versions across them do too, which is what
 * `mergeMetric`'s append path checks metric by metric.
 */
function samplesFollowIn(spans: readonly SampleSpans[], name: TopologyName): boolean {
  let last: Time | undefined;
  for (const s of spans) {
    const span = s.get(name);
    if (span === undefined) continue;
    if (last !== undefined && !(last < span.first)) return false;
    last = span.last;
  }
  return true;
}

/** `mergeMetric(m, b)`'s result, written into `m` (a `fresh` metric). */
function mergeMetricInPlace(m: Metric, b: Metric): void {
  const bs = b.samples;
  if (bs.length === 0 || m === b) return;
  const as = m.samples;
  if (as.length === 0) {
    m.samples = bs.slice();
    m.min = b.min;
    m.max = b.max;
    return;
  }
  if (as[as.length - 1]!.date < bs[0]!.date) {
    m.min = Math.min(m.min, b.min);
    m.max = Math.max(m.max, b.max);
    for (let i = 0; i < bs.length; i++) as.push(bs[i]!);
    if (as.length > MAX_METRIC_SAMPLES) as.splice(0, as.length - MAX_METRIC_SAMPLES);
    return;
  }
  const merged = mergeMetric(m, b);
  m.samples = merged.samples === as ? as : merged.samples === bs ? bs.slice() : merged.samples;
  m.min = merged.min;
  m.max = merged.max;
}

/**
 * `mergeMetric(a, b)` inside a fold (both non-empty, `a` not `fresh`): the same metric, but when
 * `b`'s samples follow `a`'s — a probe's next report — the samples go into an array that starts
 * empty, so its first push gives it room (17) for the appends of the fold's later steps; a
 * `concat` of exact size had to grow at the next step (two arrays per metric and fold instead
 * of one).
 */
function foldMetric(a: Metric, b: Metric): Metric {
  const as = a.samples;
  const bs = b.samples;
  if (as.length === 0 || bs.length === 0 || a === b || !(as[as.length - 1]!.date < bs[0]!.date)) return mergeMetric(a, b);
  const samples: Sample[] = [];
  for (let i = 0; i < as.length; i++) samples.push(as[i]!);
  for (let i = 0; i < bs.length; i++) samples.push(bs[i]!);
  if (samples.length > MAX_METRIC_SAMPLES) samples.splice(0, samples.length - MAX_METRIC_SAMPLES);
  return { samples, min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) };
}

/** The per-key metric merge of `b` into a copy of `a`, sharing `a` (or `b` when `a` is empty) when unchanged. */
function mergeMetricsShared(a: Map<string, Metric>, b: Map<string, Metric>): Map<string, Metric> {
  if (b.size === 0 || a === b) return a;
  if (a.size === 0) return b;
  const metrics = b.values();
  if (fresh !== null && fresh.has(a)) {
    for (const key of b.keys()) {
      const metric = metrics.next().value as Metric;
      const mine = a.get(key);
      if (mine === undefined) a.set(key, metric);
      else if (fresh.has(mine)) mergeMetricInPlace(mine, metric);
      else {
        const merged = foldMetric(mine, metric);
        if (merged === mine) continue;
        if (merged !== metric) fresh.add(merged);
        a.set(key, merged);
      }
    }
    return a;
  }
  let out: Map<string, Metric> | undefined;
  for (const key of b.keys()) {
    const metric = metrics.next().value as Metric;
    const mine = a.get(key);
    const merged = mine === undefined ? metric : fresh !== null ? foldMetric(mine, metric) : mergeMetric(mine, metric);
    if (merged === mine) continue;
    out ??= copyMap(a);
    if (fresh !== null && merged !== metric) fresh.add(merged);
    out.set(key, merged);
  }
  return out ?? a;
}

/**
 * `mergeNodeInto(copyNode(a), b, isHost)` as a new node, or `a` itself when `b` adds nothing.
 * Neither input is changed; the result may share their Maps, so it must not be mutated.
 */
function mergeNodesShared(a: Node, b: Node, isHost: boolean): Node {
  const topology = a.topology === '' ? b.topology : a.topology;
  if (b.latest.size > 0 && (isHost || topology === 'host' || b.topology === 'host')) {
    const mine = a.latest.get(ACTIVE_CONTROLS_KEY);
    const theirs = b.latest.get(ACTIVE_CONTROLS_KEY);
    if (mine !== undefined && theirs !== undefined && mine.value !== theirs.value) {
      // Host controls are unioned: the rare case, done the plain way.
      const out = copyNode(a);
      mergeNodeInto(out, b, isHost);
      fresh?.add(out);
      return out;
    }
  }
  const id = a.id === '' ? b.id : a.id;
  if (fresh !== null && fresh.has(a)) {
    // Made earlier in this fold: merged into in place (see `fresh`).
    a.id = id;
    a.topology = topology;
    a.sets = mergeSetsShared(a.sets, b.sets);
    a.adjacency = mergeStringSets(a.adjacency, b.adjacency);
    a.latest = mergeLatestShared(a.latest, b.latest);
    a.metrics = mergeMetricsShared(a.metrics, b.metrics);
    a.parents = mergeSetsShared(a.parents, b.parents);
    if (b.children !== null) {
      const children = a.children !== null && fresh.has(a.children) ? a.children : copyMap(a.children ?? NONE);
      setAll(children as Map<string, Node>, b.children);
      a.children = children as Map<string, Node>;
    }
    return a;
  }
  const sets = mergeSetsShared(a.sets, b.sets);
  const adjacency = mergeStringSets(a.adjacency, b.adjacency);
  const latest = mergeLatestShared(a.latest, b.latest);
  const metrics = mergeMetricsShared(a.metrics, b.metrics);
  const parents = mergeSetsShared(a.parents, b.parents);
  let children = a.children;
  if (b.children !== null) {
    const copy = copyMap((a.children ?? NONE) as ReadonlyMap<string, Node>);
    setAll(copy, b.children);
    children = copy;
  }
  if (id === a.id && topology === a.topology && sets === a.sets && adjacency === a.adjacency && latest === a.latest &&
    metrics === a.metrics && parents === a.parents && children === a.children) {
    return a;
  }
  const node = { id, topology, sets, adjacency, latest, metrics, parents, children };
  fresh?.add(node);
  return node;
}

/** `dst.set(key, value)` for each entry of `src`, in its order. */
function setAll<V>(dst: Map<string, V>, src: ReadonlyMap<string, V>): void {
  const values = src.values();
  for (const key of src.keys()) dst.set(key, values.next().value as V);
}

/** Union; on a conflict the template with the higher `priority` wins (`dst`'s on a tie). */
function mergeByPriorityInto<T extends MetadataTemplate | MetricTemplate>(dst: Map<string, T>, src: Map<string, T>): void {
  const templates = src.values();
  for (const key of src.keys()) {
    const template = templates.next().value as T;
    const existing = dst.get(key);
    if (existing === undefined || template.priority > existing.priority) dst.set(key, template);
  }
}

/**
 * `mergeTopologyInto` where nodes are shared wherever the merge allows (see `mergeNodesShared`).
 * A Map of `dst` that is the shared `EMPTY_MAP` (lean results) is replaced before it is written.
 */
function mergeTopologySharing(dst: Topology, src: Topology, isHost: boolean, withNodes = true): void {
  if (dst.shape === '') dst.shape = src.shape;
  if (dst.tag === '') dst.tag = src.tag;
  if (dst.label === '' && src.label !== '') {
    dst.label = src.label;
    dst.labelPlural = src.labelPlural;
  }
  if (withNodes && src.nodes.size > 0) {
    if (dst.nodes === NONE) dst.nodes = new Map();
    const nodes = dst.nodes;
    const srcNodes = src.nodes.values();
    for (const key of src.nodes.keys()) {
      const node = srcNodes.next().value as Node;
      const existing = nodes.get(key);
      if (existing === undefined) nodes.set(key, node);
      else {
        const merged = mergeNodesShared(existing, node, isHost);
        if (merged !== existing) nodes.set(key, merged);
      }
    }
  }
  if (src.controls.size > 0) {
    if (dst.controls === NONE) dst.controls = new Map();
    setAll(dst.controls, src.controls);
  }
  if (src.metadataTemplates.size > 0) {
    if (dst.metadataTemplates === NONE) dst.metadataTemplates = new Map();
    mergeByPriorityInto(dst.metadataTemplates, src.metadataTemplates);
  }
  if (src.metricTemplates.size > 0) {
    if (dst.metricTemplates === NONE) dst.metricTemplates = new Map();
    mergeByPriorityInto(dst.metricTemplates, src.metricTemplates);
  }
  if (src.tableTemplates.size > 0) {
    if (dst.tableTemplates === NONE) dst.tableTemplates = new Map();
    const templates = src.tableTemplates.values();
    for (const key of src.tableTemplates.keys()) {
      const template = templates.next().value as TableTemplate;
      const existing = dst.tableTemplates.get(key);
      dst.tableTemplates.set(key, existing === undefined ? template : mergeTableTemplate(existing, template));
    }
  }
}

/** Nothing to merge: most topologies of a probe's report are empty. */
function isBare(t: Topology): boolean {
  return t.nodes.size === 0 && t.controls.size === 0 && t.shape === '' && t.tag === '' && t.label === '' &&
    t.metadataTemplates.size === 0 && t.metricTemplates.size === 0 && t.tableTemplates.size === 0;
}

/** Union by `id`, kept sorted by id (the wire order); on a conflict `dst`'s spec stays. */
function mergePluginsInto(dst: PluginSpec[], src: readonly PluginSpec[]): void {
  let added = false;
  for (const spec of src) {
    if (!dst.some((p) => p.id === spec.id)) {
      dst.push(spec);
      added = true;
    }
  }
  if (added) dst.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}

/** The report-level part of {@link mergeReportIntoShared}: everything but the topologies. */
function mergeReportFieldsInto(out: Report, src: Report): void {
  if (src.ts !== ZERO_TIME && (out.ts === ZERO_TIME || src.ts < out.ts)) out.ts = src.ts;
  out.windowNanos += src.windowNanos;
  out.sampling.count += src.sampling.count;
  out.sampling.total += src.sampling.total;
  if (src.plugins.length > 0) mergePluginsInto(out.plugins, src.plugins);
  mergeDnsInto(out.dns, src.dns);
}

/**
 * Merges `src` into `out` in place, as one step of {@link mergeReportsShared}: `out` must own its
 * report-level containers (its topologies' Maps, `dns`, `plugins`, `sampling`) — a result of
 * `makeReport()`, `mergeReportsShared` or `mergeReportsLean` nobody else writes to — while its
 * nodes stay shared and are replaced, never written. `out`'s lean topologies (`makeLeanReport`)
 * are replaced by topologies of its own when something is merged into them. A lean topology of
 * `src` holds only the presentation defaults `out` started with, so it is skipped.
 * Throws on malformed input, leaving `out` part-merged.
 */
export function mergeReportIntoShared(out: Report, src: Report): void {
  mergeReportFieldsInto(out, src);
  for (const { name } of TOPOLOGIES) {
    const t = src.topologies[name];
    if (isBare(t) || isLeanTopology(t)) continue;
    let dst = out.topologies[name];
    if (isLeanTopology(dst)) out.topologies[name] = dst = { ...dst };
    mergeTopologySharing(dst, t, name === 'host');
  }
}

/**
 * Folds `reports` left to right into a new report (as `mergeReportInto` into `makeReport()`
 * would), sharing nodes that only one input holds. The result must be treated as read-only.
 * Throws (a TypeError, say) if an input is malformed; the inputs are left unchanged either way.
 */
export function mergeReportsShared(reports: Iterable<Report>): Report {
  const list = Array.isArray(reports) ? (reports as readonly Report[]) : [...reports];
  const out = makeReport();
  // Topology by topology (topologies merge independently: the same result as report by report).
  for (const src of list) mergeReportFieldsInto(out, src);
  for (const { name } of TOPOLOGIES) {
    const dst = out.topologies[name];
    const isHost = name === 'host';
    let merges: Map<string, Node> | undefined;
    for (let i = 0; i < list.length; i++) {
      const t = list[i]!.topologies[name];
      if (isBare(t) || isLeanTopology(t)) continue;
      mergeTopologySharing(dst, t, isHost, false);
      if (t.nodes.size > 0) merges = insertNodes(dst.nodes, t.nodes, list, i, name, isHost, merges);
    }
  }
  return out;
}

/**
 * The node step of {@link mergeReportsShared} for input `i`: each of its nodes set under its key,
 * merged with what the key held before when it was there already. The app's window merge (500
 * probes' parts, ~80k nodes) finds a key there only for the few nodes several probes report (an
 * image, say), so the node is set at once and the Map's size tells whether it replaced one — one
 * lookup in a Map far larger than the cache instead of a lookup and then an insert. The value it
 * replaced is an earlier merge (`merges`, returned) or else the one earlier input's own node.
 */
function insertNodes(
  nodes: Map<string, Node>,
  src: ReadonlyMap<string, Node>,
  list: readonly Report[],
  i: number,
  name: TopologyName,
  isHost: boolean,
  merges: Map<string, Node> | undefined,
): Map<string, Node> | undefined {
  const values = src.values();
  for (const key of src.keys()) {
    const node = values.next().value as Node;
    const size = nodes.size;
    nodes.set(key, node);
    if (nodes.size !== size) continue;
    const merged = mergeNodesShared(merges?.get(key) ?? earlierNode(list, i, name, key), node, isHost);
    nodes.set(key, merged);
    (merges ??= new Map()).set(key, merged);
  }
  return merges;
}

/** The node under `key` of the first of `list[0..i)` that holds one in topology `name`. */
function earlierNode(list: readonly Report[], i: number, name: TopologyName, key: string): Node {
  for (let j = 0; j < i; j++) {
    const node = list[j]!.topologies[name].nodes.get(key);
    if (node !== undefined) return node;
  }
  throw new Error(`merge: no earlier node under ${key}`);
}

/**
 * {@link mergeReportsShared} into a `makeLeanReport()`: equal data, but topologies nothing was
 * merged into stay the shared frozen ones, and Maps nothing was merged into the shared
 * `EMPTY_MAP`. For results that are only read or merged into with `mergeReportIntoShared` (the
 * app's per-probe merges, which live seconds each: a `makeReport()` shell is ~25 KiB of heap).
 *
 * Topology by topology rather than report by report (the same result: topologies merge
 * independently), and node by node: each key's versions are gathered and merged once
 * ({@link mergeNodesByKey}, {@link mergeNodeRun}) — one node, metric Map and metric made per
 * output, each metric's samples copied once — instead of a lookup, merge and set per report.
 * Only host nodes and nodes with children take the pairwise fold, whose later steps merge into
 * what its earlier ones made (see `fresh`).
 *
 * `spans` (each report's {@link reportSampleSpans}, kept by a caller that folds each report
 * several times) lets topologies whose reports' samples follow each other skip the per-metric
 * date checks; it changes no result.
 */
export function mergeReportsLean(reports: Iterable<Report>, spans?: readonly SampleSpans[]): Report {
  const list = Array.isArray(reports) ? (reports as readonly Report[]) : [...reports];
  if (spans !== undefined && spans.length !== list.length) throw new RangeError('one SampleSpans per report');
  const out = makeLeanReport();
  fresh = new Set();
  try {
    for (const src of list) mergeReportFieldsInto(out, src);
    const sources: Topology[] = [];
    for (const { name } of TOPOLOGIES) {
      let k = 0;
      for (const src of list) {
        const t = src.topologies[name];
        if (!isBare(t) && !isLeanTopology(t)) sources[k++] = t;
      }
      if (k === 0) continue;
      const dst = (out.topologies[name] = { ...out.topologies[name] });
      const isHost = name === 'host';
      if (k === 1) mergeTopologySharing(dst, sources[0]!, isHost);
      else {
        for (let i = 0; i < k; i++) mergeTopologySharing(dst, sources[i]!, isHost, false);
        samplesFollow = spans !== undefined && samplesFollowIn(spans, name);
        const nodes = mergeNodesByKey(sources, k, isHost);
        samplesFollow = false;
        // Left as EMPTY_MAP when no input had a node (as the pairwise fold leaves it).
        if (nodes.size > 0) dst.nodes = nodes;
      }
    }
  } finally {
    fresh = null;
    samplesFollow = false;
  }
  return out;
}

/**
 * Scratch of {@link mergeNodesByKey} and {@link mergeMetricsRun} (neither re-entered): written by
 * index with a count, never truncated (setting an array's length reallocates its store, which
 * cost more than the merges' own allocations), and cleared after use so no stale node or metric
 * stays reachable from them.
 */
const nodeRun: Node[] = [];
const metricColumn: Metric[] = [];

/**
 * The merged nodes of `sources[0..k)`, as the left fold with {@link mergeNodesShared} gives them:
 * each key is merged once, when the walk over the topologies in order first meets it, from its
 * versions in that topology and the later ones ({@link mergeNodeRun}) — so the result's keys come
 * in the order the fold inserts them. A probe's full report and deltas mostly hold the same
 * processes, but not all (they come and go) nor in the same order, and endpoints change every
 * report; a key found in one topology only is shared as it is.
 */
function mergeNodesByKey(sources: readonly Topology[], k: number, isHost: boolean): Map<string, Node> {
  const out = new Map<string, Node>();
  const run = nodeRun;
  let used = 0;
  for (let s = 0; s < k; s++) {
    const nodes = sources[s]!.nodes;
    const values = nodes.values();
    for (const key of nodes.keys()) {
      const node = values.next().value as Node;
      // Met in an earlier topology: merged then with all its versions (a Map's keys are unique).
      if (s > 0 && out.has(key)) continue;
      let n = 0;
      for (let t = s + 1; t < k; t++) {
        const other = sources[t]!.nodes.get(key);
        if (other === undefined) continue;
        if (n === 0) run[n++] = node;
        run[n++] = other;
      }
      if (n > used) used = n;
      out.set(key, n === 0 ? node : mergeNodeRun(run, n, isHost));
    }
  }
  for (let i = 0; i < used; i++) run[i] = undefined as unknown as Node;
  return out;
}

/**
 * The left fold of `run[0..k)` (a node's versions, oldest first; k ≥ 2) with
 * {@link mergeNodesShared}, made in one go: each field merged across the run (with fast paths for
 * a probe's successive reports: the newest latest Map wins every key; metric samples follow each
 * other), one node made, or the first version itself when nothing changed it. Host nodes and
 * nodes with children take the pairwise fold.
 */
function mergeNodeRun(run: readonly Node[], k: number, isHost: boolean): Node {
  const first = run[0]!;
  let plain = !isHost;
  let id = first.id;
  let topology = first.topology;
  for (let i = 0; i < k && plain; i++) {
    const n = run[i]!;
    if (n.topology === 'host' || n.children !== null) plain = false;
    if (id === '') id = n.id;
    if (topology === '') topology = n.topology;
  }
  if (!plain) {
    let acc = first;
    for (let i = 1; i < k; i++) acc = mergeNodesShared(acc, run[i]!, isHost);
    return acc;
  }
  let sets = first.sets;
  let adjacency = first.adjacency;
  let parents = first.parents;
  for (let i = 1; i < k; i++) {
    const n = run[i]!;
    sets = mergeSetsShared(sets, n.sets);
    adjacency = mergeStringSets(adjacency, n.adjacency);
    parents = mergeSetsShared(parents, n.parents);
  }
  const latest = mergeLatestRun(run, k);
  const metrics = mergeMetricsRun(run, k);
  if (id === first.id && topology === first.topology && sets === first.sets && adjacency === first.adjacency &&
    latest === first.latest && metrics === first.metrics && parents === first.parents) {
    return first;
  }
  return { id, topology, sets, adjacency, latest, metrics, parents, children: null };
}

/**
 * The left fold of the run's latest Maps with {@link mergeLatestShared}. When the newest Map has
 * every key of each older one, in the same order, each with a newer entry (or the same one) — a
 * probe re-stamps its entries every report — the fold is that Map: checked in one walk per older
 * Map, with no lookups.
 */
function mergeLatestRun(run: readonly Node[], k: number): LatestMap {
  const last = run[k - 1]!.latest;
  let newest = last.size > 0;
  for (let i = 0; i < k - 1 && newest; i++) {
    const m = run[i]!.latest;
    if (m.size === 0 || m === last) continue;
    if (m.size !== last.size) newest = false;
    else {
      const theirKeys = last.keys();
      const theirs = last.values();
      const mine = m.values();
      for (const key of m.keys()) {
        const entry = theirs.next().value as LatestEntry;
        const old = mine.next().value as LatestEntry;
        if (theirKeys.next().value !== key || (entry !== old && !(entry.timestamp > old.timestamp))) {
          newest = false;
          break;
        }
      }
    }
  }
  if (newest) return last;
  let acc = run[0]!.latest;
  for (let i = 1; i < k; i++) acc = mergeLatestShared(acc, run[i]!.latest);
  return acc;
}

/**
 * The left fold of the run's metric Maps with {@link mergeMetricsShared}. Empty Maps add nothing;
 * when the others hold the same keys (in any order: a probe lists a node's metrics in no fixed
 * order; the result has the first one's, as the fold gives), each metric is merged once across
 * the run ({@link mergeMetricColumn}) into one new Map.
 */
function mergeMetricsRun(run: readonly Node[], k: number): Map<string, Metric> {
  let base: Map<string, Metric> | undefined;
  let first = 0;
  let others = 0;
  let aligned = true;
  for (let i = 0; i < k; i++) {
    const m = run[i]!.metrics;
    if (m.size === 0) continue;
    if (base === undefined) {
      base = m;
      first = i;
    } else {
      others++;
      // Same size here, same keys below.
      if (m.size !== base.size) aligned = false;
    }
  }
  if (base === undefined) return run[0]!.metrics;
  if (others === 0) return base;
  let out: Map<string, Metric> | undefined;
  if (aligned) {
    const column = metricColumn;
    out = new Map<string, Metric>();
    let same = true;
    const metrics = base.values();
    for (const key of base.keys()) {
      const metric = metrics.next().value as Metric;
      let c = 0;
      column[c++] = metric;
      // A lookup in a Map of a few metrics is cheaper than an iterator per Map (an allocation each).
      for (let i = first + 1; i < k; i++) {
        const m = run[i]!.metrics;
        if (m.size === 0) continue;
        const other = m.get(key);
        if (other === undefined) break;
        column[c++] = other;
      }
      if (c !== others + 1) {
        // Same sizes, other keys: the left fold below (rare).
        out = undefined;
        break;
      }
      const merged = mergeMetricColumn(column, c);
      if (merged !== metric) same = false;
      out.set(key, merged);
    }
    for (let i = 0; i <= others; i++) column[i] = undefined as unknown as Metric;
    if (out !== undefined) return same ? base : out;
  }
  let acc = run[0]!.metrics;
  for (let i = 1; i < k; i++) acc = mergeMetricsShared(acc, run[i]!.metrics);
  return acc;
}

/**
 * The left fold of `column[0..k)` (one metric's versions, oldest first) with `mergeMetric`. When
 * each version's samples come after the previous one's — a probe's next samples — the samples
 * are copied once into one array (the newest `MAX_METRIC_SAMPLES`); otherwise the pairwise fold.
 */
function mergeMetricColumn(column: readonly Metric[], k: number): Metric {
  let acc: Metric | undefined;
  let count = 0;
  let total = 0;
  let lastDate = '';
  for (let i = 0; i < k; i++) {
    const m = column[i]!;
    const ss = m.samples;
    if (ss.length === 0) continue;
    if (!samplesFollow) {
      if (acc !== undefined && !(lastDate < ss[0]!.date)) return foldMetrics(column, k);
      lastDate = ss[ss.length - 1]!.date;
    }
    acc ??= m;
    count++;
    total += ss.length;
  }
  if (acc === undefined || count === 1) return acc ?? column[0]!;
  const skip = total > MAX_METRIC_SAMPLES ? total - MAX_METRIC_SAMPLES : 0;
  // Made at its size (pushes into [] allocated 17 slots, then more past 17).
  const samples = new Array<Sample>(total - skip);
  let min = acc.min;
  let max = acc.max;
  let at = 0;
  for (let i = 0; i < k; i++) {
    const m = column[i]!;
    const ss = m.samples;
    if (ss.length === 0) continue;
    if (m !== acc) {
      min = Math.min(min, m.min);
      max = Math.max(max, m.max);
    }
    for (let j = 0; j < ss.length; j++, at++) if (at >= skip) samples[at - skip] = ss[j]!;
  }
  return { samples, min, max };
}

/** `mergeMetric` folded over `column[0..k)`, oldest first. */
function foldMetrics(column: readonly Metric[], k: number): Metric {
  let acc = column[0]!;
  for (let i = 1; i < k; i++) acc = mergeMetric(acc, column[i]!);
  return acc;
}
