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
import { writeGoBinaryTime } from '../../src/report/codec/wire-time.js';
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

/** A tiny msgpack writer whose field names can be spelt as str8 (fixstr is what encoders write). */
class Str8 { constructor(readonly s: string) {} }
class GoTime { constructor(readonly t: string) {} }
function mp(v: unknown, out: number[] = []): number[] {
  const str = (s: string, wide: boolean): void => {
    const bytes = Buffer.from(s, 'utf8');
    if (!wide && bytes.length < 32) out.push(0xa0 | bytes.length); else out.push(0xd9, bytes.length);
    out.push(...bytes);
  };
  if (v === null) out.push(0xc0);
  else if (typeof v === 'number') { const b = Buffer.alloc(9); b[0] = 0xcb; b.writeDoubleBE(v, 1); out.push(...b); }
  else if (typeof v === 'string') str(v, false);
  else if (v instanceof Str8) str(v.s, true);
  else if (v instanceof GoTime) { const b = new Uint8Array(15); writeGoBinaryTime(v.t, b, 0); out.push(0xaf, ...b); }
  else if (Array.isArray(v)) { out.push(0x90 | v.length); for (const x of v) mp(x, out); }
  else if (v instanceof Map) { out.push(0x80 | v.size); for (const [k, x] of v) { mp(k, out); mp(x, out); } }
  else throw new Error(`mp: cannot write a ${typeof v}`);
  return out;
}

test('field names spelt otherwise (str8), in another order or beside unknown fields decode the same', () => {
  const T2 = '2023-03-01T12:00:01.000000000Z';
  const report = (wide: boolean, reorder: boolean): Uint8Array => {
    const f = (s: string): unknown => (wide ? new Str8(s) : s);
    const fields = (...kv: [unknown, unknown][]): Map<unknown, unknown> => new Map(reorder ? kv.reverse() : kv);
    const entry = (t: string, value: string) => fields([f('timestamp'), new GoTime(t)], [f('value'), value], [f('extra'), 1]);
    const sample = (t: string, value: number) => fields([f('date'), new GoTime(t)], [f('value'), value], [f('extra'), null]);
    const node = (id: string, state: string) => fields(
      [f('id'), id], [f('topology'), 'process'], [f('sets'), null], [f('adjacency'), ['x', 'y']],
      [f('latest'), new Map([['state', entry(T, state)], ['pid', entry(T2, '42')]])],
      [f('metrics'), new Map([['cpu', fields([f('samples'), [sample(T, 1.5), sample(T2, 0)]], [f('min'), 0], [f('max'), 100], [f('extra'), 'x'])]])],
      [f('parents'), new Map([['host', ['h;<host>']]])], [f('children'), null], [f('unknown'), [1, 2]],
    );
    return Uint8Array.from(mp(new Map([['Process', new Map([['nodes', new Map([['h;1', node('h;1', 'up')], ['h;2', node('h;2', 'up')]])]])]])));
  };
  const plain = decodeReport(report(false, false), 'msgpack');
  const n1 = plain.topologies.process.nodes.get('h;1')!;
  assert.deepStrictEqual(n1.latest.get('state'), { timestamp: T, value: 'up' });
  assert.deepStrictEqual(n1.latest.get('pid'), { timestamp: T2, value: '42' });
  assert.deepStrictEqual(n1.metrics.get('cpu'), { samples: [{ date: T, value: 1.5 }, { date: T2, value: 0 }], min: 0, max: 100 });
  assert.deepStrictEqual(n1.adjacency, ['x', 'y']);
  assert.deepStrictEqual([...n1.parents], [['host', ['h;<host>']]]);
  const n2 = plain.topologies.process.nodes.get('h;2')!;
  assert.equal(n1.latest.get('state'), n2.latest.get('state'));
  assert.equal(n1.metrics.get('cpu'), n2.metrics.get('cpu'));
  assert.equal(n1.parents, n2.parents);
  for (const [wide, reorder] of [[true, false], [false, true], [true, true]] as const) {
    const d = decodeReport(report(wide, reorder), 'msgpack');
    assert.deepStrictEqual({ ...d, id: '' }, { ...plain, id: '' }, `wide ${wide}, reordered ${reorder}`);
  }
});

test('many distinct entries, samples and metrics in one report: all decoded right, repeats still one object', () => {
  const r = makeReport();
  for (let i = 0; i < 3000; i++) {
    const n = makeNode(`h;${i}`, 'process');
    n.latest.set('pid', { timestamp: T, value: String(i) });
    n.latest.set('state', { timestamp: T, value: 'running' });
    n.metrics.set('cpu', { samples: [{ date: T, value: i / 7 }], min: 0, max: 100 });
    n.metrics.set('memory', { samples: [{ date: T, value: 0 }], min: 0, max: 1024 });
    r.topologies.process.nodes.set(n.id, n);
  }
  const d = decodeReport(encodeReport(r, 'msgpack'), 'msgpack');
  assert.deepStrictEqual(d, { ...r, id: d.id });
  const first = d.topologies.process.nodes.get('h;0')!;
  const last = d.topologies.process.nodes.get('h;2999')!;
  assert.equal(first.latest.get('state'), last.latest.get('state'));
  assert.equal(first.metrics.get('memory'), last.metrics.get('memory'));
  assert.notEqual(first.metrics.get('cpu'), last.metrics.get('cpu'));
});

test('after a report too large for the sharing tables to stay big, the next report still shares', () => {
  const r = makeReport();
  for (let i = 0; i < 9000; i++) {
    const n = makeNode(`h;${i}`, 'process');
    n.latest.set('pid', { timestamp: T, value: String(i) });
    n.metrics.set('cpu', { samples: [{ date: T, value: i }], min: 0, max: i });
    r.topologies.process.nodes.set(n.id, n);
  }
  const big = decodeReport(encodeReport(r, 'msgpack'), 'msgpack');
  assert.equal(big.topologies.process.nodes.get('h;8999')!.latest.get('pid')!.value, '8999');
  const { r: small } = twoNodes();
  const d = decodeReport(encodeReport(small, 'msgpack'), 'msgpack');
  const a = d.topologies.container.nodes.get('a;<container>')!;
  const b = d.topologies.container.nodes.get('b;<container>')!;
  assert.equal(a.latest.get('state'), b.latest.get('state'));
  assert.deepStrictEqual(d, { ...small, id: d.id });
});
