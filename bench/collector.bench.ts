/**
 * Collector storage (issue #8): bytes per hour of history kept by the file collector for one
 * 50-container host (500 processes, the synthetic busy host of the render benches) publishing
 * every 3 s, with reports that change from one publish to the next (timestamps and values), as
 * real ones do. Baselines measured in the same run: the same reports as raw msgpack and as
 * per-report gzip (what probes send). Also the cost of storing one report (file collector `add`)
 * against the memory collector's.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FileCollector, MemoryCollector } from '../src/app/collector/index.js';
import { encodeReport } from '../src/report/codec/index.js';
import { timeFromUnix } from '../src/report/time.js';
import type { Report } from '../src/report/types.js';
import { tempDir } from '../test/collector/helpers.js';
import { syntheticReport } from '../test/render/synthetic.js';
import type { BenchResult } from './lib/types.js';

const PUBLISH_MILLIS = 3000;
const MINUTES = Number(process.env.COLLECTOR_BENCH_MINUTES ?? 6);

/** Publish `i` of the busy host: every node's values and timestamps move on. */
function publish(base: Report, i: number): Report {
  const r = structuredClone(base);
  const ts = timeFromUnix(1_767_000_000 + 3 * i, 0);
  r.ts = ts;
  for (const topology of [r.topologies.process, r.topologies.container, r.topologies.host]) {
    for (const node of topology.nodes.values()) {
      for (const [key, entry] of node.latest) node.latest.set(key, { ...entry, timestamp: ts });
      node.latest.set('cpu_usage_percent', { timestamp: ts, value: String((i * 7 + node.id.length) % 100) });
      node.latest.set('memory_usage_bytes', { timestamp: ts, value: String(1_000_000 + ((i * 4099) % 65536)) });
    }
  }
  return r;
}

export async function run(): Promise<BenchResult[]> {
  const base = syntheticReport(500);
  const count = (MINUTES * 60_000) / PUBLISH_MILLIS;
  const tmp = tempDir('collector-bench-');
  let rawBytes = 0;
  let gzipBytes = 0;
  let addMillis = 0;
  let memoryAddMillis = 0;
  try {
    let now = 1_800_000_000_000;
    const start = now;
    const file = new FileCollector({ dir: tmp.dir, windowMillis: 15_000, now: () => now, segmentMillis: 60_000 });
    const memory = new MemoryCollector({ windowMillis: 15_000, now: () => now });
    await file.ready();
    for (let i = 0; i < count; i++, now += PUBLISH_MILLIS) {
      const r = publish(base, i);
      const bytes = encodeReport(r, 'msgpack');
      rawBytes += bytes.length;
      gzipBytes += gzipSync(bytes).length;
      let t = performance.now();
      await file.add('busy', r, now);
      addMillis += performance.now() - t;
      const copy = publish(base, i);
      t = performance.now();
      await memory.add('busy', copy, now);
      memoryAddMillis += performance.now() - t;
    }
    await file.close();
    await memory.close();
    // Closed, compressed segments and the time they cover.
    let stored = 0;
    let coveredMillis = 0;
    for (const f of readdirSync(tmp.dir)) {
      const m = /^(\d+)-(\d+)\.seg\.br$/.exec(f);
      if (!m) continue;
      stored += statSync(join(tmp.dir, f)).size;
      coveredMillis += Number(m[2]) - Number(m[1]) + PUBLISH_MILLIS;
    }
    const perHour = (bytes: number, millis: number) => (bytes / millis) * 3_600_000 / 2 ** 20;
    const totalMillis = now - start;
    const fileMiBPerHour = perHour(stored, coveredMillis);
    return [
      {
        name: 'file collector: history of one 50-container host',
        value: fileMiBPerHour,
        unit: 'MiB/h',
        baseline: { name: 'per-report gzip (probe wire)', value: perHour(gzipBytes, totalMillis) },
        target: 'a day well under 1 GiB',
        note: `${(fileMiBPerHour * 24).toFixed(0)} MiB/day; raw msgpack ${perHour(rawBytes, totalMillis).toFixed(0)} MiB/h; ${MINUTES} min simulated, ${(rawBytes / count / 1024).toFixed(0)} KiB/report`,
      },
      {
        name: 'file collector: store one report (add)',
        value: addMillis / count,
        unit: 'ms',
        baseline: { name: 'memory collector add', value: memoryAddMillis / count },
        note: 'encode + append; segment compression runs on the libuv pool',
      },
    ];
  } finally {
    tmp.remove();
  }
}
