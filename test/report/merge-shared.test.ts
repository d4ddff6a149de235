/** Copy-on-write window merge (src/report/merge-shared.ts): same data as a fold, inputs untouched. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { cloneReport } from '../../src/report/copy.js';
import { mergeReportInto } from '../../src/report/merge.js';
import { mergeReportsLean, mergeReportsShared } from '../../src/report/merge-shared.js';
import { makeNode, makeReport } from '../../src/report/model.js';
import type { Report } from '../../src/report/types.js';
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
      }),
      { numRuns: 300 },
    );
  });
});
