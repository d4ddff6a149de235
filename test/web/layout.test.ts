// Layout: placement is deterministic, isolated nodes go to a grid, and placed nodes never move.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeLayout, type LayoutEdge, type LayoutNode } from '../../web/src/ui/layout.js';

const chain: LayoutNode[] = ['a', 'b', 'c'].map((id) => ({ id, rank: 'x' }));
const chainEdges: LayoutEdge[] = [{ source: 'a', target: 'b' }, { source: 'b', target: 'c' }];

test('a small chain is laid out top to bottom (layered)', () => {
  const r = computeLayout({ nodes: chain, edges: chainEdges, previous: {} });
  assert.equal(r.engine, 'layered');
  const { a, b, c } = r.positions;
  assert.ok(a && b && c);
  assert.ok(a.y < b.y && b.y < c.y);
});

test('nothing new → cached positions are returned untouched', () => {
  const first = computeLayout({ nodes: chain, edges: chainEdges, previous: {} });
  const again = computeLayout({ nodes: chain, edges: chainEdges, previous: first.positions });
  assert.equal(again.engine, 'cache');
  assert.deepEqual(again.positions, first.positions);
});

test('new nodes are placed without moving the old ones; isolated nodes land in a grid', () => {
  const first = computeLayout({ nodes: chain, edges: chainEdges, previous: {} });
  const nodes = [...chain, { id: 'd', rank: 'x' }, { id: 'lonely1', rank: 'y' }, { id: 'lonely2', rank: 'y' }];
  const edges = [...chainEdges, { source: 'd', target: 'b' }];
  const next = computeLayout({ nodes, edges, previous: first.positions });
  assert.equal(next.engine, 'incremental');
  for (const id of ['a', 'b', 'c']) assert.deepEqual(next.positions[id], first.positions[id]);
  for (const id of ['d', 'lonely1', 'lonely2']) assert.ok(next.positions[id], `${id} placed`);
  const d = next.positions['d']!;
  for (const id of ['a', 'b', 'c']) {
    const p = next.positions[id]!;
    assert.ok(Math.hypot(p.x - d.x, p.y - d.y) > 20, `d does not sit on ${id}`);
  }
  assert.equal(next.positions['lonely1']!.y, next.positions['lonely2']!.y, 'grid row');
});

test('bigger graphs use the force layout and every node gets a finite position', () => {
  const nodes: LayoutNode[] = Array.from({ length: 300 }, (_, i) => ({ id: `n${i}`, rank: `r${i % 5}` }));
  const edges: LayoutEdge[] = nodes.slice(1).map((n, i) => ({ source: `n${Math.floor(i / 3)}`, target: n.id }));
  const r = computeLayout({ nodes, edges, previous: {} });
  assert.equal(r.engine, 'force');
  for (const n of nodes) {
    const p = r.positions[n.id];
    assert.ok(p && Number.isFinite(p.x) && Number.isFinite(p.y));
  }
});
