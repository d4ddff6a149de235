/**
 * Render speed (app §2.5): every request and websocket tick renders a view for every viewer.
 * Scope 1.13.2 needs 28.6 ms to render the processes view of 530 processes; our target is under
 * half of that, render plus summaries, from a report not seen before (no memoised stages).
 *
 * Baseline: `JSON.stringify` of the same response, measured in the same run — the serialisation
 * the app must do anyway, so the ratio says what rendering costs beyond writing the answer.
 */
import { renderTopology, listTopologies } from '../src/render/index.js';
import type { Report } from '../src/report/types.js';
import { syntheticReport } from '../test/render/synthetic.js';
import { consume, measure, measurePaired } from './lib/measure.js';
import type { BenchResult } from './lib/types.js';

/** A report with the same content but a new identity, so per-report memoisation starts cold. */
const fresh = (r: Report): Report => ({ ...r });

export async function run(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  const base = syntheticReport(530);
  const response = renderTopology(fresh(base), 'processes', { unconnected: 'hide' });
  const m = measurePaired(
    () => renderTopology(fresh(base), 'processes', { unconnected: 'hide' }),
    () => JSON.stringify(response),
  );
  out.push({
    name: 'render processes (530 processes, cold)',
    value: m.candidateNanos / 1e6,
    unit: 'ms/op',
    baseline: { name: 'JSON.stringify of the response', value: m.baselineNanos / 1e6 },
    ratio: m.ratio,
    target: '≤ 14 ms (half of Scope’s 28.6 ms)',
  });
  for (const view of ['containers', 'hosts']) {
    out.push({
      name: `render ${view} (530 processes, cold)`,
      value: measure(() => renderTopology(fresh(base), view, { unconnected: 'hide' })) / 1e6,
      unit: 'ms/op',
    });
  }
  out.push({
    name: '/api/topology list (every view rendered, cold)',
    value: measure(() => consume(listTopologies(fresh(base)))) / 1e6,
    unit: 'ms/op',
    note: 'later requests for the same report reuse memoised views',
  });
  return Promise.resolve(out);
}
