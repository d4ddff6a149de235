import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { cloneReport, copyReport } from '../../src/report/copy.js';
import {
  activeControls,
  addCounter,
  addNode,
  addToStringSet,
  latestValue,
  lookupCounter,
  makeMetric,
  makeSingletonMetric,
  makeStringSet,
  MAX_METRIC_SAMPLES,
  mergeAllReports,
  mergeMetric,
  mergeNode,
  mergeNodeInto,
  mergeReportInto,
  mergeReports,
  mergeStringSets,
  mergeTableTemplate,
  mergeTopology,
  mergeTopologyInto,
  setMetric,
  stringSetContains,
  withActiveControls,
  withAdjacent,
  withLatest,
  withParent,
  withParents,
  withSet,
} from '../../src/report/merge.js';
import { makeNode, makeReport, makeTopology } from '../../src/report/model.js';
import { ZERO_TIME, type Metric, type TableTemplate } from '../../src/report/types.js';
import { arbReport, assertSetsSorted, canonicalNode, canonicalReport, t } from './support.js';

describe('string sets', () => {
  test('union by merge-join, sharing an input when possible', () => {
    const a = ['a', 'c', 'e'];
    assert.deepEqual(mergeStringSets(a, ['b', 'c', 'f']), ['a', 'b', 'c', 'e', 'f']);
    assert.equal(mergeStringSets(a, []), a);
    assert.equal(mergeStringSets([], a), a);
    assert.equal(mergeStringSets(a, ['c']), a, 'subset returns the left set itself');
    assert.deepEqual(mergeStringSets(['x'], ['a', 'b']), ['a', 'b', 'x']);
    assert.deepEqual(mergeStringSets(['a'], ['x', 'y']), ['a', 'x', 'y']);
    assert.equal(mergeStringSets(['c'], a), a, 'left subset of right returns the right set');
  });
  test('makeStringSet sorts and de-duplicates; helpers', () => {
    assert.deepEqual(makeStringSet(['b', 'a', 'b', 'c', 'a']), ['a', 'b', 'c']);
    assert.deepEqual(makeStringSet([]), []);
    const s = ['a', 'c'];
    assert.equal(addToStringSet(s, 'a'), s);
    assert.deepEqual(addToStringSet(s, 'b'), ['a', 'b', 'c']);
    assert.deepEqual(s, ['a', 'c'], 'input not mutated');
    assert.ok(stringSetContains(['a', 'b', 'c'], 'c'));
    assert.ok(!stringSetContains(['a', 'b', 'c'], 'bb'));
  });
});

describe('metrics (wire §2.7)', () => {
  const m = (dates: number[], values: number[], min: number, max: number): Metric => ({
    samples: dates.map((d, i) => ({ date: t(d), value: values[i]! })),
    min,
    max,
  });
  test('an empty side returns the other unchanged, min/max included', () => {
    const full = m([1], [5], 5, 100);
    const empty = m([], [], -7, 1e9);
    assert.equal(mergeMetric(full, empty), full);
    assert.equal(mergeMetric(empty, full), full);
  });
  test('disjoint ranges concatenate in time order', () => {
    const r = mergeMetric(m([3, 4], [3, 4], 3, 4), m([1, 2], [1, 2], 1, 2));
    assert.deepEqual(r.samples.map((s) => s.value), [1, 2, 3, 4]);
    assert.equal(r.min, 1);
    assert.equal(r.max, 4);
  });
  test('overlapping ranges merge-join; equal dates keep the left sample', () => {
    const r = mergeMetric(m([1, 3, 5], [10, 30, 50], 10, 100), m([2, 3, 4], [20, 99, 40], 20, 400));
    assert.deepEqual(r.samples.map((s) => s.value), [10, 20, 30, 40, 50]);
    assert.equal(r.min, 10);
    assert.equal(r.max, 400);
  });
  test('nanosecond-distinct dates are not de-duplicated', () => {
    const a: Metric = { samples: [{ date: t(1, 1), value: 1 }], min: 1, max: 1 };
    const b: Metric = { samples: [{ date: t(1, 2), value: 2 }], min: 2, max: 2 };
    assert.equal(mergeMetric(a, b).samples.length, 2);
  });
  test(`keeps at most the newest ${MAX_METRIC_SAMPLES} samples`, () => {
    const dates = Array.from({ length: 30 }, (_, i) => i * 2);
    const r = mergeMetric(m(dates, dates, 0, 58), m(dates.map((d) => d + 1), dates, 0, 58));
    assert.equal(r.samples.length, MAX_METRIC_SAMPLES);
    assert.equal(r.samples.at(-1)!.date, t(59));
    assert.equal(r.samples[0]!.date, t(60 - MAX_METRIC_SAMPLES));
  });
  test('merging a metric with an equal copy returns the left metric', () => {
    const a = m([1, 2], [1, 2], 1, 2);
    assert.equal(mergeMetric(a, structuredClone(a)), a);
  });
  test('constructors', () => {
    assert.deepEqual(makeSingletonMetric(t(1), 3, 100), { samples: [{ date: t(1), value: 3 }], min: 3, max: 100 });
    assert.deepEqual(makeMetric([{ date: t(1), value: 3 }, { date: t(2), value: -1 }]).min, -1);
  });
});

