/**
 * Rendered nodes: what the render stages pass along (app §3.2). A rendered node is a report node
 * (or a derived/pseudo/group node) plus the render-only parts Scope keeps on `report.Node`:
 * children and counters.
 *
 * Ownership rule: the `latest`, `sets`, `metrics` and `parents` maps may be shared with the report
 * or with other rendered nodes and are never mutated; a stage that needs to change one builds a new
 * map. A stage may mutate `adjacency`, `children` and `counters` only on nodes it created itself
 * with `makeRNode`, `ownCopy` or `mergeRNodes` (`fromReportNode` may share an empty adjacency),
 * never on its input's nodes, so memoised stage results stay valid.
 */
import { mergeMetric } from '../report/merge-metric.js';
import { mergeStringSets } from '../report/merge-sets.js';
import type { LatestMap, Metric, Node, Sets } from '../report/types.js';

/** Topology of pseudo nodes (Internet, services, Uncontained, Unmanaged). */
export const PSEUDO = 'pseudo';

export interface RNode {
  readonly id: string;
  /** Report topology name, `pseudo`, or a group topology `group:<topology>:<key>`. */
  readonly topology: string;
  readonly latest: LatestMap;
  readonly sets: Sets;
  readonly metrics: ReadonlyMap<string, Metric>;
  /** report topology → parent ids. */
  readonly parents: Sets;
  /** Ids of nodes this node has edges to, in the same rendered view. */
  adjacency: Set<string>;
  /** Flattened children keyed by id (Scope's NodeSet); `null` when none. */
  children: Map<string, RNode> | null;
  /** child topology → number of children of that topology (Scope's `Counters`). */
  counters: Map<string, number> | null;
  /**
   * Scope's `is_connected` mark (ColorConnected, app §3.5), kept as a flag rather than a latest
   * entry so marking does not copy every node's latest map.
   */
  connected?: boolean | undefined;
}

const EMPTY_LATEST: LatestMap = new Map();
const EMPTY_SETS: Sets = new Map();
const EMPTY_METRICS: ReadonlyMap<string, Metric> = new Map();

/** A blank node (Scope's `MakeNode(id).WithTopology(topology)`). */
export function makeRNode(id: string, topology: string): RNode {
  return {
    id,
    topology,
    latest: EMPTY_LATEST,
    sets: EMPTY_SETS,
    metrics: EMPTY_METRICS,
    parents: EMPTY_SETS,
    adjacency: new Set(),
    children: null,
    counters: null,
    connected: undefined,
  };
}

/**
 * Shared adjacency of report nodes without edges, to save one Set per node. Never mutated: stages
 * only mutate the adjacency of nodes they own (`ownCopy`, `makeRNode`), which have their own Set.
 */
const NO_EDGES: Set<string> = new Set();

/** A rendered node standing for report node `n` (keyed by `key`, authoritative over `n.id`). */
export function fromReportNode(key: string, n: Node, topology: string): RNode {
  return {
    id: key,
    topology: n.topology === '' ? topology : n.topology,
    latest: n.latest,
    sets: n.sets,
    metrics: n.metrics,
    parents: n.parents,
    adjacency: n.adjacency.length === 0 ? NO_EDGES : new Set(n.adjacency),
    children: null,
    counters: null,
    connected: undefined,
  };
}

/**
 * A rendered node with every field given, in one fixed layout: copies made through here (rather
 * than object spreads) share one hidden class with `makeRNode`/`fromReportNode` nodes, so the
 * stages' and summaries' property reads stay monomorphic.
 */
export function rnodeOf(
  n: RNode,
  id: string,
  latest: LatestMap,
  parents: Sets,
  adjacency: Set<string>,
  connected: boolean | undefined,
): RNode {
  return {
    id,
    topology: n.topology,
    latest,
    sets: n.sets,
    metrics: n.metrics,
    parents,
    adjacency,
    children: n.children,
    counters: n.counters,
    connected,
  };
}

/** A copy of `n` with new adjacency (other fields shared). */
export function withAdjacency(n: RNode, adjacency: Set<string>): RNode {
  return rnodeOf(n, n.id, n.latest, n.parents, adjacency, n.connected);
}

/** A copy of `n` with a different latest map (other fields shared, adjacency copied). */
export function withLatest(n: RNode, latest: LatestMap): RNode {
  return rnodeOf(n, n.id, latest, n.parents, new Set(n.adjacency), n.connected);
}

/** A copy of `n` with different parents. */
export function withParents(n: RNode, parents: Sets): RNode {
  return rnodeOf(n, n.id, n.latest, parents, new Set(n.adjacency), n.connected);
}

/** A shallow copy of `n` whose adjacency, children and counters the caller may mutate. */
export function ownCopy(n: RNode): RNode {
  return {
    ...n,
    adjacency: new Set(n.adjacency),
    children: n.children === null ? null : new Map(n.children),
    counters: n.counters === null ? null : new Map(n.counters),
  };
}

export function latestValue(n: { latest: LatestMap }, key: string): string | undefined {
  return n.latest.get(key)?.value;
}

