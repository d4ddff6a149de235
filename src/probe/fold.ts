/**
 * The probe's merge of reports it owns (its reporters' reports of one spy tick, its spy ticks at
 * publish): `mergeReportInto(dst, src, { adoptSource: true })` (report/merge.ts, wire §2.2–§2.7)
 * with the same result, written for the probe's idle cost, which is mostly garbage collection:
 * Maps are walked with `forEach` (an unoptimised `for…of` allocates an entry array and an
 * iterator result per entry), topologies with nothing to merge are skipped, and the shared
 * read-only empty topologies of sparse reports (report/model.ts `makeSparseReport`) are never
 * written: `dst` gets a topology of its own first.
 */
import { isSharedEmptyTopology, makeDefaultTopology } from '../report/model.js';
import { mergeDnsInto, mergeMetric, mergeStringSets, mergeTableTemplate, ACTIVE_CONTROLS_KEY } from '../report/merge.js';
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
  type Sets,
  type StringSet,
  type Topology,
  type TopologyName,
} from '../report/types.js';

/** Per key, the later timestamp wins; on a tie `dst` keeps its own (report/merge-node.ts). */
function mergeLatestOwned(dst: LatestMap, src: LatestMap): void {
  src.forEach((entry: LatestEntry, key: string) => {
    const existing = dst.get(key);
    if (existing === undefined || entry.timestamp > existing.timestamp) dst.set(key, entry);
  });
}

function mergeSetsOwned(dst: Sets, src: Sets): void {
  src.forEach((set: StringSet, key: string) => {
    const existing = dst.get(key);
    if (existing === undefined) dst.set(key, set);
    else {
      const merged = mergeStringSets(existing, set);
      if (merged !== existing) dst.set(key, merged);
    }
  });
}

function splitControls(value: string): string[] {
  return value === '' ? [] : value.split(';').filter((c) => c !== '');
}

/** Host nodes: the union of both sides' `active_controls` (report/merge-node.ts). */
function unionActiveControls(dst: LatestMap, src: LatestMap): void {
  const a = dst.get(ACTIVE_CONTROLS_KEY);
  const b = src.get(ACTIVE_CONTROLS_KEY);
  if (a === undefined || b === undefined || a.value === b.value) return;
  const union = [...new Set([...splitControls(a.value), ...splitControls(b.value)])].sort();
  dst.set(ACTIVE_CONTROLS_KEY, { timestamp: a.timestamp >= b.timestamp ? a.timestamp : b.timestamp, value: union.join(';') });
}

/** `mergeNodeInto(dst, src, isHost)`: mutates `dst` (owned), shares `src`'s immutable values. */
function mergeNodeOwned(dst: Node, src: Node, isHost: boolean): void {
  if (dst === src) return;
  if (dst.id === '') dst.id = src.id;
  if (dst.topology === '') dst.topology = src.topology;
  if (src.sets.size > 0) mergeSetsOwned(dst.sets, src.sets);
  dst.adjacency = mergeStringSets(dst.adjacency, src.adjacency);
  if (src.latest.size > 0) {
    if (isHost || dst.topology === 'host' || src.topology === 'host') unionActiveControls(dst.latest, src.latest);
    mergeLatestOwned(dst.latest, src.latest);
  }
  if (src.metrics.size > 0) {
    const metrics = dst.metrics;
    src.metrics.forEach((metric: Metric, key: string) => {
      const existing = metrics.get(key);
      metrics.set(key, existing === undefined ? metric : mergeMetric(existing, metric));
    });
  }
  if (src.parents.size > 0) mergeSetsOwned(dst.parents, src.parents);
  if (src.children !== null) {
    if (dst.children === null) dst.children = new Map(src.children);
    else {
      const children = dst.children;
      src.children.forEach((child, key) => children.set(key, child));
    }
  }
}

/** Union; on a conflict the template with the higher `priority` wins (`dst`'s on a tie). */
function mergeByPriority<T extends MetadataTemplate | MetricTemplate>(dst: Map<string, T>, src: Map<string, T>): void {
  src.forEach((template: T, key: string) => {
    const existing = dst.get(key);
    if (existing === undefined || template.priority > existing.priority) dst.set(key, template);
  });
}

/** Whether merging `t` into anything changes nothing (most topologies of a probe's report). */
function isBare(t: Topology): boolean {
  return t.nodes.size === 0 && t.controls.size === 0 && t.metadataTemplates.size === 0 &&
    t.metricTemplates.size === 0 && t.tableTemplates.size === 0 && t.shape === '' && t.tag === '' && t.label === '';
}