describe('nodes (wire §2.4, §2.5)', () => {
  test('id and topology: first non-empty; conflicting topologies keep the first without throwing', () => {
    const partial = makeNode('', '');
    const full = makeNode('n;1', 'process');
    const r = mergeNode(partial, full);
    assert.equal(r.id, 'n;1');
    assert.equal(r.topology, 'process');
    assert.equal(mergeNode(makeNode('a', 'process'), makeNode('b', 'container')).topology, 'process');
    assert.equal(mergeNode(makeNode('a', 'process'), makeNode('b', 'container')).id, 'a');
  });
  test('latest: later timestamp wins per key, ties keep the left', () => {
    const a = withLatest(withLatest(makeNode('n'), 'k', 'old', t(1)), 'same', 'left', t(5));
    const b = withLatest(withLatest(makeNode('n'), 'k', 'new', t(2)), 'same', 'right', t(5));
    withLatest(b, 'only-b', 'x', t(0));
    const r = mergeNode(a, b);
    assert.equal(latestValue(r, 'k'), 'new');
    assert.equal(latestValue(r, 'same'), 'left');
    assert.equal(latestValue(r, 'only-b'), 'x');
    assert.equal(latestValue(mergeNode(b, a), 'k'), 'new');
  });
  test('host nodes union active_controls, stamped with the newer time', () => {
    const own = withActiveControls(makeNode('h;<host>', 'host'), ['host_exec'], t(1));
    const cluster = withActiveControls(makeNode('h;<host>', 'host'), ['kubernetes_cordon_node'], t(2));
    const r = mergeNode(own, cluster);
    assert.deepEqual(activeControls(r), ['host_exec', 'kubernetes_cordon_node']);
    assert.equal(r.latest.get('active_controls')!.timestamp, t(2));
    assert.deepEqual(activeControls(mergeNode(cluster, own)), ['host_exec', 'kubernetes_cordon_node']);
  });
  test('non-host nodes do not union active_controls: newest wins', () => {
    const a = withActiveControls(makeNode('c;<container>', 'container'), ['docker_stop_container'], t(1));
    const b = withActiveControls(makeNode('c;<container>', 'container'), ['docker_start_container'], t(2));
    assert.deepEqual(activeControls(mergeNode(a, b)), ['docker_start_container']);
  });
  test('partial host nodes union when the caller says so (topology merge)', () => {
    const a = makeTopology();
    const b = makeTopology();
    a.nodes.set('h;<host>', withActiveControls(makeNode('', ''), ['host_exec'], t(1)));
    b.nodes.set('h;<host>', withActiveControls(makeNode('', ''), ['kubernetes_cordon_node'], t(2)));
    assert.deepEqual(activeControls(mergeTopology(a, b, true).nodes.get('h;<host>')!), [
      'host_exec',
      'kubernetes_cordon_node',
    ]);
    assert.deepEqual(activeControls(mergeTopology(a, b, false).nodes.get('h;<host>')!), ['kubernetes_cordon_node']);
  });
  test('empty active_controls values do not add empty names', () => {
    const a = withActiveControls(makeNode('h', 'host'), [], t(1));
    const b = withActiveControls(makeNode('h', 'host'), ['host_exec'], t(0));
    assert.equal(latestValue(mergeNode(a, b), 'active_controls'), 'host_exec');
  });
  test('sets, parents and adjacency are unioned and stay sorted', () => {
    const a = withAdjacent(withParent(withSet(makeNode('n'), 's', ['b', 'a']), 'host', 'h2'), 'z', 'x');
    const b = withAdjacent(withParents(withSet(makeNode('n'), 's', ['c', 'a']), 'host', ['h1', 'h3']), 'y');
    withSet(b, 'only-b', ['q']);
    const r = mergeNode(a, b);
    assert.deepEqual(r.sets.get('s'), ['a', 'b', 'c']);
    assert.deepEqual(r.sets.get('only-b'), ['q']);
    assert.deepEqual(r.parents.get('host'), ['h1', 'h2', 'h3']);
    assert.deepEqual(r.adjacency, ['x', 'y', 'z']);
  });
  test('metrics are merged per key', () => {
    const a = setMetric(makeNode('n'), 'cpu', makeSingletonMetric(t(1), 1, 100));
    const b = setMetric(setMetric(makeNode('n'), 'cpu', makeSingletonMetric(t(2), 2, 100)), 'mem', makeSingletonMetric(t(2), 9));
    const r = mergeNode(a, b);
    assert.deepEqual(r.metrics.get('cpu')!.samples.map((s) => s.value), [1, 2]);
    assert.equal(r.metrics.get('mem'), b.metrics.get('mem'), 'metrics are shared immutable values');
  });
  test('children: union by id, the right side replaces on conflict, null stays null', () => {
    const a = makeNode('p');
    assert.equal(mergeNode(a, makeNode('p')).children, null);
    const c1 = makeNode('c1', 'process');
    const c1b = withLatest(makeNode('c1', 'process'), 'k', 'v', t(1));
    const c2 = makeNode('c2', 'process');
    a.children = new Map([['c1', c1]]);
    const b = makeNode('p');
    b.children = new Map([
      ['c1', c1b],
      ['c2', c2],
    ]);
    const r = mergeNode(a, b);
    assert.deepEqual([...r.children!.keys()].sort(), ['c1', 'c2']);
    assert.equal(r.children!.get('c1'), c1b);
    assert.equal(a.children.size, 1, 'input untouched');
    const empty = makeNode('p');
    empty.children = new Map();
    assert.deepEqual(mergeNode(makeNode('p'), empty).children, new Map());
  });
  test('mergeNodeInto mutates only dst', () => {
    const dst = withSet(makeNode('n'), 's', ['a']);
    const src = withLatest(withSet(makeNode('n', 'process'), 's', ['b']), 'k', 'v', t(1));
    const before = canonicalNode(src);
    mergeNodeInto(dst, src);
    assert.deepEqual(dst.sets.get('s'), ['a', 'b']);
    assert.deepEqual(canonicalNode(src), before);
  });
});

