/**
 * Load on the app (issue #8): N fake probes (distinct host names, container ids and probe ids;
 * the recorded fixture reports continued as a real probe would send them — each report stamped
 * 3 s after the probe's previous one, fresh sample values, a full report then deltas — built up
 * front by bench/lib/fake-probes.ts, one body per probe and cycle) publish every 3 s to an app run as its
 * own process (the CLI), with the memory and the Redis collector. The probes are a separate
 * load-generator process (bench/lib/load-generator.ts), and this process only measures: app CPU
 * from /proc/<pid>/stat (utime+stime) per ingested report and as % of one core, the latency of
 * `GET /api/topology/containers` (a request every 500 ms, one at a time), and the app's RSS.
 *
 * Target: one app core sustains 500 probes at 3-s intervals with containers-topology latency
 * under 200 ms. `LOAD_BENCH_N=500 LOAD_BENCH_COLLECTORS=memory LOAD_BENCH_PROF=/tmp/dir` runs one
 * configuration with the app under `--cpu-prof`; `LOAD_BENCH_APP_FLAGS` passes Node flags to the app,
 * `LOAD_BENCH_CLI` a compiled cli/main.js (no compile).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startRedis, type TestRedis } from '../test/collector/helpers.js';
import { runtimeFlagsNote, startBenchApp, stopProcess, type BenchApp } from './lib/app-process.js';
import { cliArgs } from './lib/compiled.js';
import { makeProbeBodies, writeProbeBodies } from './lib/fake-probes.js';
import type { BenchResult } from './lib/types.js';

/** Publish cycles measured per configuration (after the warm-up). */
const CYCLES = Number(process.env.LOAD_BENCH_CYCLES ?? 4);
/**
 * Publish cycles before the measured ones: the app's window (15 s) holds 5 publishes, so after 5
 * it is full and every arrival also expires the probe's report of one window ago — the steady
 * state a sustained load runs in. With fewer, windows still fill: no expiry, smaller folds.
 */
const WARMUP_CYCLES = Number(process.env.LOAD_BENCH_WARMUP ?? 5);
const PROBE_COUNTS = (process.env.LOAD_BENCH_N ?? '10,100,500').split(',').map(Number);
const COLLECTORS = (process.env.LOAD_BENCH_COLLECTORS ?? 'memory,redis').split(',');
const PROFILE_DIR = process.env.LOAD_BENCH_PROF;
/** Extra Node flags for the app (e.g. `--max-semi-space-size=64`), space-separated. */
const APP_FLAGS = (process.env.LOAD_BENCH_APP_FLAGS ?? '').split(' ').filter((f) => f !== '');
/** One latency request every this many ms (sequential: a slow answer delays the next). */
const LATENCY_EVERY_MILLIS = 500;
const CLK_TCK = 100;
const ROOT = new URL('..', import.meta.url).pathname;
let CLI: { args: string[]; note: string } = { args: [], note: '' };

/** utime+stime of `pid` in seconds, and its RSS in bytes. */
function usage(pid: number): { cpuSeconds: number; rssBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuSeconds, rssBytes: Number(rss?.[1] ?? 0) * 1024 };
}

