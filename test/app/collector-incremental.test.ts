/**
 * The memory collector's incremental merge (per-probe parts folded copy-on-write) serves what a
 * plain fold of the window would, and RenderCache.recent's bounded staleness for costly renders.
 */
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
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
function renderInOwnReport(cache: RenderCache, key: string, compute: () => unknown = () => ({ big: 'render' })): WeakRef<Report> {
  const report = makeReport();
  cache.recent(report, 'json', key, compute);
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
 * The cache's wall clock (`performance.now()`), moved only by the test: a loaded machine can stall
 * this process for a second between two lines, and the cache's ages and first-render costs are
 * wall times (a stalled cheap render looked costly; a late timer aged a value past its serving age).
 * Restored when the test ends.
 */
function manualWallClock(t: TestContext): { advance(millis: number): void } {
  let now = performance.now();
  t.mock.method(performance, 'now', () => now);
  return { advance: (millis) => { now += millis; } };
}

/**
 * A render costing `millis` of wall time (on the manual clock) and at least as much process CPU
 * time (the cache times a key's later renders in CPU time: really spent here, a busy loop).
 */
function costlyRender<T>(clock: { advance(millis: number): void }, millis: number, value: () => T): () => T {
  return () => {
    const cpu = (): number => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    const end = cpu() + millis;
    while (cpu() < end) {
      // busy: a costly render
    }
    clock.advance(millis);
    return value();
  };
}

describe('RenderCache.recent', () => {
  test('cheap renders are always fresh', (t) => {
    manualWallClock(t);
    const cache = new RenderCache(new AppMetrics());
    const a = makeReport();
    const b = makeReport();
    assert.equal(cache.recent(a, 'json', 'k', () => 'a'), 'a');
    assert.equal(cache.recent(b, 'json', 'k', () => 'b'), 'b');
    assert.equal(cache.recent(a, 'json', 'k', () => 'x'), 'a', 'per report, computed once');
  });

  test('a costly render is served for newer reports while it is recent, then refreshed after the request', async (t) => {
    const clock = manualWallClock(t);
    const cache = new RenderCache(new AppMetrics());
    const reports = [makeReport(), makeReport(), makeReport(), makeReport()];
    const costly = (label: string) => costlyRender(clock, RECENT_MIN_COST_MILLIS + 10, () => label);
    assert.equal(cache.recent(reports[0]!, 'json', 'k', costly('0')), '0');
    assert.equal(cache.recent(reports[1]!, 'json', 'k', costly('1')), '1', 'one costly render is not enough (cold JIT)');
    assert.equal(cache.recent(reports[2]!, 'json', 'k', costly('2')), '1', 'two costly renders: the recent one is served');
    cache.forgetRecent();
    assert.equal(cache.recent(reports[3]!, 'json', 'k', costly('3')), '3', 'after a shortcut report: fresh');
    // Served stale once its interval (≤ 10× cost, ≤ RECENT_MAX_INTERVAL_MILLIS) has passed, and
    // still younger than RECENT_MAX_AGE_MILLIS: the newest report is rendered after the request.
    clock.advance(RECENT_MAX_INTERVAL_MILLIS);
    const fresh = makeReport();
    let computed = false;
    const refresh = costlyRender(clock, RECENT_MIN_COST_MILLIS + 10, () => {
      computed = true;
      return 'fresh';
    });
    assert.equal(cache.recent(fresh, 'json', 'k', refresh), '3');
    assert.equal(computed, false);
    await new Promise((r) => setImmediate(r));
    assert.equal(computed, true);
    assert.equal(cache.recent(makeReport(), 'json', 'k', () => 'later'), 'fresh');
    // Past its serving age, a value is never served: the newest report is rendered in the request.
    // (+1: the clock is a float, and start + 3000 − start can come out as 2999.9999999.)
    clock.advance(RECENT_MAX_AGE_MILLIS + 1);
    assert.equal(cache.recent(makeReport(), 'json', 'k', () => 'aged out'), 'aged out');
  });

  test('servedWithoutReport: what recent would serve for any newer report, until a refresh is due', async (t) => {
    const clock = manualWallClock(t);
    const cache = new RenderCache(new AppMetrics());
    const costly = (label: string) => costlyRender(clock, RECENT_MIN_COST_MILLIS + 10, () => label);
    assert.equal(cache.servedWithoutReport('json', 'k'), undefined, 'nothing rendered yet');
    cache.recent(makeReport(), 'json', 'k', () => 'cheap');
    assert.equal(cache.servedWithoutReport('json', 'k'), undefined, 'a cheap render is always redone');
    cache.recent(makeReport(), 'json', 'k', costly('0'));
    assert.equal(cache.servedWithoutReport('json', 'k'), undefined, 'one costly render is not enough');
    cache.recent(makeReport(), 'json', 'k', costly('1'));
    assert.equal(cache.servedWithoutReport('json', 'k'), '1');
    assert.equal(cache.servedWithoutReport('json', 'other'), undefined, 'per key');
    // Refresh due: the caller must hand `recent` the newest report, which queues the refresh.
    clock.advance(RECENT_MAX_INTERVAL_MILLIS);
    assert.equal(cache.servedWithoutReport('json', 'k'), undefined);
    assert.equal(cache.recent(makeReport(), 'json', 'k', costly('fresh')), '1');
    assert.equal(cache.servedWithoutReport('json', 'k'), '1', 'served while the refresh is queued');
    await new Promise((r) => setImmediate(r));
    assert.equal(cache.servedWithoutReport('json', 'k'), 'fresh');
    cache.forgetRecent();
    assert.equal(cache.servedWithoutReport('json', 'k'), undefined, 'after a shortcut report');
    cache.recent(makeReport(), 'json', 'k', costly('2'));
    clock.advance(RECENT_MAX_AGE_MILLIS + 1);
    assert.equal(cache.servedWithoutReport('json', 'k'), undefined, 'past its serving age');
  });

  test('a cheap render does not hold its report once newer reports are rendered', async (t) => {
    manualWallClock(t);
    const gc = exposedGc();
    const cache = new RenderCache(new AppMetrics());
    const held = renderInOwnReport(cache, 'k');
    // Another view rendered for a newer report (the view above is no longer requested).
    cache.recent(makeReport(), 'json', 'other', () => ({ big: 'render' }));
    await new Promise((r) => setImmediate(r)); // a WeakRef keeps its target until the job ends
    gc();
    assert.equal(held.deref(), undefined, 'the replaced report is still reachable from the cache');
  });

  test('a render older than the serving age no longer holds its report (fuzz found 512 keys pinning old reports)', async (t) => {
    const clock = manualWallClock(t);
    const gc = exposedGc();
    const cache = new RenderCache(new AppMetrics());
    // Made and rendered in a function of its own, so that nothing here still refers to the report.
    // Costly, so that the cache keeps it to serve while it is young.
    const held = renderInOwnReport(cache, 'old', costlyRender(clock, RECENT_MIN_COST_MILLIS + 10, () => ({ big: 'render' })));
    await new Promise((r) => setImmediate(r)); // a WeakRef keeps its target until the job ends
    gc();
    assert.notEqual(held.deref(), undefined, 'a young costly render is kept (it may be served)');
    await new Promise((r) => setImmediate(r));
    clock.advance(RECENT_MAX_AGE_MILLIS + 1);
    // Any later render sweeps the values that can no longer be served.
    cache.recent(makeReport(), 'json', 'other', () => 'x');
    await new Promise((r) => setImmediate(r));
    gc();
    assert.equal(held.deref(), undefined, 'the old report is still reachable from the cache');
  });
});
