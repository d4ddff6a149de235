/**
 * Fuzz (issue #7), bounded to ~60 s: mutated reports and random HTTP requests at one app run by
 * the real CLI. No answer may be a 5xx, the app must stay up, and its memory must come back near
 * the baseline once the reports have aged out of its (short) window: live heap after a full GC,
 * taken through the app's inspector (test-only, on loopback). The bigger run with figures
 * is bench/fuzz.bench.ts. Set FUZZ_SEED to replay a run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../helpers/openscope-process.js';
import { INSPECT_ENV, liveHeapBytes, rssBytes, runFuzz } from './fuzz-lib.js';
import { call, spawnOpenScope, waitHealthy, type Child } from './helpers.js';

const MiB = 1024 * 1024;
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

describe('fuzzing one app', { timeout: 150_000 }, () => {
  let app: Child;
  let port = 0;
  before(async () => {
    port = await freePort();
    // A 2-s window so that stored fuzz reports age out quickly for the memory check.
    app = spawnOpenScope(['--mode=app', `--app.http.address=127.0.0.1:${port}`, '--app.auth.token=T1', '--app.probe.token=P1', '--app.window=2s', '--app.log.level=error'], INSPECT_ENV);
    await waitHealthy(`http://127.0.0.1:${port}`, app);
  });
  after(() => app?.stop());

  test(`mutated reports and random requests: no 5xx, no crash, memory back to baseline (seed ${SEED})`, async () => {
    const pid = app.child.pid!;
    // Warm-up, so the baseline includes the code paths' one-off allocations.
    await runFuzz({ port, seed: SEED ^ 0x5eed, reports: 300, requests: 300, raw: 20, adminToken: 'T1', probeToken: 'P1', concurrency: 4, deadlineMillis: Date.now() + 15_000 });
    await sleep(3000);
    const rssBefore = rssBytes(pid);
    const heapBefore = await liveHeapBytes(app.output());

    // Two equal halves with a settle after each: a leak grows memory in both, a warm-up only in the first.
    const started = Date.now();
    const settle = async (): Promise<{ rss: number; heap: number }> => {
      // The window ages the stored reports out; a few reads let caches and the heap move on.
      await sleep(4000);
      for (let i = 0; i < 5; i++) {
        await call(`http://127.0.0.1:${port}/api/topology`, { headers: { authorization: 'Bearer T1' } });
        await sleep(500);
      }
      return { rss: rssBytes(pid), heap: await liveHeapBytes(app.output()) };
    };
    const half = { port, reports: 5000, requests: 1500, raw: 100, adminToken: 'T1', probeToken: 'P1', concurrency: 8 };
    const first = await runFuzz({ ...half, seed: SEED, deadlineMillis: started + 27_000 });
    const mid = await settle();
    const second = await runFuzz({ ...half, seed: SEED + 1, deadlineMillis: Date.now() + 27_000 });
    const end = await settle();
    const seconds = (Date.now() - started) / 1000;
    const stats = first;
    for (const [k, v] of second.statuses) stats.statuses.set(k, (stats.statuses.get(k) ?? 0) + v);
    stats.failures.push(...second.failures);
    stats.reports += second.reports;
    stats.requests += second.requests;
    stats.raw += second.raw;
    stats.clientErrors += second.clientErrors;

    const statuses = [...stats.statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}:${n}`).join(' ');
    const mb = (n: number) => (n / MiB).toFixed(1);
    console.log(`fuzz seed ${SEED}: ${stats.reports} reports, ${stats.requests} requests, ${stats.raw} raw in ${seconds.toFixed(1)} s (with settling); ` +
      `statuses ${statuses}; client-side errors ${stats.clientErrors}; RSS ${mb(rssBefore)} → ${mb(mid.rss)} (half) → ${mb(end.rss)} MiB (end); ` +
      `live heap after GC ${mb(heapBefore)} → ${mb(mid.heap)} → ${mb(end.heap)} MiB`);

    assert.deepEqual(stats.failures, [], `5xx answers (seed ${SEED})`);
    assert.equal(app.child.exitCode, null, `the app exited:\n${app.output().slice(-3000)}`);
    assert.equal((await call(`http://127.0.0.1:${port}/api/health`)).status, 200);
    assert.ok(stats.reports >= 1000, `only ${stats.reports} reports sent in time`);
    // V8 keeps freed pages, so RSS is not expected to fall back; it must plateau: the second half
    // may add little over the first. The live heap after a full GC must come back to the baseline:
    // the fuzz reports have left the window, and every cache is bounded (a few MiB of slack for
    // them and for code the second half compiles).
    assert.ok(end.rss <= mid.rss + Math.max(48 * MiB, (mid.rss - rssBefore) * 0.5), `RSS ${mb(rssBefore)} → ${mb(mid.rss)} → ${mb(end.rss)} MiB`);
    assert.ok(end.heap <= heapBefore + 16 * MiB && end.heap <= mid.heap + 8 * MiB, `heap ${mb(heapBefore)} → ${mb(mid.heap)} → ${mb(end.heap)} MiB`);
  });
});
