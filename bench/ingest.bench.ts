/**
 * Report ingest cost in the app (issues #3, #4, #8): the app's CPU time to accept one
 * POST /api/report — HTTP, body read, gunzip, decode + validation, hand-off to the collector —
 * as a ratio to gunzip + plain `@msgpack/msgpack` decode of the same bytes measured in this run.
 *
 * The app runs compiled, as its own process, with a 1-s window; PROBES probe ids post in turn, each
 * its next report (times moved on, fresh samples: never the same bytes twice) every 200 ms, so the window holds ~5 reports per probe as Scope's 15-s window holds a 3-s probe's.
 * Its CPU is read from /proc/<pid>/stat (utime+stime), less its idle CPU over as long a quiet spell.
 * A second row per case times the decode step alone (gunzip + decodeReport) in this process against
 * the same baseline.
 * INGEST_PROFILE_DIR=<dir> runs the app under `--cpu-prof`; INGEST_APP_JS=<cli/main.js> uses an
 * already compiled app; INGEST_CASE=<substring> picks cases; INGEST_NODE_FLAGS adds node flags.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { decode as libDecode } from '@msgpack/msgpack';
import { decodeReport } from '../src/report/codec/index.js';
import type { Report } from '../src/report/types.js';
import { syntheticReport } from '../test/render/synthetic.js';
import { runtimeFlagsNote, startBenchApp, stopProcess, type BenchApp } from './lib/app-process.js';
import { cliArgs } from './lib/compiled.js';
import { fixtureReport, PROBE_HEADERS, probeBodyAt } from './lib/fake-probes.js';
import { reportBodies } from './lib/report-ticks.js';
import { measurePaired } from './lib/measure.js';
import type { BenchResult } from './lib/types.js';

const PROFILE_DIR = process.env.INGEST_PROFILE_DIR;
/** Timed POSTs per case. */
const POSTS = Number(process.env.INGEST_POSTS ?? 200);
/** Untimed POSTs first: JIT warm-up and a full window. */
const WARMUP = 50;
const PROBES = 5;
/** Each probe posts every 200 ms into a 1-s window: ~5 reports per probe, as a 3-s probe in Scope's 15-s window. */
const WINDOW = '1s';
const POST_EVERY_MILLIS = 200 / PROBES;

/** POSTs of one probe over a run (warm-up included). */
const PER_PROBE = Math.ceil((WARMUP + POSTS) / PROBES);

interface Case {
  name: string;
  /**
   * Successive gzip+msgpack bodies per probe id (probe i's k-th POST sends bodies[i][k]): each
   * POST is the probe's next report, never the same bytes again, as a real probe's.
   */
  bodies: () => Buffer[][];
}

/** Every probe sends `report`'s successive ticks (bench/lib/report-ticks.ts). */
const ticksOf = (report: Report): Buffer[][] => {
  const bodies = reportBodies(report, PER_PROBE, 3000);
  return Array.from({ length: PROBES }, () => bodies);
};

const CASES: Case[] = [
  { name: '~150 processes (synthetic)', bodies: () => ticksOf(syntheticReport(150)) },
  { name: '~530 processes (synthetic)', bodies: () => ticksOf(syntheticReport(530)) },
  { name: '5 containers (recorded probe report-06, 88 processes)', bodies: () => ticksOf(fixtureReport(6)) },
  {
    name: 'load fixture (recorded reports as distinct hosts)',
    bodies: () => {
      const start = Math.floor(Date.now() / 1000);
      return Array.from({ length: PROBES }, (_, i) => Array.from({ length: PER_PROBE }, (_, k) => probeBodyAt(i, k, start)));
    },
  },
];

/** The app under test, with `--cpu-prof` when INGEST_PROFILE_DIR is set and INGEST_NODE_FLAGS. */
function startApp(args: string[]): Promise<BenchApp> {
  const nodeFlags = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  if (process.env.INGEST_NODE_FLAGS) nodeFlags.push(...process.env.INGEST_NODE_FLAGS.split(' '));
  return startBenchApp(args, [`--app.window=${WINDOW}`], { nodeFlags, stdout: process.env.INGEST_NODE_FLAGS ? 'inherit' : 'ignore' });
}

