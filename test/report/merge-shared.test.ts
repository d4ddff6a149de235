/** Copy-on-write window merge (src/report/merge-shared.ts): same data as a fold, inputs untouched. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { cloneReport } from '../../src/report/copy.js';
import { mergeReportInto } from '../../src/report/merge.js';
import { mergeReportsLean, mergeReportsShared, reportSampleSpans } from '../../src/report/merge-shared.js';
import { makeNode, makeReport } from '../../src/report/model.js';
import type { Node, Report } from '../../src/report/types.js';
import { arbReport, canonicalReport, t } from './support.js';

const runs = { numRuns: 200 };

function fold(reports: readonly Report[]): Report {
  const out = makeReport();
  for (const r of reports) mergeReportInto(out, r);
  return out;
}

describe('mergeReportsShared', () => {
  test('same data as folding with mergeReportInto into a fresh report', () => {
    fc.assert(
      fc.property(fc.array(arbReport(false), { maxLength: 5 }), (reports) => {
        assert.deepEqual(canonicalReport(mergeReportsShared(reports)), canonicalReport(fold(reports)));
      }),
      runs,
    );
  });

  test('same key order as the fold, in node maps and in every node’s maps', () => {
    const order = (r: Report): unknown =>
      Object.fromEntries(
        Object.entries(r.topologies).map(([name, topology]) => [
          name,
          [...topology.nodes].map(([key, n]) => [key, n.id, n.topology, [...n.latest.keys()], [...n.sets.keys()], [...n.metrics.keys()], [...n.parents.keys()], n.adjacency, [...(n.children?.keys() ?? [])]]),
        ]),
      );
    fc.assert(
      fc.property(fc.array(arbReport(false), { maxLength: 5 }), (reports) => {
        assert.deepEqual(order(mergeReportsShared(reports)), order(fold(reports)));
      }),
      runs,
    );
  });

  test('a node that a later report repeats (same or older data) stays the same object', () => {
    const a = makeReport();
    const b = makeReport();
    const first = makeNode('h1;1', 'process');
    first.latest.set('pid', { timestamp: t(2), value: '1' });
    first.sets.set('s', ['x', 'y']);
    const again = makeNode('h1;1', 'process');
    again.latest.set('pid', { timestamp: t(1), value: '1' });
    again.sets.set('s', ['x']);
    a.topologies.process.nodes.set(first.id, first);
    b.topologies.process.nodes.set(again.id, again);
    assert.equal(mergeReportsShared([a, b]).topologies.process.nodes.get('h1;1'), first);
    // Newer latest entries for every key: the newer node's latest map is shared, not copied.
    const newer = makeNode('h1;1', 'process');
    newer.latest.set('pid', { timestamp: t(3), value: '1' });
    const c = makeReport();
    c.topologies.process.nodes.set(newer.id, newer);
    const merged = mergeReportsShared([a, c]).topologies.process.nodes.get('h1;1')!;
    assert.equal(merged.latest, newer.latest);
    assert.equal(merged.sets, first.sets);
  });

  test('leaves its inputs unchanged, also when the result is merged again', () => {
    fc.assert(
      fc.property(fc.array(arbReport(false), { minLength: 1, maxLength: 4 }), arbReport(false), (reports, extra) => {
        const before = reports.map((r) => canonicalReport(cloneReport(r)));
        const shared = mergeReportsShared(reports);
        // A second level (the window of parts) may copy shared nodes, never write to them.
        mergeReportsShared([shared, extra, shared]);
        assert.deepEqual(reports.map((r) => canonicalReport(r)), before);
      }),
      runs,
    );
  });

  test('shares nodes only one input holds, copies nodes several hold', () => {
    const a = makeReport();
    const b = makeReport();
    const onlyA = makeNode('h1;1', 'process');
    const both = makeNode('x;<host>', 'host');
    both.latest.set('k', { timestamp: t(1), value: 'a' });
    const bothB = makeNode('x;<host>', 'host');
    bothB.latest.set('k', { timestamp: t(2), value: 'b' });
    a.topologies.process.nodes.set(onlyA.id, onlyA);
    a.topologies.host.nodes.set(both.id, both);
    b.topologies.host.nodes.set(bothB.id, bothB);
    const out = mergeReportsShared([a, b]);
    assert.equal(out.topologies.process.nodes.get('h1;1'), onlyA);
    const merged = out.topologies.host.nodes.get('x;<host>')!;
    assert.notEqual(merged, both);
    assert.equal(merged.latest.get('k')!.value, 'b');
    assert.equal(both.latest.get('k')!.value, 'a');
    assert.notEqual(out.topologies.process.nodes, a.topologies.process.nodes, 'maps are the result’s own');
  });

  test('a malformed input throws a plain error', () => {
    const broken = { ...makeReport(), dns: null } as unknown as Report;
    assert.throws(() => mergeReportsShared([makeReport(), broken]), TypeError);
  });
});

/**
 * A probe's successive reports: the same process nodes every time, each metric with a few new
 * samples whose dates mostly continue the previous report's (some overlap or go back), so the
 * lean fold's in-place steps (samples appended to metrics it made) are taken.
 */
