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
  type LatestMap,
  type MetadataTemplate,
  type Metric,
  type MetricTemplate,
  type Node,
  type PluginSpec,
  type Report,
  type Sample,
  type Sets,
  type Topology,
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
    for (const [key, entry] of b) {
      const mine = a.get(key);
      if (mine === undefined || entry.timestamp > mine.timestamp) a.set(key, entry);
    }
    return a;
  }
  let taken = 0;
  let replaced = 0;
  for (const [key, entry] of b) {
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
  for (const [key, entry] of b) {
    const mine = out.get(key);
    if (mine === undefined || entry.timestamp > mine.timestamp) out.set(key, entry);
  }
  return out;
}

/**
 * A copy of `m` (a for-of copy: `new Map(m)` is 2–3× slower for the few entries node Maps hold),
 * marked `fresh` inside a fold so that the fold's later steps write into it instead of copying it
 * again (a process's latest Map changes in every report of its window).
 */
function copyMap<V>(m: ReadonlyMap<string, V>): Map<string, V> {
  const out = new Map<string, V>();
  for (const [k, v] of m) out.set(k, v);
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
  for (const [key, set] of b) {
    const mine = a.get(key);
    if (mine === undefined || mergeStringSets(mine, set) !== mine) {
      changed = true;
      break;
    }
  }
  if (!changed) return a;
  const out = fresh !== null && fresh.has(a) ? a : copyMap(a);
  for (const [key, set] of b) {
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
  if (fresh !== null && fresh.has(a)) {
    for (const [key, metric] of b) {
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
  for (const [key, metric] of b) {
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
      for (const [key, child] of b.children) children.set(key, child);
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
    for (const [key, child] of b.children) copy.set(key, child);
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

/** Union; on a conflict the template with the higher `priority` wins (`dst`'s on a tie). */
function mergeByPriorityInto<T extends MetadataTemplate | MetricTemplate>(dst: Map<string, T>, src: Map<string, T>): void {
  for (const [key, template] of src) {
    const existing = dst.get(key);
    if (existing === undefined || template.priority > existing.priority) dst.set(key, template);
  }
}

/**
 * `mergeTopologyInto` where nodes are shared wherever the merge allows (see `mergeNodesShared`).
 * A Map of `dst` that is the shared `EMPTY_MAP` (lean results) is replaced before it is written.
 */
function mergeTopologySharing(dst: Topology, src: Topology, isHost: boolean): void {
  if (dst.shape === '') dst.shape = src.shape;
  if (dst.tag === '') dst.tag = src.tag;
  if (dst.label === '' && src.label !== '') {
    dst.label = src.label;
    dst.labelPlural = src.labelPlural;
  }
  if (src.nodes.size > 0) {
    if (dst.nodes === NONE) dst.nodes = new Map();
    const nodes = dst.nodes;
    for (const [key, node] of src.nodes) {
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
    for (const [key, control] of src.controls) dst.controls.set(key, control);
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
    for (const [key, template] of src.tableTemplates) {
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
  if (src.ts !== ZERO_TIME && (out.ts === ZERO_TIME || src.ts < out.ts)) out.ts = src.ts;
  out.windowNanos += src.windowNanos;
  out.sampling.count += src.sampling.count;
  out.sampling.total += src.sampling.total;
  if (src.plugins.length > 0) mergePluginsInto(out.plugins, src.plugins);
  mergeDnsInto(out.dns, src.dns);
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
  const out = makeReport();
  for (const src of reports) mergeReportIntoShared(out, src);
  return out;
}

/**
 * {@link mergeReportsShared} into a `makeLeanReport()`: equal data, but topologies nothing was
 * merged into stay the shared frozen ones, and Maps nothing was merged into the shared
 * `EMPTY_MAP`. For results that are only read or merged into with `mergeReportIntoShared` (the
 * app's per-probe merges, which live seconds each: a `makeReport()` shell is ~25 KiB of heap).
 * Nodes and metrics the fold makes are merged into in place by its later steps (see `fresh`).
 */
export function mergeReportsLean(reports: Iterable<Report>): Report {
  const out = makeLeanReport();
  fresh = new Set();
  try {
    for (const src of reports) mergeReportIntoShared(out, src);
  } finally {
    fresh = null;
  }
  return out;
}
