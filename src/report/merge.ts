/**
 * Report and topology merging (wire §2.2, §2.3), plus re-exports of the node, metric and set
 * merges. Two flavours of every merge:
 * - `mergeXInto(dst, src)`: mutates `dst` (which must own its Maps: build it with `makeReport()` or
 *   `copyReport()`), never mutates `src`. For hot paths: the app folds every report of its window
 *   into one accumulator, the probe folds its spy ticks.
 * - `mergeX(a, b)`: pure, returns a new value and changes neither input.
 * Both share values that merges treat as immutable (StringSets, LatestEntry, Metric, DnsRecord,
 * child Nodes, controls, templates, PluginSpecs) between inputs and output; see copy.ts.
 */
import { copyNode, copyReport } from './copy.js';
import { mergeNodeInto } from './merge-node.js';
import { mergeStringSets } from './merge-sets.js';
import {
  TOPOLOGIES,
  ZERO_TIME,
  type DnsRecord,
  type MetadataTemplate,
  type MetricTemplate,
  type PluginSpec,
  type Report,
  type TableTemplate,
  type Topology,
} from './types.js';

export { mergeLatestInto, mergeNode, mergeNodeInto, ACTIVE_CONTROLS_KEY } from './merge-node.js';
export { lastSample, makeMetric, makeSingletonMetric, MAX_METRIC_SAMPLES, mergeMetric, metricsEqual } from './merge-metric.js';
export {
  addToStringSet,
  makeStringSet,
  mergeSets,
  mergeSetsInto,
  mergeStringSets,
  setsEqual,
  stringSetContains,
  stringSetsEqual,
} from './merge-sets.js';

/** Union; on a conflict the template with the higher `priority` wins (`dst`'s on a tie). */
function mergeByPriorityInto<T extends MetadataTemplate | MetricTemplate>(dst: Map<string, T>, src: Map<string, T>): void {
  for (const [key, template] of src) {
    const existing = dst.get(key);
    if (existing === undefined || template.priority > existing.priority) dst.set(key, template);
  }
}

const larger = (a: string, b: string): string => (b > a ? b : a);

/** Field-wise table template merge (wire §2.3): larger strings, longer columns/fixedRows. */
export function mergeTableTemplate(a: TableTemplate, b: TableTemplate): TableTemplate {
  return {
    id: larger(a.id, b.id),
    label: larger(a.label, b.label),
    prefix: larger(a.prefix, b.prefix),
    type: larger(a.type, b.type),
    columns: b.columns.length > a.columns.length ? b.columns : a.columns,
    fixedRows: b.fixedRows.size > a.fixedRows.size ? b.fixedRows : a.fixedRows,
  };
}

/** Options of the in-place merges. */
export interface MergeIntoOptions {
  /**
   * The caller hands `src` over: `dst` may take `src`'s nodes and Maps instead of copying them,
   * and `src` must not be used afterwards. For reports built only to be folded (the probe's spy
   * ticks); never for reports that are merged again (the app's stored reports). Default false.
   */
  adoptSource?: boolean;
}

/**
 * Merges topology `src` into `dst` in place (wire §2.3). Nodes are merged by map key; a node new
 * to `dst` is copied (merge-safe) so later merges into `dst` cannot reach `src`, unless
 * `adoptSource`. `isHost` marks the Host topology, whose nodes union `active_controls` (partial
 * nodes there lack `topology`).
 */
export function mergeTopologyInto(dst: Topology, src: Topology, isHost = false, opts?: MergeIntoOptions): void {
  if (dst === src) return;
  if (dst.shape === '') dst.shape = src.shape;
  if (dst.tag === '') dst.tag = src.tag;
  if (dst.label === '' && src.label !== '') {
    dst.label = src.label;
    dst.labelPlural = src.labelPlural;
  }
  const adopt = opts?.adoptSource === true;
  if (adopt && dst.nodes.size === 0 && src.nodes.size > 0) {
    dst.nodes = src.nodes; // nothing to merge with: take the whole map
  } else {
    for (const [key, node] of src.nodes) {
      const existing = dst.nodes.get(key);
      if (existing === undefined) dst.nodes.set(key, adopt ? node : copyNode(node));
      else mergeNodeInto(existing, node, isHost);
    }
  }
  // Controls: union, on conflict src's value replaces dst's (no deep merge).
  for (const [key, control] of src.controls) dst.controls.set(key, control);
  mergeByPriorityInto(dst.metadataTemplates, src.metadataTemplates);
  mergeByPriorityInto(dst.metricTemplates, src.metricTemplates);
  for (const [key, template] of src.tableTemplates) {
    const existing = dst.tableTemplates.get(key);
    dst.tableTemplates.set(key, existing === undefined ? template : mergeTableTemplate(existing, template));
  }
}