function startAppProcess(collector: string): Promise<BenchApp> {
  const nodeFlags = [...APP_FLAGS, ...(PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [])];
  return startBenchApp(CLI.args, [`--app.collector=${collector}`], { nodeFlags });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

interface GeneratorEvent {
  event: 'cycle' | 'done';
  index?: number;
  /** Reports sent in the measured cycles. */
  reports?: number;
  /** Of those, answered with anything but 200 (or failed). */
  refused?: number;
  /** From the first to the last measured send, ms. */
  sendWindowMillis?: number;
  /** From the first measured send to the last answer, ms. */
  lastAnswerMillis?: number;
  /** The generator's own CPU time over the measured cycles, ms. */
  cpuMillis?: number;
}

async function runOne(collector: string, label: string, n: number, bodiesFile: string): Promise<BenchResult[]> {
  const { proc, base } = await startAppProcess(collector);
  const gen = spawn(process.execPath, ['--import', 'tsx', 'bench/lib/load-generator.ts', bodiesFile, base, String(n), String(CYCLES), String(WARMUP_CYCLES)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd: ROOT,
  });
  try {
    const latencies: number[] = [];
    let cpuStart = 0;
    let wallStart = 0;
    let load1Start = 0;
    let measuring = false;
    let containers = 0;
    let bytes = 0;
    let sampler: Promise<void> = Promise.resolve();
    const sample = async (): Promise<void> => {
      while (measuring) {
        const next = performance.now() + LATENCY_EVERY_MILLIS;
        const t = performance.now();
        const res = await fetch(`${base}api/topology/containers`);
        const body = await res.arrayBuffer();
        if (!measuring) break;
        latencies.push(performance.now() - t);
        bytes = body.byteLength;
        containers = Object.keys((JSON.parse(Buffer.from(body).toString('utf8')) as { nodes?: object }).nodes ?? {}).length;
        const wait = next - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    };
    let done: GeneratorEvent | undefined;
    for await (const line of createInterface({ input: gen.stdout })) {
      const ev = JSON.parse(line) as GeneratorEvent;
      if (ev.event === 'cycle' && ev.index === WARMUP_CYCLES) {
        cpuStart = usage(proc.pid!).cpuSeconds;
        wallStart = performance.now();
        load1Start = os.loadavg()[0]!;
        measuring = true;
        sampler = sample();
      }
      if (ev.event === 'done') {
        done = ev;
        break;
      }
    }
    const { cpuSeconds, rssBytes } = usage(proc.pid!);
    const wallSeconds = (performance.now() - wallStart) / 1000;
    measuring = false;
    await sampler;
    if (!done) throw new Error('load generator ended early');
    const reports = done.reports ?? 0;
    const refused = done.refused ?? 0;
    const cpu = cpuSeconds - cpuStart;
    latencies.sort((x, y) => x - y);
    const load = `load average ${load1Start.toFixed(1)} → ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores`;
    // Offered: what the generator sent over its send window (one probe spacing added, so a
    // perfect schedule reads N/3 per s). Accepted: 200 answers over the time to the last answer;
    // below the offered rate, the app fell behind (its queue drained after the sends ended).
    const nominal = n / 3;
    const offeredRate = reports / (((done.sendWindowMillis ?? 0) + 3000 / n) / 1000);
    const answerSeconds = (done.lastAnswerMillis ?? 0) / 1000;
    const acceptedRate = (reports - refused) / answerSeconds;
    const behind = offeredRate < 0.95 * nominal ? ' (generator fell behind: not a valid run of this N)' : '';
    const genCpu = `generator CPU ${(100 * (done.cpuMillis ?? 0) / 1000 / answerSeconds).toFixed(1)}% of one core (${((done.cpuMillis ?? 0) / reports).toFixed(2)} ms per report)`;
    // An app that falls behind holds fewer reports in its window than N probes make: its renders
    // and merges are then cheaper than at N, so its CPU per report is a lower bound.
    const lagging = acceptedRate < 0.95 * offeredRate ? ' — app fell behind: its window held fewer than N probes\' reports, so CPU per report and latency are for a smaller window' : '';
    const rates = `offered ${offeredRate.toFixed(0)} of the ${nominal.toFixed(0)} reports/s of N probes${behind}, accepted ${acceptedRate.toFixed(0)}/s (last answer ${answerSeconds.toFixed(1)} s after the first send${lagging})`;
    const note = `${CLI.note}${APP_FLAGS.length > 0 ? ` (app flags ${APP_FLAGS.join(' ')})` : ''}; ${CYCLES} cycles of 3 s after ${WARMUP_CYCLES} of warm-up (window full), ${reports} reports (each the probe's next: times 3 s on, fresh samples, full report then deltas)${refused ? `, ${refused} refused` : ''}; ${rates}; ${genCpu}; app CPU ${(100 * cpu / wallSeconds).toFixed(0)}% of one core; ${load}`;
    return [
      { name: `${label} N=${n}: app CPU per report`, value: (cpu / reports) * 1000, unit: 'ms', note },
      { name: `${label} N=${n}: app CPU`, value: (100 * cpu) / wallSeconds, unit: '% of one core', target: '≤ 100 % at N=500' },
      {
        // What the app would need to keep up with N probes, whatever share of a core it got here.
        name: `${label} N=${n}: app cores needed (CPU per report × N/3 per s)`,
        value: (cpu / reports) * nominal,
        unit: 'cores',
        target: '≤ 1 at N=500',
      },
      {
        name: `${label} N=${n}: containers topology latency p50`,
        value: percentile(latencies, 0.5),
        unit: 'ms',
        target: '< 200 ms at N=500',
        note: `p95 ${percentile(latencies, 0.95).toFixed(0)} ms over ${latencies.length} requests; ${containers} containers, ${(bytes / 1024).toFixed(0)} KiB`,
      },
      { name: `${label} N=${n}: app RSS`, value: rssBytes / 2 ** 20, unit: 'MiB' },
    ];
  } finally {
    await stopProcess(gen, 'SIGKILL');
    await stopProcess(proc, PROFILE_DIR ? 'SIGINT' : 'SIGTERM');
  }
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(os.tmpdir(), 'openscope-load-'));
  const results: BenchResult[] = [];
  let redis: TestRedis | undefined;
  try {
    // LOAD_BENCH_CLI=/path/to/compiled/cli/main.js skips the compile (profiling runs).
    CLI = process.env.LOAD_BENCH_CLI ? { args: [process.env.LOAD_BENCH_CLI], note: `compiled JS, ${runtimeFlagsNote()}` } : cliArgs('load');
    const bodiesFile = join(dir, 'bodies.bin');
    // One body per probe and cycle (warm-up included): a probe's times never go back.
    writeProbeBodies(bodiesFile, makeProbeBodies(Math.max(...PROBE_COUNTS), CYCLES + WARMUP_CYCLES));
    if (COLLECTORS.includes('redis')) redis = await startRedis();
    for (const n of PROBE_COUNTS) {
      if (COLLECTORS.includes('memory')) results.push(...(await runOne('local', 'memory', n, bodiesFile)));
      if (redis) results.push(...(await runOne(redis.url.replace(/\/0$/, `/${n % 16}`), 'redis', n, bodiesFile)));
    }
  } finally {
    await redis?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
