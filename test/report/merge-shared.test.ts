/** Copy-on-write window merge (src/report/merge-shared.ts): same data as a fold, inputs untouched. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { cloneReport } from '../../src/report/copy.js';
import { mergeReportInto } from '../../src/report/merge.js';
import { mergeReportsShared } from '../../src/report/merge-shared.js';
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
