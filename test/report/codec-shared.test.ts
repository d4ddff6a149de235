/**
 * What the msgpack decoder shares between decoded nodes to keep stored reports small: one
 * read-only empty Map and one frozen empty StringSet, one LatestEntry per distinct
 * (timestamp, value) of a report, one Sample per distinct (date, value), one Metric per distinct metric,
 * and the shared empty Map for empty topology Maps. Shared values must be equal to unshared ones and refuse writes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encode as libEncode } from '@msgpack/msgpack';
import { decodeReport, encodeReport } from '../../src/report/codec/index.js';
import { copyNode } from '../../src/report/copy.js';
import { mergeReportInto, mergeReports } from '../../src/report/merge.js';
import { makeNode, makeReport } from '../../src/report/model.js';
import { probeFixtures } from './codec-fixtures.js';

const T = '2023-03-01T12:00:00.123456789Z';

function twoNodes() {
  const r = makeReport();
  const a = makeNode('a;<container>', 'container');
  a.latest.set('state', { timestamp: T, value: 'running' });
  a.latest.set('name', { timestamp: T, value: 'a' });
  const b = makeNode('b;<container>', 'container');
  b.latest.set('state', { timestamp: T, value: 'running' });
  b.latest.set('name', { timestamp: T, value: 'b' });
  b.parents.set('host', ['h;<host>']);
  r.topologies.container.nodes.set(a.id, a);
  r.topologies.container.nodes.set(b.id, b);
  return { r, a, b };
}

test('empty maps and sets of decoded nodes are shared, equal to fresh ones, and refuse writes', () => {
  const { r } = twoNodes();
  const d = decodeReport(encodeReport(r, 'msgpack'), 'msgpack');
  assert.deepStrictEqual(d, { ...r, id: d.id });
  const a = d.topologies.container.nodes.get('a;<container>')!;
  const b = d.topologies.container.nodes.get('b;<container>')!;
  assert.equal(a.sets, b.sets);
  assert.equal(a.parents, a.metrics);
  assert.equal(a.adjacency, b.adjacency);
  assert.deepStrictEqual(a.sets, new Map());
  assert.throws(() => a.parents.set('host', ['x']), /read-only/);
  assert.throws(() => a.sets.delete('x'), /read-only/);
  assert.throws(() => a.metrics.clear(), /read-only/);
  assert.throws(() => (a.adjacency as string[]).push('x'), TypeError);
  assert.equal(b.parents.size, 1); // the shared empty Map is still empty
  // Merge-safe copies (what merges write into) get Maps of their own.
  const copy = copyNode(a);
  copy.parents.set('host', ['h;<host>']);
  assert.equal(a.parents.size, 0);
  const merged = mergeReports(d, d);
  assert.deepStrictEqual(merged.topologies.container.nodes.get('a;<container>'), a);
});

test('identical latest entries of one report are one object; entries equal the encoded ones', () => {
  const { r } = twoNodes();
  const d = decodeReport(encodeReport(r, 'msgpack'), 'msgpack');
  const a = d.topologies.container.nodes.get('a;<container>')!;
  const b = d.topologies.container.nodes.get('b;<container>')!;
  assert.equal(a.latest.get('state'), b.latest.get('state'));
  assert.notEqual(a.latest.get('name'), b.latest.get('name'));
  assert.deepStrictEqual(b.latest.get('name'), { timestamp: T, value: 'b' });
});

test('legacy counters give a node with no latest map a latest Map of its own', () => {
  const bytes = libEncode({ Container: { nodes: { c: { counters: { container: 3 } }, d: {} } } });
  const d = decodeReport(bytes, 'msgpack');
  const c = d.topologies.container.nodes.get('c')!;
  assert.equal(c.latest.get('count_container')?.value, '3');
  assert.equal(d.topologies.container.nodes.get('d')!.latest.size, 0);
});

test('recorded reports decode to the same model through msgpack and its JSON form', () => {
  for (const f of probeFixtures()) {
    const m = decodeReport(f.msgpack, 'msgpack');
    const j = decodeReport(encodeReport(m, 'json'), 'json');
    assert.deepStrictEqual(j, m, f.name);
  }
});

test('identical samples and metrics of one report are one object, -0 apart; they equal the encoded ones', () => {
  const T2 = '2023-03-01T12:00:01.000000000Z';
  const r = makeReport();
  const ids = ['p1', 'p2', 'p3', 'p4', 'p5'];
  for (const id of ids) {
    const n = makeNode(`h;${id}`, 'process');
    n.metrics.set('memory', { samples: [{ date: T, value: 0 }, { date: T2, value: 0 }], min: 0, max: 1024 });
    // p3's cpu differs in its last value, p4's in max only (p5's is p4's); p4's memory holds a -0.
    n.metrics.set('cpu', { samples: [{ date: T, value: 1.5 }, { date: T2, value: id === 'p3' ? 2 : 0.5 }], min: 0, max: id === 'p4' || id === 'p5' ? 100 : 200 });
    if (id === 'p4') n.metrics.set('memory', { samples: [{ date: T, value: 0 }, { date: T2, value: -0 }], min: 0, max: 1024 });
    r.topologies.process.nodes.set(n.id, n);
  }
  const d = decodeReport(encodeReport(r, 'msgpack'), 'msgpack');
  assert.deepStrictEqual(d, { ...r, id: d.id });
  const [p1, p2, p3, p4, p5] = ids.map((id) => d.topologies.process.nodes.get(`h;${id}`)!);
  assert.equal(p1!.metrics.get('memory'), p2!.metrics.get('memory'));
  assert.equal(p1!.metrics.get('memory'), p3!.metrics.get('memory'));
  assert.equal(p1!.metrics.get('cpu'), p2!.metrics.get('cpu'));
  assert.notEqual(p1!.metrics.get('cpu'), p3!.metrics.get('cpu'));
  assert.notEqual(p1!.metrics.get('cpu'), p4!.metrics.get('cpu'));
  // A second metric with the same newest sample is looked for among the candidates too.
  assert.equal(p5!.metrics.get('cpu'), p4!.metrics.get('cpu'));
  assert.notEqual(p1!.metrics.get('memory'), p4!.metrics.get('memory'));
  assert.ok(Object.is(p4!.metrics.get('memory')!.samples[1]!.value, -0));
  // Same (date, value) in different metrics: one sample object.
  assert.equal(p3!.metrics.get('cpu')!.samples[0], p1!.metrics.get('cpu')!.samples[0]);
  assert.equal(p1!.metrics.get('memory')!.samples[0], p4!.metrics.get('memory')!.samples[0]);
  // Another decode shares nothing with this one.
  const again = decodeReport(encodeReport(r, 'msgpack'), 'msgpack');
  assert.notEqual(again.topologies.process.nodes.get('h;p1')!.metrics.get('memory'), p1!.metrics.get('memory'));
});

test('empty topology Maps of a decoded report are the shared empty Map; merging from it (adopting too) still works', () => {
  const { r } = twoNodes();
  const d = decodeReport(encodeReport(r, 'msgpack'), 'msgpack');
  assert.equal(d.topologies.pod.nodes, d.topologies.host.controls);
  assert.equal(d.topologies.container.metricTemplates, d.topologies.pod.nodes);
  assert.throws(() => d.topologies.pod.nodes.set('x', makeNode('x')), TypeError);
  assert.deepStrictEqual(d, { ...r, id: d.id });
  const into = makeReport();
  mergeReportInto(into, d, { adoptSource: true });
  into.topologies.pod.nodes.set('p;<pod>', makeNode('p;<pod>', 'pod'));
  assert.equal(into.topologies.container.nodes.size, 2);
  assert.equal(into.topologies.pod.nodes.size, 1);
});
