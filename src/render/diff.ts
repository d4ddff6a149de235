/**
 * Websocket topology diffs (app §1.6): what was added, changed (deep comparison of the whole
 * summary; the full new summary is sent) or removed since the previous message.
 */
import type { ApiTopologyDiff, NodeSummary } from './api-types.js';

/** Structural equality of JSON values (summaries are plain JSON). */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  for (const k of ka) {
    if (!Object.hasOwn(rb, k) || !jsonEqual(ra[k], rb[k])) return false;
  }
  return true;
}

/**
 * Diff from `prev` to `next`. With no `prev` (first message of a connection) every node is added
 * and `reset` is true. Empty lists are `null`, as Scope sends them.
 */
export function diffTopology(prev: Record<string, NodeSummary> | undefined, next: Record<string, NodeSummary>): ApiTopologyDiff {
  const add: NodeSummary[] = [];
  const update: NodeSummary[] = [];
  const remove: string[] = [];
  const before = prev ?? {};
  for (const id of Object.keys(next)) {
    const n = next[id]!;
    if (!Object.hasOwn(before, id)) add.push(n);
    else if (!jsonEqual(before[id], n)) update.push(n);
  }
  for (const id of Object.keys(before)) if (!Object.hasOwn(next, id)) remove.push(id);
  const diff: ApiTopologyDiff = {
    add: add.length === 0 ? null : add,
    update: update.length === 0 ? null : update,
    remove: remove.length === 0 ? null : remove,
  };
  if (prev === undefined) diff.reset = true;
  return diff;
}
