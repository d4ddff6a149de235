/**
 * The load generator of bench/load.bench.ts, run as its own process so that its CPU is not the
 * app's nor the measuring process's: N fake probes POST their reports to an app every publish
 * interval, spread evenly over the interval as independent probes would be.
 *
 *   node bench/lib/load-generator.ts <bodies file> <app base URL> <N> <cycles> [<warm-up cycles>]
 *
 * Each probe sends a different body every publish — its next report, times moved on and fresh
 * samples, as a real probe's (bench/lib/fake-probes.ts `probeBodyAt`); never the same bytes twice.
 * Cheap per report, so that on a small machine the app keeps the CPU: every body is built,
 * msgpack-encoded and gzipped before the run (probe-major file, one body per probe and cycle), request
 * headers are built once per probe, and reports go out with plain `http.request` over a keep-alive
 * agent (no fetch/undici streams). One timer wakes when the next send is due (at most every
 * few ms) and sends everything due by then, so the sends follow the schedule even when a wake-up
 * is late.
 *
 * Prints one JSON line per event on stdout: `{"event":"cycle","index":k}` when cycle k starts
 * (cycles 0 … W−1 are the warm-up, W = <warm-up cycles>, default 1), then a `done` line about the
 * measured cycles (k ≥ W): reports sent, refused (non-200 or failed), the send window and the time
 * the last answer came (ms after cycle W started), and the generator's own CPU time over that time (ms).
 */
import { Agent, request } from 'node:http';
import { PROBE_HEADERS, readProbeBodies } from './fake-probes.js';

const PUBLISH_INTERVAL_MILLIS = 3000;
/** Shortest sleep between wake-ups (ms): with many probes, sends due meanwhile go out together. */
const TICK_MILLIS = 5;
const [file, base, nArg, cyclesArg, warmupArg] = process.argv.slice(2);
if (!file || !base || !nArg || !cyclesArg) throw new Error('usage: load-generator <bodies> <base URL> <N> <cycles> [<warm-up cycles>]');
const n = Number(nArg);
const cycles = Number(cyclesArg);
const warmup = Number(warmupArg ?? 1);
const { probes, perProbe, bodies } = readProbeBodies(file);
if (probes < n) throw new Error(`bodies file holds ${probes} probes, ${n} asked`);
// Replaying a probe's bodies would send times that go back: a probe must have a body per cycle.
if (perProbe < cycles + warmup) throw new Error(`bodies file holds ${perProbe} reports per probe, ${cycles + warmup} cycles asked`);

const target = new URL('api/report', base);
// One connection per probe, as N real probes would hold: a slow answer holds back no other probe.
const agent = new Agent({ keepAlive: true, maxSockets: n });
const headersOf = Array.from({ length: n }, (_, i) => ({ ...PROBE_HEADERS, 'x-scope-probe-id': `loadprobe${i}` }));

const emit = (o: unknown): void => {
  process.stdout.write(`${JSON.stringify(o)}\n`);
};

function post(i: number, cycle: number, done: (status: number) => void): void {
  const body = bodies[i * perProbe + cycle]!;
  const req = request(
    { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers: { ...headersOf[i], 'content-length': body.length } },
    (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode ?? 0));
      res.on('error', () => done(0));
    },
  );
  req.on('error', () => done(0));
  req.end(body);
}

const cpuMillis = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

let answered = 0;
let refused = 0;
let measuredStart = 0;
let cpuStart = 0;
let lastSendMillis = 0;
let lastAnswerMillis = 0;
const total = (cycles + warmup) * n;
const runStart = performance.now();
let next = 0; // index of the next send over all cycles: cycle = ⌊next / n⌋, probe = next mod n

function finish(): void {
  emit({
    event: 'done',
    reports: cycles * n,
    refused,
    sendWindowMillis: lastSendMillis - measuredStart,
    lastAnswerMillis: lastAnswerMillis - measuredStart,
    cpuMillis: cpuMillis() - cpuStart,
  });
  agent.destroy();
}

/** When send `k` (over all cycles) is due. */
function dueOf(k: number): number {
  return runStart + Math.floor(k / n) * PUBLISH_INTERVAL_MILLIS + ((k % n) * PUBLISH_INTERVAL_MILLIS) / n;
}

function tick(): void {
  const now = performance.now();
  while (next < total) {
    const cycle = Math.floor(next / n);
    const i = next % n;
    if (dueOf(next) > now) break;
    if (i === 0) {
      if (cycle === warmup) {
        measuredStart = now;
        cpuStart = cpuMillis();
      }
      emit({ event: 'cycle', index: cycle });
    }
    const measured = cycle >= warmup;
    post(i, cycle, (status) => {
      if (!measured) return;
      answered++;
      if (status !== 200) refused++;
      lastAnswerMillis = performance.now();
      if (answered === cycles * n) finish();
    });
    if (measured) lastSendMillis = now;
    next++;
  }
  if (next < total) setTimeout(tick, Math.max(TICK_MILLIS, dueOf(next) - performance.now()));
}
if (cycles * n === 0) throw new Error('nothing to send: N and cycles must be positive');
tick();