/** Pure topology merge. */
export function mergeTopology(a: Topology, b: Topology, isHost = false): Topology {
  const out: Topology = {
    shape: a.shape,
    tag: a.tag,
    label: a.label,
    labelPlural: a.labelPlural,
    nodes: new Map(),
    controls: new Map(a.controls),
    metadataTemplates: new Map(a.metadataTemplates),
    metricTemplates: new Map(a.metricTemplates),
    tableTemplates: new Map(a.tableTemplates),
  };
  for (const [key, node] of a.nodes) out.nodes.set(key, copyNode(node));
  mergeTopologyInto(out, b, isHost);
  return out;
}

/** Per-address union of forward and reverse names; records are replaced, never mutated. */
export function mergeDnsInto(dst: Map<string, DnsRecord>, src: Map<string, DnsRecord>): void {
  if (dst === src) return;
  for (const [address, record] of src) {
    const existing = dst.get(address);
    if (existing === undefined) {
      dst.set(address, record);
      continue;
    }
    const forward = mergeStringSets(existing.forward, record.forward);
    const reverse = mergeStringSets(existing.reverse, record.reverse);
    if (forward !== existing.forward || reverse !== existing.reverse) dst.set(address, { forward, reverse });
  }
}

/** Union by `id`, kept sorted by id (the wire order); on a conflict `dst`'s spec stays. */
function mergePluginsInto(dst: PluginSpec[], src: readonly PluginSpec[]): void {
  if (dst === src || src.length === 0) return;
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
 * Merges report `src` into `dst` in place (wire §2.2): `ts` earliest non-zero, `windowNanos` and
 * `sampling` summed, plugins unioned by id, DNS unioned per address, topologies merged;
 * `shortcut` and `id` stay `dst`'s. With `adoptSource`, `src` is consumed (see MergeIntoOptions).
 */
export function mergeReportInto(dst: Report, src: Report, opts?: MergeIntoOptions): void {
  if (src.ts !== ZERO_TIME && (dst.ts === ZERO_TIME || src.ts < dst.ts)) dst.ts = src.ts;
  dst.windowNanos += src.windowNanos;
  dst.sampling.count += src.sampling.count;
  dst.sampling.total += src.sampling.total;
  mergePluginsInto(dst.plugins, src.plugins);
  mergeDnsInto(dst.dns, src.dns);
  for (const { name } of TOPOLOGIES) {
    mergeTopologyInto(dst.topologies[name], src.topologies[name], name === 'host', opts);
  }
}

/** Pure report merge: a new report (with a new random `id`, like Go's `Copy`); inputs unchanged. */
export function mergeReports(a: Report, b: Report): Report {
  const out = copyReport(a);
  mergeReportInto(out, b);
  return out;
}

/** Folds any number of reports into a new report, left to right (empty list → `undefined`). */
export function mergeAllReports(reports: readonly Report[]): Report | undefined {
  const first = reports[0];
  if (first === undefined) return undefined;
  const out = copyReport(first);
  for (let i = 1; i < reports.length; i++) mergeReportInto(out, reports[i]!);
  return out;
}

export {
  activeControls,
  addCounter,
  addNode,
  COUNTER_PREFIX,
  hasSet,
  latestValue,
  lookupCounter,
  setMetric,
  withActiveControls,
  withAdjacent,
  withLatest,
  withLatests,
  withParent,
  withParents,
  withSet,
} from './node-ops.js';
