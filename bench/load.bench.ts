/**
 * Load on the app (issue #8): N fake probes (distinct host names and probe ids, fixture-shaped
 * reports) publish every 3 s to an app run as its own process (the CLI), with the memory and the
 * Redis collector. Recorded per (collector, N): app CPU per ingested report, the latency of
 * `GET /api/topology/containers` under that load, and the app's RSS.
 *
 * Target: one app core sustains 500 probes at 3-s intervals with containers-topology latency
 * under 200 ms. The load generator runs in this process, on the same (shared, 2-core) machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fakeProbeBody, startRedis, type TestRedis } from '../test/collector/helpers.js';
import type { BenchResult } from './lib/types.js';

const PUBLISH_INTERVAL_MILLIS = 3000;
/** Publish cycles measured per configuration (after one warm-up cycle). */
const CYCLES = Number(process.env.LOAD_BENCH_CYCLES ?? 4);
const PROBE_COUNTS = (process.env.LOAD_BENCH_N ?? '10,100,500').split(',').map(Number);
const CLK_TCK = 100;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** utime+stime of `pid` in seconds, and its RSS in bytes. */
function usage(pid: number): { cpuSeconds: number; rssBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuSeconds, rssBytes: Number(rss?.[1] ?? 0) * 1024 };
}

async function startAppProcess(collector: string): Promise<{ proc: ChildProcess; base: string }> {
  const port = await freePort();
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', '--mode=app', `--app.collector=${collector}`, `--app.http.address=127.0.0.1:${port}`, '--app.log.level=warn'],
    { stdio: ['ignore', 'ignore', 'inherit'], cwd: new URL('..', import.meta.url).pathname },
  );
  const base = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${base}api`)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error('app did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
  return { proc, base };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

async function runOne(collector: string, label: string, n: number, bodies: ReturnType<typeof fakeProbeBody>[]): Promise<BenchResult[]> {
  const { proc, base } = await startAppProcess(collector);
  try {
    const post = (i: number) =>
      fetch(`${base}api/report`, { method: 'POST', body: bodies[i % bodies.length]!.body, headers: { ...bodies[i % bodies.length]!.headers, 'x-scope-probe-id': `probe-${i}` } }).then(
        (r) => r.status,
        () => 0,
      );
    const latencies: number[] = [];
    let reports = 0;
    let refused = 0;
    let cpuStart = 0;
    for (let cycle = 0; cycle <= CYCLES; cycle++) {
      if (cycle === 1) cpuStart = usage(proc.pid!).cpuSeconds;
      const cycleStart = Date.now();
      // Probes spread evenly over the interval, as independent probes would be.
      const sends: Promise<number>[] = [];
      for (let i = 0; i < n; i++) {
        const due = cycleStart + (i * PUBLISH_INTERVAL_MILLIS) / n;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        sends.push(post(i));
        if (i % Math.max(1, Math.floor(n / 3)) === 0 && cycle > 0) {
          const t = performance.now();
          const res = await fetch(`${base}api/topology/containers`);
          await res.arrayBuffer();
          latencies.push(performance.now() - t);
        }
      }
      const statuses = await Promise.all(sends);
      if (cycle > 0) {
        reports += statuses.length;
        refused += statuses.filter((s) => s !== 200).length;
      }
      const rest = cycleStart + PUBLISH_INTERVAL_MILLIS - Date.now();
      if (rest > 0) await new Promise((r) => setTimeout(r, rest));
    }
    const { cpuSeconds, rssBytes } = usage(proc.pid!);
    const cpu = cpuSeconds - cpuStart;
    latencies.sort((x, y) => x - y);
    const note = `${CYCLES} cycles of 3 s, ${reports} reports${refused ? `, ${refused} refused` : ''}; app CPU ${(100 * cpu / (CYCLES * 3)).toFixed(0)}% of one core`;
    return [
      { name: `${label} N=${n}: app CPU per report`, value: (cpu / reports) * 1000, unit: 'ms', note },
      { name: `${label} N=${n}: containers topology latency p50`, value: percentile(latencies, 0.5), unit: 'ms', target: '< 200 ms at N=500', note: `p95 ${percentile(latencies, 0.95).toFixed(0)} ms over ${latencies.length} requests` },
      { name: `${label} N=${n}: app RSS`, value: rssBytes / 2 ** 20, unit: 'MiB' },
    ];
  } finally {
    proc.kill('SIGTERM');
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        proc.kill('SIGKILL');
        resolve();
      }, 5000);
      proc.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}

export async function run(): Promise<BenchResult[]> {
  // One fixture-shaped report per probe, each with its own host name (and probe id).
  const bodies = Array.from({ length: Math.max(...PROBE_COUNTS) }, (_, i) => fakeProbeBody(3 + (i % 6), `loadhost${i}`));
  const results: BenchResult[] = [];
  let redis: TestRedis | undefined;
  try {
    redis = await startRedis();
    for (const n of PROBE_COUNTS) {
      results.push(...(await runOne('local', 'memory', n, bodies)));
      results.push(...(await runOne(redis.url.replace(/\/0$/, `/${n % 16}`), 'redis', n, bodies)));
    }
  } finally {
    await redis?.kill();
  }
  return results;
}
