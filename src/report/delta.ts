/**
 * Full vs delta reports (wire §2.9): the probe's "un-merge" of the last full report from the
 * current one (Go's `UnsafeUnMerge`), and the app's removal of part-merged nodes.
 */
import { setsEqual, stringSetsEqual } from './merge-sets.js';
import { randomReportId, readOnlyEmptyMap } from './model.js';
import { TOPOLOGIES, type LatestMap, type Node, type Report, type Sets, type Topology, type TopologyName } from './types.js';

/** Same keys and values, timestamps ignored (Go's `EqualIgnoringTimestamps`). */
function latestEqualIgnoringTimestamps(a: LatestMap, b: LatestMap): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  let equal = true;
  a.forEach((entry, key) => {
    if (!equal) return;
    const other = b.get(key);
    if (other === undefined || other.value !== entry.value) equal = false;
  });
  return equal;
}

/*
 * The empty parts of partial nodes. Plain Maps, not `readOnlyEmptyMap()`: the encoder iterates
 * every node's sets, latest and parents, and a Map subclass there would make those loops
 * polymorphic. Never written: a delta is read-only (merging it into another report copies them).
 */
const NO_LATEST: LatestMap = new Map();
const NO_SETS: Sets = new Map();

/**
 * `n` reduced against `full`'s node of the same key (Go's `Node.UnsafeUnMerge`): undefined when
 * the node can be left out of the delta entirely, else a partial node whose parts equal to
 * `full`'s are shared empty ones. Counters and children are not produced by probes; metrics never
 * overlap, so any keeps the node.
 */
function unmergeNode(n: Node, full: Node): Node | undefined {
  if (n.id !== full.id || n.topology !== full.topology) return n;
  const sameLatest = latestEqualIgnoringTimestamps(n.latest, full.latest);
  const sameSets = setsEqual(n.sets, full.sets);
  const sameParents = setsEqual(n.parents, full.parents);
  const sameAdjacency = stringSetsEqual(n.adjacency, full.adjacency);
  if (sameLatest && sameSets && sameParents && sameAdjacency && n.metrics.size === 0) return undefined;
  return {
    id: '',
    topology: '',
    sets: sameSets ? NO_SETS : n.sets,
    adjacency: sameAdjacency ? [] : n.adjacency,
    latest: sameLatest ? NO_LATEST : n.latest,
    metrics: n.metrics,
    parents: sameParents ? NO_SETS : n.parents,
    children: n.children,
  };
}

/** A topology with no presentation, nodes, controls or templates, shared by every delta. */
const BARE: Topology = Object.freeze<Topology>({
  shape: '',
  tag: '',
  label: '',
  labelPlural: '',
  nodes: readOnlyEmptyMap(),
  controls: readOnlyEmptyMap(),
  metadataTemplates: readOnlyEmptyMap(),
  metricTemplates: readOnlyEmptyMap(),
  tableTemplates: readOnlyEmptyMap(),
});

function unmergeTopology(current: Topology, full: Topology): Topology {
  const sameLabel = current.label === full.label && current.labelPlural === full.labelPlural;
  const shape = current.shape === full.shape ? '' : current.shape;
  const tag = current.tag === full.tag ? '' : current.tag;
  if (current.nodes.size === 0 && current.controls.size === 0 && shape === '' && tag === '' && sameLabel) return BARE;
  const nodes = new Map<string, Node>();
  const fullNodes = full.nodes;
  current.nodes.forEach((node, key) => {
    const fullNode = fullNodes.get(key);
    if (fullNode === undefined) {
      nodes.set(key, node); // new since the full report: sent complete
      return;
    }
    const reduced = unmergeNode(node, fullNode);
    if (reduced !== undefined) nodes.set(key, reduced);
  });
  return {
    shape,
    tag,
    label: sameLabel ? '' : current.label,
    labelPlural: sameLabel ? '' : current.labelPlural,
    nodes,
    controls: current.controls.size === 0 ? readOnlyEmptyMap() : new Map(current.controls),
    // Deltas drop every template (wire §6.1 #12): the full report in the app's window has them.
    metadataTemplates: readOnlyEmptyMap(),
    metricTemplates: readOnlyEmptyMap(),
    tableTemplates: readOnlyEmptyMap(),
  };
}

/**
 * The delta report of `current` against the last full report `lastFull` (wire §2.9): a new report
 * with a new id; DNS, sampling, plugins, window and ts are `current`'s, and `lastFull` + delta
 * carries the same data as `lastFull` + `current` (latest timestamps aside). Neither input is
 * changed. Read-only, made for a report that is encoded and dropped (the probe builds one per
 * publish, and its idle cost is mostly GC): it shares Maps with `current` and with every other
 * delta (parts equal to the full report's are one shared empty Map, topologies with nothing left
 * one shared bare topology; Maps are walked with `forEach`, which makes no iterator garbage).
 * Encode it or merge it into another report; never merge into it.
 */
export function unmergeReport(current: Report, lastFull: Report): Report {
  const topologies = {} as Record<TopologyName, Topology>;
  for (const { name } of TOPOLOGIES) {
    topologies[name] = unmergeTopology(current.topologies[name], lastFull.topologies[name]);
  }
  return {
    ts: current.ts,
    topologies,
    dns: current.dns.size === 0 ? readOnlyEmptyMap() : new Map(current.dns),
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
