// Websocket diff application (app spec §1.6) and edge derivation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDiff, diffNodeSets, edgesOf, neighbourIndex } from '../../web/src/ui/graph-diff.js';
import type { NodeSummary } from '../../web/src/domain/api-types.js';

const n = (id: string, adjacency?: string[], label = id): NodeSummary => ({ id, label, labelMinor: '', rank: '', ...(adjacency ? { adjacency } : {}) });

test('reset replaces the node set; re-sending the same graph is not a structural change', () => {
  const first = applyDiff(new Map(), { add: [n('a', ['b']), n('b')], update: null, remove: null, reset: true });
  assert.deepEqual([...first.nodes.keys()].sort(), ['a', 'b']);
  assert.equal(first.structureChanged, true);
  const again = applyDiff(first.nodes, { add: [n('a', ['b']), n('b')], update: null, remove: null, reset: true });
  assert.equal(again.structureChanged, false);
  const other = applyDiff(first.nodes, { add: [n('c')], update: null, remove: null, reset: true });
  assert.deepEqual([...other.nodes.keys()], ['c']);
  assert.deepEqual(other.removed.sort(), ['a', 'b']);
});

test('updates keep unchanged nodes by identity and flag only adjacency changes as structural', () => {
  const a = n('a', ['b']);
  const b = n('b');
  const base = applyDiff(new Map(), { add: [a, b], update: null, remove: null, reset: true }).nodes;
  const metricOnly = applyDiff(base, { add: null, update: [n('a', ['b'], 'a2')], remove: null });
  assert.equal(metricOnly.structureChanged, false);
  assert.equal(metricOnly.nodes.get('b'), b, 'untouched node keeps identity');
  assert.equal(metricOnly.nodes.get('a')?.label, 'a2');
  const rewired = applyDiff(base, { add: null, update: [n('a', [])], remove: null });
  assert.equal(rewired.structureChanged, true);
});

test('updates for unknown ids are ignored; removes of unknown ids are no-ops', () => {
  const base = applyDiff(new Map(), { add: [n('a')], update: null, remove: null, reset: true }).nodes;
  const r = applyDiff(base, { add: null, update: [n('zz')], remove: ['nope'] });
  assert.deepEqual([...r.nodes.keys()], ['a']);
  assert.equal(r.structureChanged, false);
  assert.equal(base.size, 1, 'input is not mutated');
});

test('diffNodeSets round-trips through applyDiff', () => {
  const prev = new Map([['a', n('a', ['b'])], ['b', n('b')]]);
  const next = new Map([['b', n('b', [], 'B')], ['c', n('c', ['b'])]]);
  const d = diffNodeSets(prev, next);
  const r = applyDiff(prev, d);
  assert.deepEqual([...r.nodes.keys()].sort(), ['b', 'c']);
  assert.equal(r.nodes.get('b')?.label, 'B');
});

test('edges only to present targets, self-loops kept, neighbours both ways', () => {
  const nodes = new Map([['a', n('a', ['b', 'missing', 'a'])], ['b', n('b', ['c'])], ['c', n('c')]]);
  const edges = edgesOf(nodes);
  assert.deepEqual(edges.map((e) => e.id).sort(), ['a---a', 'a---b', 'b---c']);
  const idx = neighbourIndex(edges);
  assert.deepEqual([...(idx.get('b') ?? [])].sort(), ['a', 'c']);
});
