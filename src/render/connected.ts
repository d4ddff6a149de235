/**
 * Connectivity marks (app §3.5): ColorConnected sets `is_connected` on every node with an edge to
 * or from a different node; self-loops do not count.
 */
import { rnodeOf, type RenderResult, type RNode } from './rnode.js';

export const IS_CONNECTED = 'is_connected';

/** Ids of nodes with at least one edge to or from another node. */
export function connectedIds(nodes: ReadonlyMap<string, RNode>): Set<string> {
  const connected = new Set<string>();
  for (const [id, n] of nodes) {
    for (const a of n.adjacency) {
      if (a !== id) {
        connected.add(id);
        connected.add(a);
      }
    }
  }
  return connected;
}

/** ColorConnected: a copy of `input` whose connected nodes are marked connected. */
export function colorConnected(input: RenderResult): RenderResult {
  // The nodes connectedIds would list, marked as their edges are met (no set of every id); the
  // map is copied at the first edge, and marking in place keeps its order.
  let nodes: Map<string, RNode> | undefined;
  const mark = (id: string): void => {
    const n = nodes!.get(id);
    if (n !== undefined && n.connected !== true) nodes!.set(id, rnodeOf(n, n.id, n.latest, n.parents, n.adjacency, true));
  };
  for (const [id, n] of input.nodes) {
    for (const a of n.adjacency) {
      if (a === id) continue;
      nodes ??= new Map(input.nodes);
      mark(id);
      mark(a);
    }
  }
  return nodes === undefined ? input : { nodes, filtered: input.filtered };
}

/** Marked connected by ColorConnected (or carrying a probe-sent `is_connected`). */
export function isConnected(n: RNode): boolean {
  return n.connected === true || n.latest.has(IS_CONNECTED);
}