/** utime+stime of `pid`, in ms. */
function cpuMillis(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function post(base: string, body: Buffer, probeId: string): Promise<void> {
  const res = await fetch(`${base}api/report`, { method: 'POST', body, headers: { ...PROBE_HEADERS, 'x-scope-probe-id': probeId } });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`POST /api/report: HTTP ${res.status}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Mean app CPU per POST, in ms, less the app's idle CPU over the same wall time. */
async function appIngestMillis(base: string, pid: number, bodies: Buffer[][]): Promise<{ millis: number; idle: number }> {
  const send = async (i: number): Promise<void> => {
    const next = performance.now() + POST_EVERY_MILLIS;
    await post(base, bodies[i % PROBES]![Math.floor(i / PROBES)]!, `ingestbench${i % PROBES}`);
    const wait = next - performance.now();
    if (wait > 0) await sleep(wait);
  };
  for (let i = 0; i < WARMUP; i++) await send(i); // JIT warm-up and a full window
  let before = cpuMillis(pid);
  const t = performance.now();
  for (let i = WARMUP; i < WARMUP + POSTS; i++) await send(i);
  const busy = cpuMillis(pid) - before;
  const wall = performance.now() - t;
  await sleep(1500); // the window empties
  before = cpuMillis(pid);
  await sleep(wall);
  const idle = cpuMillis(pid) - before;
  return { millis: (busy - idle) / POSTS, idle: idle / POSTS };
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  // INGEST_APP_JS=<compiled cli/main.js> skips the compile (for profiling runs).
  const appJs = process.env.INGEST_APP_JS;
  const cli = appJs ? { args: [appJs], note: `compiled JS, ${runtimeFlagsNote()}` } : cliArgs('ingest');
  const only = process.env.INGEST_CASE;
  for (const c of CASES.filter((x) => only === undefined || x.name.includes(only))) {
    const bodies = c.bodies();
    const flat = bodies.flat();
    const { proc, base } = await startApp(cli.args);
    let app: { millis: number; idle: number };
    try {
      app = await appIngestMillis(base, proc.pid!, bodies);
    } finally {
      await stopProcess(proc);
    }
    // Baseline: gunzip + a plain msgpack decode (tree only) of the same bodies, in this process.
    // Nothing is kept alive here: in one shared heap, what one side keeps would make the other
    // side's GC slower. (The app row includes the cost of keeping a window of reports.)
    let k = 0;
    let j = 0;
    const plain = () => libDecode(gunzipSync(flat[k++ % flat.length]!));
    const ours = () => decodeReport(gunzipSync(flat[j++ % flat.length]!), 'msgpack');
    const paired = measurePaired(ours, plain, { samples: 7 });
    const baselineMillis = paired.baselineNanos / 1e6;
    const raw = gunzipSync(flat[0]!).length;
    const size = `body ${Math.round(flat[0]!.length / 1024)} KB gzip, ${Math.round(raw / 1024)} KB msgpack`;
    results.push({
      name: `POST /api/report ingest, ${c.name}: app CPU per report`,
      value: app.millis,
      unit: 'ms',
      baseline: { name: 'gunzip + @msgpack/msgpack decode of the same bytes', value: baselineMillis },
      note: `${cli.note}; ${POSTS} POSTs from ${PROBES} probe ids, each the probe's next report (times on, fresh samples), one every ${POST_EVERY_MILLIS} ms, window ${WINDOW} (~5 reports per probe); HTTP + decode + memory collector add (merges the probe's window); app /proc utime+stime less idle (${app.idle.toFixed(2)} ms per report interval); ${size}`,
    });
    results.push({
      name: `gunzip + decodeReport, ${c.name}: CPU per report`,
      value: paired.candidateNanos / 1e6,
      unit: 'ms',
      baseline: { name: 'gunzip + @msgpack/msgpack decode of the same bytes', value: baselineMillis },
      ratio: paired.ratio,
      note: 'in this process, interleaved batches, median of 7, results not kept; the route\'s decode step, with validation, into the model (its inflate is inline for bodies ≤ 256 KiB)',
    });
  }
  return results;
}
