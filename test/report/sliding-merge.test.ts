/** Sliding-window merge (src/report/sliding-merge.ts): always what folding the window gives. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { cloneReport } from '../../src/report/copy.js';
import { mergeReportsShared } from '../../src/report/merge-shared.js';
import { SlidingMerge } from '../../src/report/sliding-merge.js';
import type { Report } from '../../src/report/types.js';
import { arbReport, canonicalReport } from './support.js';

/** Key order of every node Map and node, as the render iterates them. */
const order = (r: Report): unknown =>
  Object.fromEntries(
    Object.entries(r.topologies).map(([name, topology]) => [
      name,
      [...topology.nodes].map(([key, n]) => [key, n.id, n.topology, [...n.latest.keys()], [...n.sets.keys()], [...n.metrics.keys()], [...n.parents.keys()], n.adjacency, [...(n.children?.keys() ?? [])]]),
    ]),
  );

type Op = { kind: 'push'; report: Report } | { kind: 'shift' } | { kind: 'replace'; drop: number };

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: arbReport(false).map((report): Op => ({ kind: 'push', report })) },
  { weight: 4, arbitrary: fc.constant<Op>({ kind: 'shift' }) },
  { weight: 1, arbitrary: fc.nat(4).map((drop): Op => ({ kind: 'replace', drop })) },
);

describe('SlidingMerge', () => {
  test('after any pushes, shifts and replacements, equals mergeReportsShared of the window (data and key order)', () => {
    fc.assert(
      fc.property(fc.array(arbOp, { maxLength: 25 }), (ops) => {
        const sliding = new SlidingMerge();
        let window: Report[] = [];
        const all: Report[] = [];
        for (const op of ops) {
          if (op.kind === 'push') {
            sliding.push(op.report);
            window.push(op.report);
            all.push(op.report);
          } else if (op.kind === 'shift') {
            sliding.shift();
            window.shift();
          } else {
            window = window.filter((_, i) => i !== op.drop);
            sliding.replace(window);
          }
          assert.equal(sliding.length, window.length);
          // Not after every op: a missed result() must not leave stale pieces either.
          if (window.length % 2 === 0 || op.kind !== 'push') {
            const got = sliding.result();
            const want = mergeReportsShared(window);
            assert.deepEqual(canonicalReport(got), canonicalReport(want));
            assert.deepEqual(order(got), order(want));
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  test('leaves the window’s reports unchanged', () => {
    fc.assert(
      fc.property(fc.array(arbReport(false), { minLength: 1, maxLength: 8 }), (reports) => {
        const before = reports.map((r) => canonicalReport(cloneReport(r)));
        const sliding = new SlidingMerge();
        for (const r of reports) {
          sliding.push(r);
          sliding.result();
          if (sliding.length > 3) sliding.shift();
        }
        assert.deepEqual(reports.map((r) => canonicalReport(r)), before);
      }),
      { numRuns: 100 },
    );
  });

  test('an earlier result stays as it was while the window moves on', () => {
    fc.assert(
      fc.property(fc.array(arbReport(false), { minLength: 2, maxLength: 8 }), (reports) => {
        const sliding = new SlidingMerge();
        const results: { got: Report; want: unknown }[] = [];
        for (const r of reports) {
          sliding.push(r);
          if (sliding.length > 3) sliding.shift();
          const got = sliding.result();
          // What a reader copied out of it (the app's window merge) must not change later.
          results.push({ got: mergeReportsShared([got]), want: canonicalReport(mergeReportsShared(sliding.window)) });
        }
        for (const { got, want } of results) assert.deepEqual(canonicalReport(got), want);
      }),
      { numRuns: 100 },
    );
  });

  test('an empty window merges to an empty report', () => {
    const sliding = new SlidingMerge();
    assert.deepEqual(canonicalReport(sliding.result()), canonicalReport(mergeReportsShared([])));
  });
});
