// Websocket diffs (app §1.6).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffTopology, type NodeSummary } from '../../src/render/index.js';

const node = (id: string, label = id, extra: Partial<NodeSummary> = {}): NodeSummary => ({ id, label, labelMinor: '', rank: '', shape: 'circle', ...extra });

test('first message: everything added, reset true; empty topology still gets a message', () => {
  assert.deepEqual(diffTopology(undefined, { a: node('a') }), { add: [node('a')], update: null, remove: null, reset: true });
  assert.deepEqual(diffTopology(undefined, {}), { add: null, update: null, remove: null, reset: true });
});

test('add, update (deep comparison, full summary sent), remove; no reset key afterwards', () => {
  const prev = { a: node('a'), b: node('b', 'b', { metrics: [{ id: 'cpu', label: 'CPU', value: 1, samples: null, min: 0, max: 100, url: '' }] }), c: node('c') };
  const next = { a: node('a'), b: node('b', 'b', { metrics: [{ id: 'cpu', label: 'CPU', value: 2, samples: null, min: 0, max: 100, url: '' }] }), d: node('d') };
  const diff = diffTopology(prev, next);
  assert.deepEqual(diff, { add: [node('d')], update: [next.b], remove: ['c'] });
  assert.equal('reset' in diff, false);
  assert.deepEqual(diffTopology(next, { ...next }), { add: null, update: null, remove: null });
  // Key order does not make a change.
  assert.deepEqual(diffTopology({ a: node('a') }, { a: { shape: 'circle', rank: '', labelMinor: '', label: 'a', id: 'a' } }).update, null);
});