describe('node helpers', () => {
  test('counters add on one node, but merges keep the newest', () => {
    const n = addCounter(addCounter(makeNode('n'), 'x', 2, t(1)), 'x', 3, t(2));
    assert.equal(lookupCounter(n, 'x'), 5);
    assert.equal(latestValue(n, 'count_x'), '5');
    const other = addCounter(makeNode('n'), 'x', 1, t(3));
    assert.equal(lookupCounter(mergeNode(n, other), 'x'), 1);
    assert.equal(lookupCounter(makeNode('n'), 'x'), undefined);
  });
  test('addNode merges into an existing node of the same id', () => {
    const topo = makeTopology();
    addNode(topo, withSet(makeNode('a', 'process'), 's', ['1']));
    addNode(topo, withSet(makeNode('a', 'process'), 's', ['2']));
    addNode(topo, makeNode('b', 'process'));
    assert.equal(topo.nodes.size, 2);
    assert.deepEqual(topo.nodes.get('a')!.sets.get('s'), ['1', '2']);
  });
  test('activeControls of an absent or empty entry is empty', () => {
    assert.deepEqual(activeControls(makeNode('n')), []);
    assert.deepEqual(activeControls(withLatest(makeNode('n'), 'active_controls', '', t(0))), []);
    assert.deepEqual(activeControls(withActiveControls(makeNode('n'), ['a', 'b'], t(0))), ['a', 'b']);
  });
});

