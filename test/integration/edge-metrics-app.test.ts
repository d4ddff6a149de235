// Edge figures through a real app (issue #10): a report with per-connection figures POSTed to
// /api/report shows as `edge_metrics` in /api/topology/containers and as bounded openscope_edge_*
// series on /metrics, which go away when the report leaves the window.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeReport } from '../../src/report/codec/index.js';
import type { Report } from '../../src/report/types.js';
import { getJson, postReport, startTestApp, SUITE } from '../app/helpers.js';
import { addContainer, addLocalEndpoint, addProcess, hostReport, T0 } from '../render/build.js';

/** c1 → c2 at 1000 + 200 B/s, c1 → c3 at 10 B/s. */
function report(): Report {
  const r = hostReport();
  addContainer(r, 'c1', 'front');
  addContainer(r, 'c2', 'back');
  addContainer(r, 'c3', 'cache');
  addProcess(r, 1, 'client', 'c1');
  addProcess(r, 2, 'server', 'c2');
  addProcess(r, 3, 'redis', 'c3');
  addLocalEndpoint(r, 'h1;10.0.0.1;5000', 1, ['h1;10.0.0.2;80']);
  addLocalEndpoint(r, 'h1;10.0.0.2;80', 2);
  addLocalEndpoint(r, 'h1;10.0.0.1;5001', 1, ['h1;10.0.0.3;6379']);
  addLocalEndpoint(r, 'h1;10.0.0.3;6379', 3);
  const set = (id: string, latest: Record<string, string>): void => {
    const n = r.topologies.endpoint.nodes.get(id)!;
    for (const [k, v] of Object.entries(latest)) n.latest.set(k, { timestamp: T0, value: v });
  };
  set('h1;10.0.0.1;5000', { openscope_bytes_sent_per_s: '1000', openscope_bytes_received_per_s: '200', openscope_rtt_us: '1500', openscope_retransmits: '3' });
  set('h1;10.0.0.1;5001', { openscope_bytes_sent_per_s: '10', openscope_resets: '1' });
  return r;
}

async function scrape(url: string): Promise<string[]> {
  const res = await fetch(`${url}metrics`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(res.status, 200);
  return (await res.text()).split('\n').filter((l) => l.startsWith('openscope_edge_'));
}

test('edge figures in /api/topology and top-K series on /metrics, gone with the report', SUITE, async () => {
  const app = await startTestApp({ windowMillis: 1500, edgeMetricsTopK: 1 });
  try {
    const posted = await postReport(app, encodeReport(report(), 'json'), { 'content-type': 'application/json' });
    assert.equal(posted.status, 200);

    const { body } = await getJson(app, 'api/topology/containers');
    const c1 = (body as { nodes: Record<string, { edge_metrics?: Record<string, Record<string, number>> }> }).nodes['c1;<container>']!;
    assert.deepEqual(c1.edge_metrics, {
      'c2;<container>': { connections: 1, bytes_sent_per_s: 1000, bytes_received_per_s: 200, rtt_us_median: 1500, rtt_us_p95: 1500, retransmits: 3 },
      'c3;<container>': { connections: 1, bytes_sent_per_s: 10, resets: 1 },
    });

    const lines = await scrape(app.url);
    const edge = 'topology="containers",source="front",target="back",source_id="c1;<container>",target_id="c2;<container>"';
    for (const expected of [
      `openscope_edge_bytes_per_second{${edge},direction="sent"} 1000`,
      `openscope_edge_bytes_per_second{${edge},direction="received"} 200`,
      `openscope_edge_rtt_seconds{${edge},quantile="0.5"} 0.0015`,
      `openscope_edge_rtt_seconds{${edge},quantile="0.95"} 0.0015`,
      `openscope_edge_connections{${edge}} 1`,
      `openscope_edge_retransmits{${edge}} 3`,
      'openscope_edge_metrics_edges{topology="containers"} 2',
    ]) {
      assert.ok(lines.includes(expected), `missing ${expected} in\n${lines.join('\n')}`);
    }
    // Top 1 by bytes/s: the 10 B/s edge to c3 has no series.
    assert.equal(lines.some((l) => l.includes('target_id="c3;<container>"')), false);
    // The hosts view: host-local traffic is the host's self edge, also exported.
    assert.ok(lines.some((l) => l.startsWith('openscope_edge_bytes_per_second{topology="hosts"')), lines.join('\n'));

    // Once the report leaves the window, the series go (no stale edges).
    const deadline = Date.now() + 10_000;
    let left = lines;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      left = (await scrape(app.url)).filter((l) => !l.startsWith('openscope_edge_metrics_edges'));
      if (left.length === 0) break;
    }
    assert.deepEqual(left, []);
  } finally {
    await app.close();
  }
});
