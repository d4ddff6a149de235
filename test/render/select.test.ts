// select (memo.ts): reuse of rendered nodes for report nodes shared with the previous merged report.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeReport } from '../../src/report/model.js';
import type { Node, Report } from '../../src/report/types.js';
import { forgetRenders } from '../../src/render/index.js';
import { select } from '../../src/render/memo.js';
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