const arbProbeWindow: fc.Arbitrary<Report[]> = fc
  .array(
    fc.array(fc.tuple(fc.nat(3), fc.nat(2), fc.integer({ min: -2, max: 3 }), fc.nat(3), fc.integer({ min: -5, max: 5 })), { maxLength: 10 }),
    { minLength: 1, maxLength: 6 },
  )
  .map((steps) =>
    steps.map((entries, k) => {
      const r = makeReport();
      for (const [node, metric, shift, count, value] of entries) {
        const id = `h;${node}`;
        const n = r.topologies.process.nodes.get(id) ?? makeNode(id, k % 3 === 0 ? 'process' : '');
        r.topologies.process.nodes.set(id, n);
        const samples = Array.from({ length: count }, (_, i) => ({ date: t(3 * k + shift + i), value: value + i }));
        n.metrics.set(`m${metric}`, { samples, min: Math.min(0, value), max: Math.max(10, value + count) });
      }
      return r;
    }),
  );

describe('mergeReportsLean', () => {
  test('a probe’s successive reports: same data and key order as the fold, inputs untouched', () => {
    fc.assert(
      fc.property(arbProbeWindow, fc.array(arbReport(false), { maxLength: 2 }), (window, others) => {
        const reports = [...others, ...window];
        const before = reports.map(cloneReport);
        const lean = mergeReportsLean(reports);
        const want = fold(reports);
        assert.deepEqual(canonicalReport(lean), canonicalReport(want));
        const order = (r: Report) => [...r.topologies.process.nodes].map(([k, n]) => [k, [...n.metrics.keys()]]);
        assert.deepEqual(order(lean), order(want));
        reports.forEach((r, i) => assert.deepEqual(canonicalReport(r), canonicalReport(before[i]!)));
        // A second fold over the same inputs sees them as they were.
        assert.deepEqual(canonicalReport(mergeReportsLean(reports)), canonicalReport(want));
        // With the reports' sample spans (SlidingMerge's fold): the same again.
        const spanned = mergeReportsLean(reports, reports.map(reportSampleSpans));
        assert.deepEqual(canonicalReport(spanned), canonicalReport(want));
        assert.deepEqual(order(spanned), order(want));
      }),
      { numRuns: 300 },
    );
  });
});

/** One node's version in one report of {@link arbAlignedWindow}: small numbers that pick its data. */
interface Version {
  latestMode: number;
  tsShift: number;
  reuseEntry: boolean;
  metricMode: number;
  sampleCount: number;
  dateShift: number;
  reuseMetric: boolean;
  setsMode: number;
  adjacency: number;
  children: boolean;
}

const arbVersion: fc.Arbitrary<Version> = fc.record({
  latestMode: fc.nat(4),
  tsShift: fc.integer({ min: -2, max: 1 }),
  reuseEntry: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  metricMode: fc.nat(4),
  sampleCount: fc.nat(3),
  dateShift: fc.integer({ min: -4, max: 1 }),
  reuseMetric: fc.boolean(),
  setsMode: fc.nat(3),
  adjacency: fc.nat(3),
  children: fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});

/**
 * Windows whose reports hold the same nodes in the same order (the lean fold's one-pass path):
 * latest entries mostly re-stamped newer, sometimes older, equal, reordered, missing or the same
 * objects again; metrics whose samples mostly follow the previous report's, sometimes overlap,
 * are empty, reordered or the same objects; sets shared or changed; now and then the same report
 * twice, a host node or a node with children (the pairwise fold inside the one-pass path).
 */
