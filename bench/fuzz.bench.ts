/**
 * Fuzz at scale (issue #7): 30,000 mutated probe reports (the recorded fixtures, msgpack and
 * JSON, gzip and plain), 10,000 random HTTP requests and 500 raw malformed requests at one app run
 * by the real CLI on 127.0.0.1. Figures: throughput, 5xx count (target 0), whether the app stayed
 * up, and the app's RSS before, at the peak and after a settle period, and its live heap after a
 * full GC (through the app's inspector, opened on loopback for the bench only). FUZZ_SEED replays a run; FUZZ_REPORTS / FUZZ_REQUESTS scale it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../test/helpers/openscope-process.js';
import { INSPECT_ENV, liveHeapBytes, rssBytes, runFuzz } from '../test/security/fuzz-lib.js';
import { call, spawnOpenScope, waitHealthy } from '../test/security/helpers.js';
import type { BenchResult } from './lib/types.js';

const MiB = 1024 * 1024;
const REPORTS = Number(process.env.FUZZ_REPORTS ?? 30_000);
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 10_000);
const RAW = 500;

export async function run(): Promise<BenchResult[]> {
  const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
  const port = await freePort();
  const app = spawnOpenScope(['--mode=app', `--app.http.address=127.0.0.1:${port}`, '--app.auth.token=T1', '--app.probe.token=P1', '--app.window=2s', '--app.log.level=error'], INSPECT_ENV);
  try {
    await waitHealthy(`http://127.0.0.1:${port}`, app);
    const pid = app.child.pid!;
    const common = { port, adminToken: 'T1', probeToken: 'P1', concurrency: 8 };
    await runFuzz({ ...common, seed: seed ^ 0x5eed, reports: 500, requests: 500, raw: 20, deadlineMillis: Date.now() + 60_000 });
    const settle = async () => {
      await sleep(4000);
      for (let i = 0; i < 5; i++) {
        await call(`http://127.0.0.1:${port}/api/topology`, { headers: { authorization: 'Bearer T1' } });
        await sleep(500);
      }
      return { rss: rssBytes(pid), heap: await liveHeapBytes(app.output()) };
    };
    const before = await settle();
    let peak = before.rss;
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, rssBytes(pid));
      } catch {
        // the app is gone; reported below
      }
    }, 250);
    const started = Date.now();
    const stats = await runFuzz({ ...common, seed, reports: REPORTS, requests: REQUESTS, raw: RAW, deadlineMillis: started + 20 * 60_000 });
    const seconds = (Date.now() - started) / 1000;
    clearInterval(sampler);
    const alive = app.child.exitCode === null && (await call(`http://127.0.0.1:${port}/api/health`)).status === 200;
    const after = await settle();
    const fiveXx = [...stats.statuses].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
    const statuses = [...stats.statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}:${n}`).join(' ');
    const sent = stats.reports + stats.requests + stats.raw;
    const note = `seed ${seed}; ${stats.reports} reports, ${stats.requests} requests, ${stats.raw} raw; statuses ${statuses}`;
    return [
      { name: 'fuzz: requests per second (reports + random + raw, 8 in flight)', value: sent / seconds, unit: 'req/s', note },
      { name: 'fuzz: 5xx answers', value: fiveXx, unit: 'count', target: '0', note: stats.failures.slice(0, 3).join('; ') },
      { name: 'fuzz: app alive afterwards (1 = yes)', value: alive ? 1 : 0, unit: 'bool', target: '1' },
      { name: 'fuzz: app RSS after settling', value: after.rss / MiB, unit: 'MiB', baseline: { name: 'before the run', value: before.rss / MiB },
        target: '≤ before + 96 MiB', note: `peak ${(peak / MiB).toFixed(1)} MiB; no GC forced` },
      { name: 'fuzz: app live heap after settling and a full GC', value: after.heap / MiB, unit: 'MiB', baseline: { name: 'before the run', value: before.heap / MiB },
        target: 'back near before', note: 'Runtime.getHeapUsage after HeapProfiler.collectGarbage' },
    ];
  } finally {
    await app.stop();
  }
}
