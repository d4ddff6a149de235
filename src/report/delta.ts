/**
 * Full vs delta reports (wire §2.9): the probe's "un-merge" of the last full report from the
 * current one (Go's `UnsafeUnMerge`), and the app's removal of part-merged nodes.
 */
import { setsEqual, stringSetsEqual } from './merge-sets.js';
import { randomReportId } from './model.js';
import { TOPOLOGIES, type LatestMap, type Node, type Sets, type Report, type Topology, type TopologyName } from './types.js';

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
 * `n` reduced against `full`'s node of the same key (Go's `Node.UnsafeUnMerge`): undefined when
 * the node can be left out of the delta entirely, else a partial node. Fields are compared first
 * and the kept node is a shallow copy whose equal parts are replaced by empty ones, so neither
 * input changes and nothing is deep-copied: the probe builds one delta every publish, and copying
 * every node of it was a tenth of its idle allocation (GC is its largest idle cost).
 */
function unmergeNode(n: Node, full: Node): Node | undefined {
  if (n.id !== full.id || n.topology !== full.topology) return n;
  const sameLatest = latestEqualIgnoringTimestamps(n.latest, full.latest);
  const sameSets = setsEqual(n.sets, full.sets);
  const sameParents = setsEqual(n.parents, full.parents);
  const sameAdjacency = stringSetsEqual(n.adjacency, full.adjacency);
  // Counters and children are not produced by probes; metrics never overlap, so any keeps the node.
  if (sameLatest && sameSets && sameParents && sameAdjacency && n.metrics.size === 0) return undefined;
  return {
    ...n,
    id: '',
    topology: '',
    latest: sameLatest ? (new Map() as LatestMap) : n.latest,
    sets: sameSets ? (new Map() as Sets) : n.sets,
    parents: sameParents ? (new Map() as Sets) : n.parents,
    adjacency: sameAdjacency ? [] : n.adjacency,
  };
}

function unmergeTopology(current: Topology, full: Topology): Topology {
  const nodes = new Map<string, Node>();
  for (const [key, node] of current.nodes) {
    const fullNode = full.nodes.get(key);
    if (fullNode === undefined) {
      nodes.set(key, node); // new since the full report: sent complete (shared, not modified)
      continue;
    }
    const reduced = unmergeNode(node, fullNode);
    if (reduced !== undefined) nodes.set(key, reduced);
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
 * neither input is changed, but its nodes share Maps with `current`'s (nodes new since `lastFull`
 * are `current`'s own), so copy the delta before merging into it. DNS, sampling, plugins, window and ts are `current`'s;
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
    // forEach, not for-of [key, node]: V8 allocates an array per entry for the latter.
    nodes.forEach((node, key) => {
      if (node.topology === '') {
        nodes.delete(key);
        removed++;
      }
    });
  }
  return removed;
}
