/**
 * Connectivity marks (app §3.5): ColorConnected sets `is_connected` on every node with an edge to
 * or from a different node; self-loops do not count.
 */
import type { LatestMap } from '../report/types.js';
import type { RenderResult, RNode } from './rnode.js';

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

/** ColorConnected: a copy of `input` whose connected nodes carry `is_connected` = `true`. */
export function colorConnected(input: RenderResult, timestamp: string): RenderResult {
  const connected = connectedIds(input.nodes);
  if (connected.size === 0) return input;
  const nodes = new Map(input.nodes);
  for (const id of connected) {
    const n = nodes.get(id);
    if (n === undefined) continue;
    const latest: LatestMap = new Map(n.latest);
    latest.set(IS_CONNECTED, { timestamp, value: 'true' });
    nodes.set(id, { ...n, latest });
  }
  return { nodes, filtered: input.filtered };
}

export function isConnected(n: RNode): boolean {
  return n.latest.has(IS_CONNECTED);
}
