/**
 * The probe's delta report (wire §2.9): `unmergeReport(current, lastFull)` of report/delta.ts
 * (Go's `UnsafeUnMerge`) with the same content, for a report that is only encoded and then
 * dropped: parts equal to the full report's are one shared read-only empty Map instead of a new
 * Map each, topologies with nothing left are one shared read-only bare topology, and Maps are
 * walked with `forEach` (no iterator garbage). The probe builds one delta per publish.
 */
import { randomReportId, readOnlyEmptyMap } from '../report/model.js';
import { setsEqual, stringSetsEqual } from '../report/merge.js';
import { TOPOLOGIES, type LatestMap, type Node, type Report, type Sets, type Topology, type TopologyName } from '../report/types.js';

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
 * polymorphic. Never written: deltas are only encoded.
 */
const NO_LATEST: LatestMap = new Map();
const NO_SETS: Sets = new Map();

/** `n` reduced against `full` (report/delta.ts `unmergeNode`): undefined when nothing is left. */
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
 * The delta of `current` against the last full report (same content as report/delta.ts
 * `unmergeReport`). Read-only: it shares Maps with `current` and with every other delta; encode
 * it, never merge into it.
 */
export function unmergeForPublish(current: Report, lastFull: Report): Report {
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
