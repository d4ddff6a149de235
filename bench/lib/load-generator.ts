/**
 * The load generator of bench/load.bench.ts, run as its own process so that its CPU is not the
 * app's nor the measuring process's: N fake probes POST their reports to an app every publish
 * interval, spread evenly over the interval as independent probes would be.
 *
 *   node --import tsx bench/lib/load-generator.ts <bodies file> <app base URL> <N> <cycles>
 *
 * Prints one JSON line per event on stdout: `{"event":"cycle","index":k}` when cycle k starts
 * (cycle 0 is the warm-up), then `{"event":"done","reports":…,"refused":…}` (cycles ≥ 1 only).
 */
import { PROBE_HEADERS, readProbeBodies } from './fake-probes.js';

const PUBLISH_INTERVAL_MILLIS = 3000;
const [file, base, nArg, cyclesArg] = process.argv.slice(2);
if (!file || !base || !nArg || !cyclesArg) throw new Error('usage: load-generator <bodies> <base URL> <N> <cycles>');
const n = Number(nArg);
const cycles = Number(cyclesArg);
const { probes, perProbe, bodies } = readProbeBodies(file);
if (probes < n) throw new Error(`bodies file holds ${probes} probes, ${n} asked`);

const emit = (o: unknown): void => {
  process.stdout.write(`${JSON.stringify(o)}\n`);
};

async function post(i: number, cycle: number): Promise<number> {
  try {
    const res = await fetch(`${base}api/report`, {
      method: 'POST',
      body: bodies[i * perProbe + (cycle % perProbe)]!,
      headers: { ...PROBE_HEADERS, 'x-scope-probe-id': `loadprobe${i}` },
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

let reports = 0;
let refused = 0;
const pending: Promise<void>[] = [];
for (let cycle = 0; cycle <= cycles; cycle++) {
  const cycleStart = Date.now();
  emit({ event: 'cycle', index: cycle });
  for (let i = 0; i < n; i++) {
    const wait = cycleStart + (i * PUBLISH_INTERVAL_MILLIS) / n - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const measured = cycle > 0;
    pending.push(
      post(i, cycle).then((status) => {
        if (!measured) return;
        reports++;
        if (status !== 200) refused++;
      }),
    );
  }
  const rest = cycleStart + PUBLISH_INTERVAL_MILLIS - Date.now();
  if (rest > 0) await new Promise((r) => setTimeout(r, rest));
}
await Promise.all(pending);
emit({ event: 'done', reports, refused });