describe('topologies (wire §2.3)', () => {
  test('presentation: first non-empty; label and plural as a pair', () => {
    const a = makeTopology();
    a.label = 'first';
    a.tag = 'camera';
    const b = makeTopology();
    b.shape = 'circle';
    b.tag = 'other';
    b.label = 'second';
    b.labelPlural = 'seconds';
    const r = mergeTopology(a, b);
    assert.equal(r.shape, 'circle');
    assert.equal(r.tag, 'camera');
    assert.equal(r.label, 'first');
    assert.equal(r.labelPlural, '', 'plural comes with the label, from the same side');
  });
  test('controls: union, the right replaces on conflict', () => {
    const ctl = (id: string, human: string) => ({ id, human, icon: '', confirmation: '', rank: 0, probeId: '' });
    const a = makeTopology();
    a.controls.set('x', ctl('x', 'A'));
    a.controls.set('y', ctl('y', 'A'));
    const b = makeTopology();
    b.controls.set('x', ctl('x', 'B'));
    const r = mergeTopology(a, b);
    assert.equal(r.controls.get('x')!.human, 'B');
    assert.equal(r.controls.get('y')!.human, 'A');
  });
  test('metadata and metric templates: higher priority wins', () => {
    const md = (priority: number, label: string) => ({ id: 'pid', label, truncate: 0, dataType: '', priority, from: '' });
    const a = makeTopology();
    const b = makeTopology();
    a.metadataTemplates.set('pid', md(1, 'low'));
    b.metadataTemplates.set('pid', md(2, 'high'));
    b.metadataTemplates.set('other', md(0, 'o'));
    a.metricTemplates.set('cpu', { id: 'cpu', label: 'A', format: '', group: '', priority: 5 });
    b.metricTemplates.set('cpu', { id: 'cpu', label: 'B', format: '', group: '', priority: 4 });
    const r = mergeTopology(a, b);
    assert.equal(r.metadataTemplates.get('pid')!.label, 'high');
    assert.equal(mergeTopology(b, a).metadataTemplates.get('pid')!.label, 'high');
    assert.equal(r.metadataTemplates.size, 2);
    assert.equal(r.metricTemplates.get('cpu')!.label, 'A');
  });
  test('table templates merge field-wise', () => {
    const a: TableTemplate = {
      id: 'a',
      label: 'Zlabel',
      prefix: 'p_',
      type: '',
      columns: [{ id: 'c', label: 'C', dataType: '' }],
      fixedRows: new Map([['k', 'K']]),
    };
    const b: TableTemplate = {
      id: 'b',
      label: 'Alabel',
      prefix: 'q_',
      type: 'multicolumn-table',
      columns: [],
      fixedRows: new Map([
        ['k', 'K'],
        ['l', 'L'],
      ]),
    };
    const r = mergeTableTemplate(a, b);
    assert.equal(r.id, 'b');
    assert.equal(r.label, 'Zlabel');
    assert.equal(r.prefix, 'q_');
    assert.equal(r.type, 'multicolumn-table');
    assert.equal(r.columns, a.columns);
    assert.equal(r.fixedRows, b.fixedRows);
    const ta = makeTopology();
    const tb = makeTopology();
    ta.tableTemplates.set('t', a);
    tb.tableTemplates.set('t', b);
    mergeTopologyInto(ta, tb);
    assert.equal(ta.tableTemplates.get('t')!.id, 'b');
  });
  test('nodes merge by map key, not by id (delta nodes lack ids)', () => {
    const a = makeTopology();
    const b = makeTopology();
    a.nodes.set('k', withLatest(makeNode('k', 'process'), 'x', '1', t(1)));
    b.nodes.set('k', withLatest(makeNode('', ''), 'x', '2', t(2)));
    const r = mergeTopology(b, a);
    assert.equal(r.nodes.get('k')!.id, 'k');
    assert.equal(r.nodes.get('k')!.topology, 'process');
    assert.equal(latestValue(r.nodes.get('k')!, 'x'), '2');
  });
});