/** `dst`'s own (writable) topology `name`: a shared empty one is replaced by a fresh one first. */
function ownTopology(dst: Report, name: TopologyName): Topology {
  const t = dst.topologies[name];
  if (!isSharedEmptyTopology(t)) return t;
  const own = makeDefaultTopology(name);
  dst.topologies[name] = own;
  return own;
}

/** `mergeTopologyInto(dst, src, isHost, { adoptSource: true })` on `dst`'s topology `name`. */
function foldTopology(dst: Report, name: TopologyName, src: Topology): void {
  const current = dst.topologies[name];
  if (current === src) return;
  // Nothing src could add: presentation is only taken where dst's is empty.
  if (src.nodes.size === 0 && src.controls.size === 0 && src.metadataTemplates.size === 0 &&
    src.metricTemplates.size === 0 && src.tableTemplates.size === 0 &&
    (src.shape === '' || current.shape !== '') && (src.tag === '' || current.tag !== '') &&
    (src.label === '' || current.label !== '')) {
    return;
  }
  const t = ownTopology(dst, name);
  if (t.shape === '') t.shape = src.shape;
  if (t.tag === '') t.tag = src.tag;
  if (t.label === '' && src.label !== '') {
    t.label = src.label;
    t.labelPlural = src.labelPlural;
  }
  if (src.nodes.size > 0) {
    if (t.nodes.size === 0) t.nodes = src.nodes; // owned: take the whole map
    else {
      const nodes = t.nodes;
      const isHost = name === 'host';
      src.nodes.forEach((node: Node, key: string) => {
        const existing = nodes.get(key);
        if (existing === undefined) nodes.set(key, node);
        else mergeNodeOwned(existing, node, isHost);
      });
    }
  }
  if (src.controls.size > 0) {
    const controls = t.controls;
    src.controls.forEach((control, key) => controls.set(key, control));
  }
  if (src.metadataTemplates.size > 0) mergeByPriority(t.metadataTemplates, src.metadataTemplates);
  if (src.metricTemplates.size > 0) mergeByPriority(t.metricTemplates, src.metricTemplates);
  if (src.tableTemplates.size > 0) {
    const tables = t.tableTemplates;
    src.tableTemplates.forEach((template, key) => {
      const existing = tables.get(key);
      tables.set(key, existing === undefined ? template : mergeTableTemplate(existing, template));
    });
  }
}

/** Union by `id`, kept sorted by id; on a conflict `dst`'s spec stays (report/merge.ts). */
function mergePlugins(dst: PluginSpec[], src: readonly PluginSpec[]): void {
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
 * Merges `src` into `dst` in place, consuming `src` (its nodes and Maps may move into `dst`; it
 * must not be used afterwards). Same result as `mergeReportInto(dst, src, { adoptSource: true })`.
 */
export function foldReportInto(dst: Report, src: Report): void {
  if (dst === src) return;
  if (src.ts !== ZERO_TIME && (dst.ts === ZERO_TIME || src.ts < dst.ts)) dst.ts = src.ts;
  dst.windowNanos += src.windowNanos;
  dst.sampling.count += src.sampling.count;
  dst.sampling.total += src.sampling.total;
  if (src.plugins.length > 0 && dst.plugins !== src.plugins) mergePlugins(dst.plugins, src.plugins);
  if (src.dns.size > 0) mergeDnsInto(dst.dns, src.dns);
  for (const { name } of TOPOLOGIES) {
    const t = src.topologies[name];
    if (!isBare(t)) foldTopology(dst, name, t);
  }
}

/**
 * Merges reports the caller owns (no one else references them) into the one with the most nodes,
 * in place; an empty list gives `empty()`.
 */
export function foldOwned(reports: readonly Report[], empty: () => Report): Report {
  if (reports.length === 0) return empty();
  const base = largestReport(reports);
  for (const r of reports) if (r !== base) foldReportInto(base, r);
  return base;
}

/** The report with the most nodes (the first of equals): the cheapest one to merge the others into. */
export function largestReport(reports: readonly Report[]): Report {
  let base = reports[0]!;
  let baseSize = -1;
  for (const r of reports) {
    let n = 0;
    for (const { name } of TOPOLOGIES) n += r.topologies[name].nodes.size;
    if (n > baseSize) {
      base = r;
      baseSize = n;
    }
  }
  return base;
}
