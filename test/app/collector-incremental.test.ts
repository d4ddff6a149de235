/**
 * The memory collector's incremental merge (per-probe parts folded copy-on-write) serves what a
 * plain fold of the window would, and RenderCache.recent's bounded staleness for costly renders.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { MemoryCollector } from '../../src/app/collector/index.js';
import { AppMetrics } from '../../src/app/metrics.js';
import { RECENT_MAX_AGE_MILLIS, RECENT_MAX_INTERVAL_MILLIS, RECENT_MIN_COST_MILLIS, RenderCache } from '../../src/app/render-cache.js';
import { removePartMergedNodes } from '../../src/report/delta.js';
import { mergeReportInto } from '../../src/report/merge.js';
import { makeNode, makeReport } from '../../src/report/model.js';
import type { Report } from '../../src/report/types.js';
import { upgradeReport } from '../../src/report/upgrade.js';
import { arbReport, canonicalReport, t } from '../report/support.js';

function foldWindow(reports: readonly Report[]): Report {
  const out = makeReport();
  for (const r of reports) mergeReportInto(out, r);
  const upgraded = upgradeReport(out);
  removePartMergedNodes(upgraded);
  return upgraded;
}

/** Renders view `key` of a report made only for it, and returns a weak reference to that report. */
function renderInOwnReport(cache: RenderCache, key: string): WeakRef<Report> {
  const report = makeReport();
  cache.recent(report, 'json', key, () => ({ big: 'render' }));
  return new WeakRef(report);
}

/** V8's gc(), exposed for tests that check what the cache still holds. */
function exposedGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('MemoryCollector incremental merge', () => {
  test('any sequence of arrivals and expiries gives the fold of the window', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('p1', 'p2', 'p3', ''), arbReport(true), fc.integer({ min: 0, max: 700 })), { maxLength: 12 }),
        async (arrivals) => {
          let now = 0;
          const c = new MemoryCollector({ windowMillis: 1000, now: () => now });
          const seen: { probe: string; report: Report; at: number }[] = [];
          for (const [probe, report, stepMillis] of arrivals) {
            now += stepMillis;
            await c.add(probe, report, now);
            seen.push({ probe, report, at: now });
            const inWindow = seen.filter((s) => s.at >= now - 1000);
            // Per-probe grouping changes the fold order; with `arbReport(true)` ties carry equal data.
            const byProbe = [...new Set(inWindow.map((s) => s.probe))].flatMap((p) => inWindow.filter((s) => s.probe === p));
            assert.deepEqual(
              canonicalReport(await c.report(), { sums: true }),
              canonicalReport(foldWindow(byProbe.map((s) => s.report)), { sums: true }),
            );
          }
          await c.close();
        },
      ),
      { numRuns: 60 },
    );
  });

  test('a delta keeps its nodes while its probe’s full report is in the window, not after', async () => {
    let now = 0;
    const c = new MemoryCollector({ windowMillis: 1000, now: () => now });
    const full = makeReport();
    const node = makeNode('h;1', 'process');
    node.latest.set('name', { timestamp: t(1), value: 'old' });
    full.topologies.process.nodes.set(node.id, node);
    const delta = makeReport();
    const partial = makeNode('', '');
    partial.latest.set('name', { timestamp: t(2), value: 'new' });
    delta.topologies.process.nodes.set('h;1', partial);
    await c.add('p1', full, now);
    now = 600;
    await c.add('p1', delta, now);
    await c.add('p2', makeReport(), now);
    assert.equal((await c.report()).topologies.process.nodes.get('h;1')?.latest.get('name')?.value, 'new');
    now = 1200; // the full report has left the window: the delta's node is part-merged
    assert.equal((await c.report()).topologies.process.nodes.has('h;1'), false);
    assert.equal(full.topologies.process.nodes.get('h;1')?.latest.get('name')?.value, 'old', 'stored report untouched');
    await c.close();
  });
});

/**
 * Spends at least `millis` of this thread's time, in CPU time and in wall time alike: the cache
 * times a key's first render in wall time and later ones in process CPU time. Process CPU counts
 * every thread (GC helpers too), so a loop on CPU time alone could end before `millis` of wall
 * time — a render then looked cheap, and the test failed in CI (2 costly renders, '2' !== '1').
 */
function burn(millis: number): void {
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const endCpu = cpu() + millis;
  const endWall = performance.now() + millis;
  while (cpu() < endCpu || performance.now() < endWall) {
    // busy: a costly render
  }
}

describe('RenderCache.recent', () => {
  test('cheap renders are always fresh', () => {
    const cache = new RenderCache(new AppMetrics());
    const a = makeReport();
    const b = makeReport();
    assert.equal(cache.recent(a, 'json', 'k', () => 'a'), 'a');
    assert.equal(cache.recent(b, 'json', 'k', () => 'b'), 'b');
    assert.equal(cache.recent(a, 'json', 'k', () => 'x'), 'a', 'per report, computed once');
  });

  test('a costly render is served for newer reports while it is recent, then refreshed after the request', async () => {
    const cache = new RenderCache(new AppMetrics());
    const reports = [makeReport(), makeReport(), makeReport(), makeReport()];
    const costly = (label: string) => () => {
      burn(RECENT_MIN_COST_MILLIS + 10);
      return label;
    };
    assert.equal(cache.recent(reports[0]!, 'json', 'k', costly('0')), '0');
    assert.equal(cache.recent(reports[1]!, 'json', 'k', costly('1')), '1', 'one costly render is not enough (cold JIT)');
    assert.equal(cache.recent(reports[2]!, 'json', 'k', costly('2')), '1', 'two costly renders: the recent one is served');
    cache.forgetRecent();
    assert.equal(cache.recent(reports[3]!, 'json', 'k', costly('3')), '3', 'after a shortcut report: fresh');
    // Served stale once its interval (≤ 10× cost) has passed, the newest report is rendered after the request.
    await new Promise((r) => setTimeout(r, RECENT_MAX_INTERVAL_MILLIS + 100));
    const fresh = makeReport();
    let computed = false;
    assert.equal(cache.recent(fresh, 'json', 'k', () => { computed = true; burn(RECENT_MIN_COST_MILLIS + 10); return 'fresh'; }), '3');
    assert.equal(computed, false);
    await new Promise((r) => setImmediate(r));
    assert.equal(computed, true);
    assert.equal(cache.recent(makeReport(), 'json', 'k', () => 'later'), 'fresh');
  });

  test('a cheap render does not hold its report once newer reports are rendered', async () => {
    const gc = exposedGc();
    const cache = new RenderCache(new AppMetrics());
    const held = renderInOwnReport(cache, 'k');
    // Another view rendered for a newer report (the view above is no longer requested).
    cache.recent(makeReport(), 'json', 'other', () => ({ big: 'render' }));
    await new Promise((r) => setImmediate(r)); // a WeakRef keeps its target until the job ends
    gc();
    assert.equal(held.deref(), undefined, 'the replaced report is still reachable from the cache');
  });

  test('a render older than the serving age no longer holds its report (fuzz found 512 keys pinning old reports)', async () => {
    const gc = exposedGc();
    const cache = new RenderCache(new AppMetrics());
    // Made and rendered in a function of its own, so that nothing here still refers to the report.
    const held = renderInOwnReport(cache, 'old');
    await new Promise((r) => setTimeout(r, RECENT_MAX_AGE_MILLIS + 100));
    // Any later render sweeps the values that can no longer be served.
    cache.recent(makeReport(), 'json', 'other', () => 'x');
    gc();
    assert.equal(held.deref(), undefined, 'the old report is still reachable from the cache');
  });
});