describe('reports (wire §2.2)', () => {
  test('ts earliest non-zero; window and sampling sum; shortcut keeps the left', () => {
    const a = makeReport();
    const b = makeReport();
    a.ts = ZERO_TIME;
    b.ts = t(5);
    a.windowNanos = 3e9;
    b.windowNanos = 2e9;
    a.sampling = { count: 1, total: 2 };
    b.sampling = { count: 3, total: 4 };
    b.shortcut = true;
    const r = mergeReports(a, b);
    assert.equal(r.ts, t(5));
    assert.equal(r.windowNanos, 5e9);
    assert.deepEqual(r.sampling, { count: 4, total: 6 });
    assert.equal(r.shortcut, false);
    assert.equal(mergeReports(b, a).shortcut, true);
    const c = makeReport();
    c.ts = t(3);
    assert.equal(mergeReports(r, c).ts, t(3));
    assert.equal(mergeReports(c, r).ts, t(3));
    assert.equal(mergeReports(makeReport(), makeReport()).ts, ZERO_TIME);
    assert.notEqual(r.id, a.id, 'a pure merge is a new report with a new id');
  });
  test('plugins: union by id, sorted by id, left wins on conflict', () => {
    const spec = (id: string, label: string) => ({ id, label, description: '', interfaces: [], apiVersion: '1', status: '' });
    const a = makeReport();
    const b = makeReport();
    a.plugins = [spec('m', 'A')];
    b.plugins = [spec('z', 'B'), spec('a', 'B'), spec('m', 'B')];
    const r = mergeReports(a, b);
    assert.deepEqual(r.plugins.map((p) => `${p.id}${p.label}`), ['aB', 'mA', 'zB']);
    assert.equal(a.plugins.length, 1);
  });
  test('DNS: per-address union', () => {
    const a = makeReport();
    const b = makeReport();
    a.dns.set('10.0.0.1', { forward: ['a.com'], reverse: [] });
    a.dns.set('10.0.0.2', { forward: ['x.com'], reverse: [] });
    b.dns.set('10.0.0.1', { forward: ['b.com'], reverse: ['r.a'] });
    b.dns.set('10.0.0.3', { forward: [], reverse: ['r.b'] });
    const r = mergeReports(a, b);
    assert.deepEqual(r.dns.get('10.0.0.1'), { forward: ['a.com', 'b.com'], reverse: ['r.a'] });
    assert.deepEqual(r.dns.get('10.0.0.2'), { forward: ['x.com'], reverse: [] });
    assert.deepEqual(r.dns.get('10.0.0.3'), { forward: [], reverse: ['r.b'] });
    assert.deepEqual(a.dns.get('10.0.0.1'), { forward: ['a.com'], reverse: [] });
  });
  test('mergeReportInto copies new nodes, so later merges into dst never reach src', () => {
    const dst = makeReport();
    const src = makeReport();
    src.topologies.process.nodes.set('h;1', withSet(makeNode('h;1', 'process'), 's', ['a']));
    mergeReportInto(dst, src);
    const other = makeReport();
    other.topologies.process.nodes.set('h;1', withSet(makeNode('h;1', 'process'), 's', ['b']));
    mergeReportInto(dst, other);
    assert.deepEqual(dst.topologies.process.nodes.get('h;1')!.sets.get('s'), ['a', 'b']);
    assert.deepEqual(src.topologies.process.nodes.get('h;1')!.sets.get('s'), ['a']);
  });
  test('adoptSource takes the source nodes instead of copying them', () => {
    const src = makeReport();
    const node = makeNode('h;1', 'process');
    src.topologies.process.nodes.set('h;1', node);
    const dst = makeReport();
    mergeReportInto(dst, src, { adoptSource: true });
    assert.equal(dst.topologies.process.nodes.get('h;1'), node);
    const src2 = makeReport();
    const node2 = makeNode('h;2', 'process');
    src2.topologies.process.nodes.set('h;2', node2);
    mergeReportInto(dst, src2, { adoptSource: true });
    assert.equal(dst.topologies.process.nodes.get('h;2'), node2);
    mergeReportInto(dst, src2);
    assert.equal(dst.topologies.process.nodes.size, 2);
  });
  test('mergeAllReports folds left to right', () => {
    assert.equal(mergeAllReports([]), undefined);
    const a = makeReport();
    a.windowNanos = 1;
    const all = mergeAllReports([a, a, a])!;
    assert.equal(all.windowNanos, 3);
    assert.equal(a.windowNanos, 1);
  });
});

