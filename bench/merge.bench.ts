/**
 * Report merge speed (issue #2 point 2): the app folds every report of its window into one report
 * on each (cached) request; the probe folds its 1 s spy ticks before each publish.
 *
 * Baseline: `structuredClone` of the same input reports, measured in the same run. A merge cannot
 * alias the mutable parts of its inputs, so producing the merged report costs about one copy of
 * the input data plus the per-entry merge decisions; V8's native deep copy of exactly that data is
 * the natural yardstick (JSON.parse would also count text scanning, which a merge never does, and
 * could not even carry the `Map`s). Ratio < 1 means merging all inputs is cheaper than merely
 * deep-copying them once.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { decodeReport } from '../src/report/codec/index.js';
import { copyReport } from '../src/report/copy.js';
import { removePartMergedNodes } from '../src/report/delta.js';
import { makeProcessNodeId, makeHostNodeId } from '../src/report/ids.js';
import { makeSingletonMetric, mergeReportInto, mergeReports } from '../src/report/merge.js';
import { makeNode, makeReport } from '../src/report/model.js';
import { timeFromUnix } from '../src/report/time.js';
import type { Report } from '../src/report/types.js';
import { measurePaired } from './lib/measure.js';
import type { BenchResult } from './lib/types.js';

const FIXTURES = new URL('../../shared/fixtures/scope/', import.meta.url);

function fixtures(): Report[] {
  return Array.from({ length: 8 }, (_, i) =>
    decodeReport(gunzipSync(readFileSync(new URL(`probe-reports/report-0${i + 1}.msgpack.gz`, FIXTURES))), 'msgpack'),
  );
}

/**
 * One spy tick of a busy host: `processes` processes (7 latest, 3 metrics, 2 parents each) and
 * `endpoints` endpoints (3 latest, one adjacency each), stamped `second`. Consecutive ticks share
 * node keys and differ in timestamps and sample values, as real ticks do.
 */
function syntheticTick(second: number, processes: number, endpoints: number): Report {
  const r = makeReport();
  const ts = timeFromUnix(1_767_000_000 + second, 123_456_789);
  r.ts = ts;
  r.windowNanos = 1e9;
  const hostId = makeHostNodeId('bench-host');
  const host = makeNode(hostId, 'host');
  host.latest.set('host_name', { timestamp: ts, value: 'bench-host' });
  host.metrics.set('load1', makeSingletonMetric(ts, 0.5 + second / 100));
  r.topologies.host.nodes.set(hostId, host);
  for (let p = 0; p < processes; p++) {
    const id = makeProcessNodeId('bench-host', 1000 + p);
    const n = makeNode(id, 'process');
    for (const [k, v] of [
      ['pid', String(1000 + p)],
      ['ppid', '1'],
      ['name', `/usr/bin/worker-${p % 50}`],
      ['cmdline', `/usr/bin/worker-${p % 50} --id ${p} `],
      ['threads', String(1 + (p % 8))],
      ['host_node_id', hostId],
      ['docker_container_id', `c${p % 40}`],
    ]) {
      n.latest.set(k!, { timestamp: ts, value: v! });
    }
    n.metrics.set('process_cpu_usage_percent', makeSingletonMetric(ts, (p + second) % 100, 400));
    n.metrics.set('process_memory_usage_bytes', makeSingletonMetric(ts, 1e6 + p, 1.8e19));
    n.metrics.set('open_files_count', makeSingletonMetric(ts, p % 64, 1_048_576));
    n.parents.set('host', [hostId]);
    n.parents.set('container', [`c${p % 40};<container>`]);
    r.topologies.process.nodes.set(id, n);
  }
  for (let e = 0; e < endpoints; e++) {
    const id = `;10.${(e >> 16) & 255}.${(e >> 8) & 255}.${e & 255};${30000 + (e % 20000)}`;
    const n = makeNode(id, 'endpoint');
    n.latest.set('pid', { timestamp: ts, value: String(1000 + (e % processes)) });
    n.latest.set('host_node_id', { timestamp: ts, value: hostId });
    n.latest.set('conntracked', { timestamp: ts, value: 'true' });
    n.adjacency = [`;10.99.${e % 256}.1;80`];
    r.topologies.endpoint.nodes.set(id, n);
  }
  return r;
}

const ms = (ns: number): number => ns / 1e6;

