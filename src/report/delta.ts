/**
 * Full vs delta reports (wire §2.9): the probe's "un-merge" of the last full report from the
 * current one (Go's `UnsafeUnMerge`), and the app's removal of part-merged nodes.
 */
import { copyNode } from './copy.js';
import { setsEqual, stringSetsEqual } from './merge-sets.js';
import { randomReportId } from './model.js';
import { TOPOLOGIES, type LatestMap, type Node, type Report, type Topology, type TopologyName } from './types.js';

/** Same keys and values, timestamps ignored (Go's `EqualIgnoringTimestamps`). */
function latestEqualIgnoringTimestamps(a: LatestMap, b: LatestMap): boolean {
  if (a.size !== b.size) return false;
  for (const [key, entry] of a) {
    const other = b.get(key);
    if (other === undefined || other.value !== entry.value) return false;
  }
  return true;
}

/**
 * Reduces `n` (a copy the caller owns) against `full`'s node of the same key, in place. Returns
 * true when the node can be left out of the delta entirely (Go's `Node.UnsafeUnMerge`).
 */
function unmergeNode(n: Node, full: Node): boolean {
  if (n.id !== full.id || n.topology !== full.topology) return false;
  n.id = '';
  n.topology = '';
  let remove = true;
  if (latestEqualIgnoringTimestamps(n.latest, full.latest)) n.latest = new Map();
  else remove = false;
  if (setsEqual(n.sets, full.sets)) n.sets = new Map();
  else remove = false;
  if (setsEqual(n.parents, full.parents)) n.parents = new Map();
  else remove = false;
  if (stringSetsEqual(n.adjacency, full.adjacency)) n.adjacency = [];
  else remove = false;
  // Counters and children are not produced by probes; metrics never overlap, so any keeps the node.
  return remove && n.metrics.size === 0;
}

function unmergeTopology(current: Topology, full: Topology): Topology {
  const nodes = new Map<string, Node>();
  for (const [key, node] of current.nodes) {
    const fullNode = full.nodes.get(key);
    if (fullNode === undefined) {
      nodes.set(key, node); // new since the full report: sent complete (shared, not modified)
      continue;
    }
    const reduced = copyNode(node);
    if (!unmergeNode(reduced, fullNode)) nodes.set(key, reduced);
  }
  const sameLabel = current.label === full.label && current.labelPlural === full.labelPlural;
  return {
    shape: current.shape === full.shape ? '' : current.shape,
    tag: current.tag === full.tag ? '' : current.tag,
    label: sameLabel ? '' : current.label,
    labelPlural: sameLabel ? '' : current.labelPlural,
    nodes,
    controls: new Map(current.controls),
    // Deltas drop every template (wire §6.1 #12): the full report in the app's window has them.
    metadataTemplates: new Map(),
    metricTemplates: new Map(),
    tableTemplates: new Map(),
  };
}

/**
 * The delta report of `current` against the last full report `lastFull` (wire §2.9): a new report;
 * neither input is changed, but nodes new since `lastFull` are shared with `current` (not copied),
 * so copy the delta before merging into it. DNS, sampling, plugins, window and ts are `current`'s;
 * the delta gets a new id. `lastFull` + delta carries the same data as `lastFull` + `current`
 * (latest timestamps aside).
 */
export function unmergeReport(current: Report, lastFull: Report): Report {
  const topologies = {} as Record<TopologyName, Topology>;
  for (const { name } of TOPOLOGIES) {
    topologies[name] = unmergeTopology(current.topologies[name], lastFull.topologies[name]);
  }
  return {
    ts: current.ts,
    topologies,
    dns: new Map(current.dns),
    sampling: { count: current.sampling.count, total: current.sampling.total },
    windowNanos: current.windowNanos,
    shortcut: current.shortcut,
    plugins: current.plugins.slice(),
    id: randomReportId(),
  };
}

/**
 * Deletes, in place, the nodes whose `topology` is still empty after merging: partial nodes of
 * delta reports whose full report has left the window (Go's `UnsafeRemovePartMergedNodes`).
 * Returns how many nodes were removed.
 */
export function removePartMergedNodes(report: Report): number {
  let removed = 0;
  for (const { name } of TOPOLOGIES) {
    const nodes = report.topologies[name].nodes;
    for (const [key, node] of nodes) {
      if (node.topology === '') {
        nodes.delete(key);
        removed++;
      }
    }
  }
  return removed;
}
