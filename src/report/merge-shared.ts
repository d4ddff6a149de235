/**
 * Copy-on-write report merging for read-only results (the app's window): the merge of many
 * reports into a new one that *shares* every node found under its key in only one input, and
 * copies a node only when a second input has the same key. Reports from different probes hardly
 * overlap (node ids carry the host), so a window of 500 probes costs Map inserts instead of
 * 50,000 node copies. Same result as folding the inputs left to right with `mergeReportInto` into
 * a fresh report.
 *
 * The result's Maps and arrays are its own, but its nodes may be the inputs' objects: neither the
 * result's nodes nor the inputs may be mutated while the result is in use.
 */
import { copyNode } from './copy.js';
import { mergeDnsInto, mergeTableTemplate } from './merge.js';
import { mergeNodeInto } from './merge-node.js';
import { makeReport } from './model.js';
import { TOPOLOGIES, ZERO_TIME, type MetadataTemplate, type MetricTemplate, type Node, type PluginSpec, type Report, type Topology } from './types.js';

/** Union; on a conflict the template with the higher `priority` wins (`dst`'s on a tie). */
function mergeByPriorityInto<T extends MetadataTemplate | MetricTemplate>(dst: Map<string, T>, src: Map<string, T>): void {
  for (const [key, template] of src) {
    const existing = dst.get(key);
    if (existing === undefined || template.priority > existing.priority) dst.set(key, template);
  }
}

/** `mergeTopologyInto` where nodes new to `dst` are shared; `owned` holds the nodes `dst` copied. */
function mergeTopologySharing(dst: Topology, src: Topology, isHost: boolean, owned: Set<Node>): void {
  if (dst.shape === '') dst.shape = src.shape;
  if (dst.tag === '') dst.tag = src.tag;
  if (dst.label === '' && src.label !== '') {
    dst.label = src.label;
    dst.labelPlural = src.labelPlural;
  }
  const nodes = dst.nodes;
  for (const [key, node] of src.nodes) {
    const existing = nodes.get(key);
    if (existing === undefined) {
      nodes.set(key, node);
      continue;
    }
    let target = existing;
    if (!owned.has(existing)) {
      target = copyNode(existing);
      owned.add(target);
      nodes.set(key, target);
    }
    mergeNodeInto(target, node, isHost);
  }
  for (const [key, control] of src.controls) dst.controls.set(key, control);
  mergeByPriorityInto(dst.metadataTemplates, src.metadataTemplates);
  mergeByPriorityInto(dst.metricTemplates, src.metricTemplates);
  for (const [key, template] of src.tableTemplates) {
    const existing = dst.tableTemplates.get(key);
    dst.tableTemplates.set(key, existing === undefined ? template : mergeTableTemplate(existing, template));
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
 * Folds `reports` left to right into a new report (as `mergeReportInto` into `makeReport()`
 * would), sharing nodes that only one input holds. The result must be treated as read-only.
 * Throws (a TypeError, say) if an input is malformed; the inputs are left unchanged either way.
 */
export function mergeReportsShared(reports: Iterable<Report>): Report {
  const out = makeReport();
  const owned = new Set<Node>();
  for (const src of reports) {
    if (src.ts !== ZERO_TIME && (out.ts === ZERO_TIME || src.ts < out.ts)) out.ts = src.ts;
    out.windowNanos += src.windowNanos;
    out.sampling.count += src.sampling.count;
    out.sampling.total += src.sampling.total;
    if (src.plugins.length > 0) mergePluginsInto(out.plugins, src.plugins);
    mergeDnsInto(out.dns, src.dns);
    for (const { name } of TOPOLOGIES) {
      const t = src.topologies[name];
      if (!isBare(t)) mergeTopologySharing(out.topologies[name], t, name === 'host', owned);
    }
  }
  return out;
}