export async function run(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];

  // 1. The app: merge the 8 recorded reports (2 shortcut, 2 full, 4 delta) into a fresh report,
  //    then drop part-merged nodes — what serving one request with this window costs.
  const reports = fixtures();
  const window = measurePaired(
    () => {
      const acc = makeReport();
      for (const r of reports) mergeReportInto(acc, r);
      removePartMergedNodes(acc);
      return acc;
    },
    () => structuredClone(reports),
  );
  out.push({
    name: 'app window: fold 8 recorded probe reports (~90 processes each)',
    value: ms(window.candidateNanos),
    unit: 'ms/op',
    baseline: { name: 'structuredClone of the 8 reports', value: ms(window.baselineNanos) },
    ratio: window.ratio,
    target: '≤ 1×',
    note: `${Math.round(8 / (window.candidateNanos / 1e9))} reports/s`,
  });

  // 2. The probe: merge consecutive spy ticks of a busy host (1,000 processes, 5,000 endpoints).
  const ticks = [0, 1, 2].map((s) => syntheticTick(s, 1000, 5000));
  const pure = measurePaired(
    () => mergeReports(ticks[0]!, ticks[1]!),
    () => structuredClone([ticks[0], ticks[1]]),
    { samples: 9, batchMillis: 100 },
  );
  out.push({
    name: 'mergeReports(a, b), synthetic ticks: 1,000 processes + 5,000 endpoints each',
    value: ms(pure.candidateNanos),
    unit: 'ms/op',
    baseline: { name: 'structuredClone of a and b', value: ms(pure.baselineNanos) },
    ratio: pure.ratio,
    target: '≤ 1×',
    note: `${Math.round(2 / (pure.candidateNanos / 1e9))} reports/s`,
  });

  const fold = measurePaired(
    () => {
      const acc = makeReport();
      for (const t of ticks) mergeReportInto(acc, t);
      return acc;
    },
    () => structuredClone(ticks),
    { samples: 9, batchMillis: 100 },
  );
  out.push({
    name: 'probe publish: fold 3 synthetic ticks into a fresh report (mergeReportInto)',
    value: ms(fold.candidateNanos),
    unit: 'ms/op',
    baseline: { name: 'structuredClone of the 3 ticks', value: ms(fold.baselineNanos) },
    ratio: fold.ratio,
    target: '≤ 1×',
    note: `${Math.round(3 / (fold.candidateNanos / 1e9))} reports/s`,
  });

  // The probe hands its spy ticks over (adoptSource): the first tick's nodes are taken, not
  // copied. A fold consumes its ticks, so both sides fold fresh merge-safe copies (`copyReport`,
  // the same work on both sides); the ratio is adopting vs copying.
  const adopt = measurePaired(
    () => {
      const acc = makeReport();
      for (const t of ticks.map(copyReport)) mergeReportInto(acc, t, { adoptSource: true });
      return acc;
    },
    () => {
      const acc = makeReport();
      for (const t of ticks.map(copyReport)) mergeReportInto(acc, t);
      return acc;
    },
    { samples: 9, batchMillis: 100 },
  );
  out.push({
    name: 'probe publish: copy 3 synthetic ticks + fold them with adoptSource',
    value: ms(adopt.candidateNanos),
    unit: 'ms/op',
    baseline: { name: 'copy 3 ticks + fold them copying', value: ms(adopt.baselineNanos) },
    ratio: adopt.ratio,
    target: '< 1×',
    note: 'both sides pay the same 3 copyReport calls',
  });

  // 3. Steady state: an accumulator that already holds tick 0 absorbs tick 1 (no new nodes).
  const acc = makeReport();
  mergeReportInto(acc, ticks[0]!);
  const steady = measurePaired(
    () => mergeReportInto(acc, ticks[1]!),
    () => structuredClone(ticks[1]),
    { samples: 9, batchMillis: 100 },
  );
  out.push({
    name: 'mergeReportInto(acc, tick) where acc already holds every node',
    value: ms(steady.candidateNanos),
    unit: 'ms/op',
    baseline: { name: 'structuredClone of the tick', value: ms(steady.baselineNanos) },
    ratio: steady.ratio,
    target: '≤ 1×',
    note: 'in place: no node copies; repeated merges of the same tick hit the dedup fast paths',
  });
  return out;
}
