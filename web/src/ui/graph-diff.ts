/**
 * Applying websocket diffs (app spec §1.6) to the node set, and deriving the edge list.
 * Pure: a new Map is returned, the old one is untouched, unchanged node objects are shared
 * so renderers can compare by identity and redraw only what changed.
 */
import type { NodeSummary, TopologyDiff } from '../domain/api-types.js';

export interface DiffResult {
  nodes: Map<string, NodeSummary>;
  added: string[];
  updated: string[];
  removed: string[];
  /** True when the set of nodes or edges changed (a layout is needed), not only metrics/labels. */
  structureChanged: boolean;
}

function sameAdjacency(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

export function applyDiff(prev: ReadonlyMap<string, NodeSummary>, diff: TopologyDiff): DiffResult {
  const nodes = diff.reset ? new Map<string, NodeSummary>() : new Map(prev);
  const added: string[] = [];
  const updated: string[] = [];
  const removed: string[] = [];
  let structureChanged = false;
  if (diff.reset) {
    for (const id of prev.keys()) removed.push(id);
    structureChanged = prev.size > 0;
  }
  for (const id of diff.remove ?? []) {
    if (nodes.delete(id)) {
      removed.push(id);
      structureChanged = true;
    }
  }
  for (const n of diff.add ?? []) {
    const old = nodes.get(n.id);
    nodes.set(n.id, n);
    if (old && !diff.reset) {
      updated.push(n.id);
      if (!sameAdjacency(old.adjacency, n.adjacency)) structureChanged = true;
    } else {
      added.push(n.id);
      structureChanged = true;
    }
  }
  for (const n of diff.update ?? []) {
    const old = nodes.get(n.id);
    if (!old) continue; // §7.3: updates for unknown ids are ignored
    nodes.set(n.id, n);
    updated.push(n.id);
    if (!sameAdjacency(old.adjacency, n.adjacency)) structureChanged = true;
  }
  if (diff.reset) {
    // A reset that re-sends the same graph is not a structural change for the layout.
    const prevIds = new Set(prev.keys());
    const same = prevIds.size === nodes.size && [...nodes.values()].every((n) => prevIds.has(n.id) && sameAdjacency(prev.get(n.id)?.adjacency, n.adjacency));
    structureChanged = !same;
    const removedReal = removed.filter((id) => !nodes.has(id));
    removed.length = 0;
    removed.push(...removedReal);
  }
  return { nodes, added, updated, removed, structureChanged };
}

/** Computes the full diff between two node sets (for a plain `GET` in paused mode). */
export function diffNodeSets(prev: ReadonlyMap<string, NodeSummary>, next: ReadonlyMap<string, NodeSummary>): TopologyDiff {
  const add: NodeSummary[] = [];
  const update: NodeSummary[] = [];
  const remove: string[] = [];
  for (const [id, n] of next) {
    const old = prev.get(id);
    if (!old) add.push(n);
    else if (JSON.stringify(old) !== JSON.stringify(n)) update.push(n);
  }
  for (const id of prev.keys()) if (!next.has(id)) remove.push(id);
  return { add, update, remove };
}

export interface Edge {
  /** `<source>---<target>`, as Scope names edges. */
  id: string;
  source: string;
  target: string;
}

/** Edges from adjacency lists, only when the target exists (§6.6). Self-loops are kept. */
export function edgesOf(nodes: ReadonlyMap<string, NodeSummary>): Edge[] {
  const edges: Edge[] = [];
  for (const n of nodes.values()) {
    for (const t of n.adjacency ?? []) {
      if (nodes.has(t)) edges.push({ id: `${n.id}---${t}`, source: n.id, target: t });
    }
  }
  return edges;
}

/** Neighbours in both directions of every node. */
export function neighbourIndex(edges: readonly Edge[]): Map<string, Set<string>> {
  const idx = new Map<string, Set<string>>();
  const add = (a: string, b: string): void => {
    let s = idx.get(a);
    if (!s) idx.set(a, (s = new Set()));
    s.add(b);
  };
  for (const e of edges) {
    add(e.source, e.target);
    add(e.target, e.source);
  }
  return idx;
}