const arbAlignedWindow: fc.Arbitrary<Report[]> = fc
  .tuple(
    fc.integer({ min: 1, max: 3 }),
    fc.constantFrom('process', 'host'),
    fc.array(fc.array(arbVersion, { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 6 }),
    fc.array(fc.nat(5), { maxLength: 2 }),
  )
  .map(([nodeCount, topology, versions, repeats]) => {
    const reports: Report[] = [];
    const previous = new Map<string, Node>();
    versions.forEach((perNode, k) => {
      const r = makeReport();
      for (let i = 0; i < nodeCount; i++) {
        const v = perNode[i]!;
        const id = `h;${i}`;
        const before = previous.get(id);
        const n = makeNode(id, k === 0 || v.tsShift !== 0 ? topology : '');
        const keys = v.latestMode === 1 ? ['a', 'b'] : v.latestMode === 2 ? ['b', 'a', 'c'] : ['a', 'b', 'c'];
        if (v.latestMode === 3 && before !== undefined) n.latest = before.latest;
        else {
          for (const key of keys) {
            const old = before?.latest.get(key);
            const value = key === 'active_controls' ? 'x' : `${key}${k % 2}`;
            n.latest.set(key, v.reuseEntry && old !== undefined ? old : { timestamp: t(2 * k + v.tsShift), value });
          }
          if (topology === 'host') n.latest.set('active_controls', { timestamp: t(3 * k), value: k % 2 === 0 ? 'a;b' : 'c' });
        }
        if (v.metricMode === 3 && before !== undefined) n.metrics = before.metrics;
        else if (v.metricMode !== 1) {
          for (const key of v.metricMode === 2 ? ['m1', 'm0'] : ['m0', 'm1']) {
            const old = before?.metrics.get(key);
            if (v.reuseMetric && old !== undefined) n.metrics.set(key, old);
            else {
              const samples = Array.from({ length: v.sampleCount }, (_, j) => ({ date: t(3 * k + v.dateShift + j), value: k + j }));
              n.metrics.set(key, { samples, min: -k, max: 10 + (k % 3) });
            }
          }
        }
        if (v.setsMode === 0 && before !== undefined) {
          n.sets = before.sets;
          n.parents = before.parents;
        } else if (v.setsMode > 0) {
          n.sets.set('s', v.setsMode === 1 ? ['x'] : ['x', 'y']);
          n.parents.set('host', [`host${v.setsMode}`]);
        }
        n.adjacency = ['p', 'q', 'r'].slice(v.adjacency);
        if (v.children) n.children = new Map([[`c${k}`, makeNode(`c${k}`, 'container')]]);
        r.topologies[topology === 'host' ? 'host' : 'process'].nodes.set(id, n);
        previous.set(id, n);
      }
      reports.push(r);
    });
    for (const at of repeats) reports.splice(Math.min(at, reports.length), 0, reports[at % reports.length]!);
    return reports;
  });

describe('mergeReportsLean, reports with the same nodes in the same order', () => {
  test('same data and key order as the fold, inputs untouched', () => {
    const order = (r: Report): unknown =>
      Object.entries(r.topologies).map(([name, topology]) => [
        name,
        [...topology.nodes].map(([key, n]) => [key, n.id, n.topology, [...n.latest.keys()], [...n.sets.keys()], [...n.metrics.keys()], [...n.parents.keys()], n.adjacency, [...(n.children?.keys() ?? [])]]),
      ]);
    fc.assert(
      fc.property(arbAlignedWindow, (reports) => {
        const before = reports.map(cloneReport);
        const lean = mergeReportsLean(reports);
        const want = fold(reports);
        assert.deepEqual(canonicalReport(lean), canonicalReport(want));
        assert.deepEqual(order(lean), order(want));
        const spanned = mergeReportsLean(reports, reports.map(reportSampleSpans));
        assert.deepEqual(canonicalReport(spanned), canonicalReport(want));
        assert.deepEqual(order(spanned), order(want));
        reports.forEach((r, i) => assert.deepEqual(canonicalReport(r), canonicalReport(before[i]!)));
      }),
      { numRuns: 500 },
    );
  });

  test('an entry of a later report with an equal timestamp does not win (the earlier one stays)', () => {
    const reports = [0, 1].map((k) => {
      const r = makeReport();
      const n = makeNode('h;0', 'process');
      n.latest.set('a', { timestamp: t(0), value: `v${k}` });
      r.topologies.process.nodes.set(n.id, n);
      return r;
    });
    assert.equal(mergeReportsLean(reports).topologies.process.nodes.get('h;0')!.latest.get('a')!.value, 'v0');
    assert.deepEqual(canonicalReport(mergeReportsLean(reports)), canonicalReport(fold(reports)));
  });
});

describe('mergeReportsLean with sample spans', () => {
  /** Two reports of one probe: process samples that follow each other, container samples that overlap (t(2) twice). */
  const reports = [0, 1].map((k) => {
    const r = makeReport();
    const p = makeNode('h;1', k === 0 ? 'process' : '');
    p.metrics.set('cpu', { samples: [0, 1].map((i) => ({ date: t(3 * k + i), value: k + i })), min: 0, max: 9 });
    r.topologies.process.nodes.set(p.id, p);
    const c = makeNode('c;<container>', k === 0 ? 'container' : '');
    c.metrics.set('mem', { samples: [0, 1, 2].map((i) => ({ date: t(2 * k + i), value: 10 * k + i })), min: 0, max: 20 });
    r.topologies.container.nodes.set(c.id, c);
    return r;
  });

  test('spans are taken per topology', () => {
    const spans = reportSampleSpans(reports[1]!);
    assert.deepEqual([...spans], [['process', { first: t(3), last: t(4) }], ['container', { first: t(2), last: t(4) }]]);
    assert.equal(reportSampleSpans(makeReport()).size, 0);
  });

  test('a topology whose samples overlap is merge-joined although another topology’s follow', () => {
    const merged = mergeReportsLean(reports, reports.map(reportSampleSpans));
    assert.deepEqual(canonicalReport(merged), canonicalReport(fold(reports)));
    const dates = (m: Report, topology: 'process' | 'container', key: string): string[] =>
      [...m.topologies[topology].nodes.values()][0]!.metrics.get(key)!.samples.map((s) => s.date);
    assert.deepEqual(dates(merged, 'container', 'mem'), [0, 1, 2, 3, 4].map((s) => t(s)));
    assert.deepEqual(dates(merged, 'process', 'cpu'), [0, 1, 3, 4].map((s) => t(s)));
  });

  test('one span per report, or none', () => {
    assert.throws(() => mergeReportsLean(reports, [reportSampleSpans(reports[0]!)]), RangeError);
  });
});
