/**
 * How the interop tests compare what OpenScope's app serves with what Scope 1.13.2's app answered
 * after the same recorded probe reports (fixtures/scope/rendered): node ids, labels, minor labels,
 * ranks, shapes, stacks, parents and adjacency. Metadata values, metrics and tables carry
 * timestamps and samples that differ from run to run and are not compared.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { FIXTURES } from './openscope-process.js';

/** The fields of a node summary that are compared. */
export interface ComparedSummary {
  id: string;
  label?: string;
  labelMinor?: string;
  rank?: string;
  shape?: string;
  stack?: boolean;
  parents?: Array<{ id: string; label: string; topologyId: string }>;
  adjacency?: string[];
}

export type SummariesById = Record<string, ComparedSummary>;

/** Scope's nodes for `/api/topology/<name>` (`name` like `containers`, or `hosts.filtered` with filters). */
export function scopeRendered(name: string): SummariesById {
  return (JSON.parse(readFileSync(`${FIXTURES}rendered/${name}.json`, 'utf8')) as { nodes: SummariesById }).nodes;
}

/** What must match Scope exactly, in an order-independent form. */
function comparable(s: ComparedSummary): unknown {
  return {
    id: s.id,
    label: s.label,
    labelMinor: s.labelMinor,
    rank: s.rank,
    shape: s.shape,
    stack: s.stack ?? false,
    parents: (s.parents ?? []).map((p) => `${p.topologyId}:${p.id}:${p.label}`).sort(),
    adjacency: [...(s.adjacency ?? [])].sort(),
  };
}

const comparableList = (nodes: SummariesById): unknown[] => Object.keys(nodes).sort().map((id) => comparable(nodes[id]!));

/** Whether `actual` already matches `expected` (to poll while an app is still taking reports in). */
export function matchesScope(actual: SummariesById, expected: SummariesById): boolean {
  return isDeepStrictEqual(comparableList(actual), comparableList(expected));
}

/** Asserts the same node ids as Scope and, node by node, the same compared fields. */
export function assertMatchesScope(actual: SummariesById, expected: SummariesById): void {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), 'node ids');
  for (const [id, exp] of Object.entries(expected)) {
    const act = actual[id];
    assert.ok(act, id);
    assert.deepEqual(comparable(act), comparable(exp), `node ${id}`);
  }
}