describe('merge properties (fast-check)', () => {
  const runs = { numRuns: 150 };
  test('pure merges never mutate their inputs', () => {
    fc.assert(
      fc.property(arbReport(false), arbReport(false), (a, b) => {
        const [ca, cb] = [cloneReport(a), cloneReport(b)];
        mergeReports(a, b);
        mergeReports(b, a);
        assert.deepEqual(canonicalReport(a), canonicalReport(ca));
        assert.deepEqual(canonicalReport(b), canonicalReport(cb));
      }),
      runs,
    );
  });
  test('a merged copy is independent: merging into it later leaves the inputs alone', () => {
    fc.assert(
      fc.property(arbReport(false), arbReport(false), arbReport(false), (a, b, c) => {
        const [ca, cb] = [cloneReport(a), cloneReport(b)];
        const ab = mergeReports(a, b);
        mergeReportInto(ab, c);
        mergeReportInto(ab, ab);
        assert.deepEqual(canonicalReport(a), canonicalReport(ca));
        assert.deepEqual(canonicalReport(b), canonicalReport(cb));
      }),
      runs,
    );
  });
  test('commutative when ties carry equal data', () => {
    fc.assert(
      fc.property(arbReport(true), arbReport(true), (a, b) => {
        assert.deepEqual(canonicalReport(mergeReports(a, b)), canonicalReport(mergeReports(b, a)));
      }),
      runs,
    );
  });
  test('associative', () => {
    fc.assert(
      fc.property(arbReport(false), arbReport(false), arbReport(false), (a, b, c) => {
        assert.deepEqual(
          canonicalReport(mergeReports(mergeReports(a, b), c)),
          canonicalReport(mergeReports(a, mergeReports(b, c))),
        );
      }),
      runs,
    );
  });
  test('idempotent except for the summed window and sampling', () => {
    fc.assert(
      fc.property(arbReport(false), (a) => {
        const aa = mergeReports(a, a);
        assert.deepEqual(canonicalReport(aa, { sums: false }), canonicalReport(a, { sums: false }));
        assert.equal(aa.windowNanos, 2 * a.windowNanos);
        const inPlace = copyReport(a);
        mergeReportInto(inPlace, cloneReport(a));
        assert.deepEqual(canonicalReport(inPlace, { sums: false }), canonicalReport(a, { sums: false }));
      }),
      runs,
    );
  });
  test('in-place and pure merges agree', () => {
    fc.assert(
      fc.property(arbReport(false), arbReport(false), (a, b) => {
        const dst = copyReport(a);
        mergeReportInto(dst, b);
        assert.deepEqual(canonicalReport(dst), canonicalReport(mergeReports(a, b)));
      }),
      runs,
    );
  });
  test('adoptSource folds give the same result as copying folds', () => {
    fc.assert(
      fc.property(arbReport(false), arbReport(false), arbReport(false), (a, b, c) => {
        const expected = canonicalReport(mergeReports(mergeReports(a, b), c));
        const acc = makeReport();
        for (const r of [a, b, c]) mergeReportInto(acc, cloneReport(r), { adoptSource: true });
        assert.deepEqual(canonicalReport(acc), expected);
      }),
      runs,
    );
  });
  test('sets stay sorted and unique', () => {
    fc.assert(
      fc.property(arbReport(false), arbReport(false), (a, b) => {
        assert.equal(assertSetsSorted(mergeReports(a, b)), undefined);
      }),
      runs,
    );
  });
  test('metric samples stay strictly time-ordered and capped', () => {
    fc.assert(
      fc.property(arbReport(false), arbReport(false), arbReport(false), (a, b, c) => {
        const r = mergeReports(mergeReports(a, b), c);
        for (const node of [...r.topologies.process.nodes.values(), ...r.topologies.host.nodes.values()]) {
          for (const m of node.metrics.values()) {
            assert.ok(m.samples.length <= MAX_METRIC_SAMPLES);
            for (let i = 1; i < m.samples.length; i++) assert.ok(m.samples[i - 1]!.date < m.samples[i]!.date);
          }
        }
      }),
      runs,
    );
  });
});
