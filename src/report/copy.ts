/**
 * Copies of report structures.
 *
 * `copyNode`/`copyTopology`/`copyReport` are *merge-safe* copies: every mutable container a merge
 * writes to (Maps, nodes, the plugin array, the sampling object) is new, while values that merges
 * treat as immutable are shared — StringSet arrays, LatestEntry objects, Metric objects (and their
 * Sample arrays), DnsRecord objects, child Nodes, Control/template objects and PluginSpecs. A merge
 * into the copy never changes the original. Code that wants to mutate one of the shared values in
 * place must use `cloneReport` (a full deep copy) first.
 */
import { randomReportId } from './model.js';
import { TOPOLOGIES, type Node, type Report, type Topology, type TopologyName } from './types.js';

/** A copy of a Map; `new Map()` for empty ones skips the iterator protocol (most sets are empty). */
function copyMap<K, V>(m: Map<K, V>): Map<K, V> {
  return m.size === 0 ? new Map<K, V>() : new Map(m);
}

/** Merge-safe copy of a node (see module comment for what is shared). */
export function copyNode(n: Node): Node {
  return {
    id: n.id,
    topology: n.topology,
    sets: copyMap(n.sets),
    adjacency: n.adjacency,
    latest: copyMap(n.latest),
    metrics: copyMap(n.metrics),
    parents: copyMap(n.parents),
    children: n.children === null ? null : copyMap(n.children),
  };
}

/** Merge-safe copy of a topology: new node map of copied nodes, new template/control maps. */
export function copyTopology(t: Topology): Topology {
  const nodes = new Map<string, Node>();
  for (const [key, node] of t.nodes) nodes.set(key, copyNode(node));
  return {
    shape: t.shape,
    tag: t.tag,
    label: t.label,
    labelPlural: t.labelPlural,
    nodes,
    controls: new Map(t.controls),
    metadataTemplates: new Map(t.metadataTemplates),
    metricTemplates: new Map(t.metricTemplates),
    tableTemplates: new Map(t.tableTemplates),
  };
}

/** Merge-safe copy of a report; like Go's `Copy`, the copy gets a new random `id`. */
export function copyReport(r: Report): Report {
  const topologies = {} as Record<TopologyName, Topology>;
  for (const { name } of TOPOLOGIES) topologies[name] = copyTopology(r.topologies[name]);
  return {
    ts: r.ts,
    topologies,
    dns: new Map(r.dns),
    sampling: { count: r.sampling.count, total: r.sampling.total },
    windowNanos: r.windowNanos,
    shortcut: r.shortcut,
    plugins: r.plugins.slice(),
    id: randomReportId(),
  };
}

/** A full deep copy sharing nothing with `r` (keeps `r.id`). */
export function cloneReport(r: Report): Report {
  return structuredClone(r);
}
