/**
 * Pseudo-node ids and group-node topologies (app §0): `pseudo:<parts…>`, `group:<topology>:<key>`.
 */
import { PSEUDO, makeRNode, type RNode } from './rnode.js';

export const UNCONTAINED_ID = 'uncontained';
export const UNMANAGED_ID = 'unmanaged';
/**
 * Per-host pseudo node of the process views for processes the report does not hold: connections
 * (eBPF) named their pid, but they exited before the process walk saw them (a `wget` or `curl`
 * in a loop). An OpenScope addition: Scope never knew such pids.
 */
export const SHORT_LIVED_ID = 'shortlived';

/** `pseudo:` + parts joined by `:` (Scope's `MakePseudoNodeID`). */
export function makePseudoNodeId(...parts: string[]): string {
  let id = 'pseudo';
  for (const p of parts) id += `:${p}`;
  return id;
}

/** The id without a leading `pseudo:` (the pseudo "body", used as rank); `ok` false if absent. */
export function parsePseudoNodeId(id: string): { body: string; ok: boolean } {
  const i = id.indexOf(':');
  if (i < 0 || id.slice(0, i) !== 'pseudo') return { body: id, ok: false };
  return { body: id.slice(i + 1), ok: true };
}

export function makeGroupNodeTopology(topology: string, key: string): string {
  return `group:${topology}:${key}`;
}

/** `{ topology, key }` of a group topology, or undefined. */
export function parseGroupNodeTopology(topology: string): { topology: string; key: string } | undefined {
  // Asked for every summarised node; most are not groups, so no split for them.
  if (!topology.startsWith('group:')) return undefined;
  const parts = topology.split(':');
  if (parts.length !== 3 || parts[0] !== 'group') return undefined;
  return { topology: parts[1]!, key: parts[2]! };
}

/** A blank pseudo node. */
export function newPseudoNode(id: string): RNode {
  return makeRNode(id, PSEUDO);
}