function mergeLatest(a: LatestMap, b: LatestMap): LatestMap {
  if (b.size === 0 || a === b) return a;
  if (a.size === 0) return b;
  const out = new Map(a);
  for (const [k, e] of b) {
    const mine = out.get(k);
    if (mine === undefined || e.timestamp > mine.timestamp) out.set(k, e);
  }
  return out;
}

function mergeSetsMaps(a: Sets, b: Sets): Sets {
  if (b.size === 0 || a === b) return a;
  if (a.size === 0) return b;
  const out = new Map(a);
  for (const [k, v] of b) {
    const mine = out.get(k);
    out.set(k, mine === undefined ? v : mergeStringSets(mine, v));
  }
  return out;
}

function mergeMetrics(a: ReadonlyMap<string, Metric>, b: ReadonlyMap<string, Metric>): ReadonlyMap<string, Metric> {
  if (b.size === 0 || a === b) return a;
  if (a.size === 0) return b;
  const out = new Map(a);
  for (const [k, m] of b) {
    const mine = out.get(k);
    out.set(k, mine === undefined ? m : mergeMetric(mine, m));
  }
  return out;
}

/** Adds `child` (and, if `withGrandchildren`, its children) to `into`'s children. */
export function addChild(into: RNode, child: RNode, withGrandchildren: boolean): void {
  const children = (into.children ??= new Map());
  children.set(child.id, child);
  if (withGrandchildren && child.children !== null) {
    for (const [id, c] of child.children) children.set(id, c);
  }
}

/** Increments counter `topology` of `into` by `by`. */
export function addCount(into: RNode, topology: string, by = 1): void {
  const counters = (into.counters ??= new Map());
  counters.set(topology, (counters.get(topology) ?? 0) + by);
}

/**
 * Merge of two nodes with the same id (Scope's `Node.Merge`): newest latest entries win, sets,
 * parents, adjacency and children are unioned, counters summed, metrics merged. The result is a
 * new node owned by the caller; neither input is changed.
 */
export function mergeRNodes(a: RNode, b: RNode): RNode {
  const adjacency = new Set(a.adjacency);
  for (const x of b.adjacency) adjacency.add(x);
  let children: Map<string, RNode> | null = null;
  if (a.children !== null || b.children !== null) {
    children = new Map(a.children ?? []);
    if (b.children !== null) for (const [id, c] of b.children) children.set(id, c);
  }
  let counters: Map<string, number> | null = null;
  if (a.counters !== null || b.counters !== null) {
    counters = new Map(a.counters ?? []);
    if (b.counters !== null) for (const [t, c] of b.counters) counters.set(t, (counters.get(t) ?? 0) + c);
  }
  return mergedRNode(a, b, adjacency, children, counters);
}

/**
 * `mergeRNodes(a, b)` for an `a` whose adjacency, children and counters the caller owns (made by
 * `makeRNode` and grown by `addChild`/`addCount`, never shared): they are extended in place and
 * kept by the result, in the order `mergeRNodes` gives, instead of copied. `a` must not be used
 * afterwards; `b` is not changed.
 */
export function mergeRNodesOwned(a: RNode, b: RNode): RNode {
  const adjacency = a.adjacency;
  for (const x of b.adjacency) adjacency.add(x);
  let children = a.children;
  if (b.children !== null) {
    children ??= new Map();
    for (const [id, c] of b.children) children.set(id, c);
  }
  let counters = a.counters;
  if (b.counters !== null) {
    counters ??= new Map();
    for (const [t, c] of b.counters) counters.set(t, (counters.get(t) ?? 0) + c);
  }
  return mergedRNode(a, b, adjacency, children, counters);
}

/**
 * The merge of `a` and `b` around the already merged `adjacency`, `children` and `counters`
 * (copied by {@link mergeRNodes}, `a`'s own extended by {@link mergeRNodesOwned}).
 */
function mergedRNode(
  a: RNode,
  b: RNode,
  adjacency: RNode['adjacency'],
  children: RNode['children'],
  counters: RNode['counters'],
): RNode {
  return {
    id: a.id,
    topology: a.topology === '' ? b.topology : a.topology,
    latest: mergeLatest(a.latest, b.latest),
    sets: mergeSetsMaps(a.sets, b.sets),
    metrics: mergeMetrics(a.metrics, b.metrics),
    parents: mergeSetsMaps(a.parents, b.parents),
    adjacency,
    children,
    counters,
    connected: a.connected === true || b.connected === true ? true : undefined,
  };
}

/** Merges `n` into the node map (same id ⇒ `mergeRNodes`). */
export function putMerged(nodes: Map<string, RNode>, n: RNode): void {
  const existing = nodes.get(n.id);
  nodes.set(n.id, existing === undefined ? n : mergeRNodes(existing, n));
}

/** The output of a render stage: nodes by id plus the number of nodes filters removed (app §3.2). */
export interface RenderResult {
  readonly nodes: ReadonlyMap<string, RNode>;
  readonly filtered: number;
}

export const EMPTY_RESULT: RenderResult = { nodes: new Map(), filtered: 0 };
