// select (memo.ts): reuse of rendered nodes for report nodes shared with the previous merged report.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeReport } from '../../src/report/model.js';
import type { Node, Report } from '../../src/report/types.js';
import { forgetRenders } from '../../src/render/index.js';
import { select } from '../../src/render/memo.js';
import { renderProcessesBase } from '../../src/render/processes.js';
import { add } from './build.js';

/** A report holding `shared` (kept from report to report, as another probe's part) and a fresh node. */
function reportWith(shared: Node, i: number): Report {
  const r = makeReport();
  r.topologies.process.nodes.set(shared.id, shared);
  add(r, 'process', `h1;fresh${i}`, { latest: { pid: String(i) } });
  return r;
}

test('select: a node shared by consecutive reports is reused again within 8 selections, and from then on', () => {
  const first = makeReport();
  const shared = add(first, 'process', 'h1;1', { latest: { pid: '1', name: 'a' } });
  forgetRenders(first); // starts from no previous selection
  const firstNode = select(first, 'process').nodes.get('h1;1')!;
  // Selections right after one that reused nothing may skip looking up (one probe: nothing is ever shared).
  let reusedAt = -1;
  let last = firstNode;
  for (let i = 1; i <= 8 && reusedAt < 0; i++) {
    const got = select(reportWith(shared, i), 'process').nodes.get('h1;1')!;
    if (got === last) reusedAt = i;
    last = got;
  }
  assert.ok(reusedAt > 0, 'reused within 8 selections');
  // Once reuse is seen, every following selection keeps reusing.
  for (let i = 9; i < 14; i++) {
    const r = reportWith(shared, i);
    const nodes = select(r, 'process').nodes;
    assert.equal(nodes.get('h1;1'), last, `selection ${i} reuses the shared node`);
    assert.equal(nodes.get(`h1;fresh${i}`)!.latest.get('pid')?.value, String(i));
  }
});

test('select: a changed node is never reused, whatever the lookup schedule', () => {
  const r0 = makeReport();
  add(r0, 'process', 'h1;1', { latest: { pid: '1', name: 'a' } });
  forgetRenders(r0);
  let prev = select(r0, 'process').nodes.get('h1;1')!;
  for (let i = 1; i <= 20; i++) {
    const r = makeReport();
    add(r, 'process', 'h1;1', { latest: { pid: '1', name: `a${i}` } });
    const got = select(r, 'process').nodes.get('h1;1')!;
    assert.notEqual(got, prev);
    assert.equal(got.latest.get('name')?.value, `a${i}`);
    prev = got;
  }
});

test('selectOwned: an entry a stage replaced with its own copy (processes-base: a process with endpoints) is never reused', () => {
  // Processes h1;1 and h1;2 are the same report nodes in every report (h1;2 is reused, so lookups
  // go on); each report has a new endpoint of h1;1, so processes-base replaces h1;1's selected
  // node, in the map it owns, with a copy holding that endpoint. Reusing that copy would carry the
  // previous report's endpoint into the next.
  const base = makeReport();
  const proc = add(base, 'process', 'h1;1', { latest: { pid: '1', name: 'a', host_node_id: 'h1;<host>' } });
  const other = add(base, 'process', 'h1;2', { latest: { pid: '2', name: 'b', host_node_id: 'h1;<host>' } });
  forgetRenders(base);
  let reused = 0;
  let lastOther: unknown;
  for (let i = 0; i < 20; i++) {
    const r = makeReport();
    r.topologies.process.nodes.set(proc.id, proc);
    r.topologies.process.nodes.set(other.id, other);
    add(r, 'endpoint', `h1;10.0.0.1;${1000 + i}`, { latest: { pid: '1', host_node_id: 'h1;<host>' } });
    const nodes = renderProcessesBase(r).nodes;
    const got = nodes.get('h1;1')!;
    assert.deepEqual([...got.children!.keys()], [`h1;10.0.0.1;${1000 + i}`], `report ${i}`);
    if (nodes.get('h1;2') === lastOther) reused++;
    lastOther = nodes.get('h1;2');
  }
  assert.ok(reused > 5, `the unchanged process was reused (${reused} times): lookups happened`);
});

test('select: shared nodes are reused wherever they move in the next report (inserted, dropped, reordered, changed nodes around them)', () => {
  const nodeOf = (r: Report, id: string, name: string): Node => add(r, 'process', id, { latest: { pid: id.slice(3), name } });
  const scratch = makeReport();
  const shared = new Map<string, Node>();
  for (let i = 0; i < 200; i++) shared.set(`h1;${i}`, nodeOf(scratch, `h1;${i}`, `p${i}`));
  /** A report of the shared nodes `ids` in that order, plus new nodes where `ids` says `new:<id>`. */
  const reportOf = (ids: string[], tag: string): Report => {
    const r = makeReport();
    for (const id of ids) {
      if (id.startsWith('new:')) nodeOf(r, id.slice(4), `${tag}-${id}`);
      else r.topologies.process.nodes.set(id, shared.get(id)!);
    }
    return r;
  };
  const all = [...shared.keys()];
  const first = reportOf(all, 'first');
  forgetRenders(first);
  let previous = select(first, 'process').nodes;
  // After a selection that reused nothing, lookups may pause for up to 8 selections (LOOKUP_EVERY).
  for (let i = 0; i < 9; i++) {
    const nodes = select(reportOf(all, `warm${i}`), 'process').nodes;
    const reused = nodes.get('h1;0') === previous.get('h1;0');
    previous = nodes;
    if (reused) break;
  }
  // Each next report keeps most shared nodes, in shuffled, shifted or dropped positions, with
  // changed nodes (same key, new node) and new keys among them (a long run of new ones too).
  const layouts: string[][] = [
    [...all.slice(0, 50), 'new:h1;x1', 'new:h1;x2', ...all.slice(50)],
    [...all.slice(0, 10), ...all.slice(20, 120), ...all.slice(10, 20), ...all.slice(150)],
    [...all].reverse(),
    [...Array.from({ length: 100 }, (_, i) => `new:h1;y${i}`), ...all.slice(0, 100), 'new:h1;100', ...all.slice(101)],
    all.filter((_, i) => i % 3 !== 0),
    all,
  ];
  for (const [n, ids] of layouts.entries()) {
    const r = reportOf(ids, `r${n}`);
    const nodes = select(r, 'process').nodes;
    assert.deepEqual([...nodes.keys()], ids.map((id) => (id.startsWith('new:') ? id.slice(4) : id)), `layout ${n}: keys in report order`);
    for (const [key, got] of nodes) {
      assert.equal(got.id, key, `layout ${n}: ${key}`);
      const node = r.topologies.process.nodes.get(key)!;
      assert.equal(got.latest, node.latest, `layout ${n}: ${key} made from this report's node`);
      const before = previous.get(key);
      // A node shared with the previous report (same key, same report node) is that selection's.
      if (before !== undefined && shared.get(key) === node && before.latest === node.latest) assert.equal(got, before, `layout ${n}: ${key} reused`);
    }
    previous = nodes;
  }
});
