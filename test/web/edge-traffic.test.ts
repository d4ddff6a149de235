// Edge traffic in the UI (issue #10): validation of `edge_metrics`, edge width and colour in the
// scene (also on live updates), the hover text, and the table's traffic columns and filter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { NodeSummary } from '../../web/src/domain/api-types.js';
import { parseDiff, parseNodes } from '../../web/src/api/validate.js';
import { edgeTooltipLines, formatRate, formatRtt, nodeTraffic, parseRate, trafficWidth } from '../../web/src/ui/edge-traffic.js';
import { buildScene, nextScene, type SceneInput } from '../../web/src/ui/scene.js';
import { cellValue, inDegrees, passesTrafficFilter, sortRows, tableColumns } from '../../web/src/ui/table-model.js';

const fixture = (p: string): unknown => JSON.parse(readFileSync(new URL(`../../../shared/fixtures/scope/${p}`, import.meta.url), 'utf8'));

function nodes(): Map<string, NodeSummary> {
  return parseNodes({
    nodes: {
      a: { id: 'a', label: 'front', labelMinor: '', rank: 'x', adjacency: ['b', 'c'], edge_metrics: {
        b: { connections: 2, bytes_sent_per_s: 2_000_000, bytes_received_per_s: 500, rtt_us_median: 1500, rtt_us_p95: 4000 },
        c: { connections: 1, bytes_sent_per_s: 10, resets: 1 },
      } },
      b: { id: 'b', label: 'back', labelMinor: '', rank: 'x', adjacency: ['c'] },
      c: { id: 'c', label: 'cache', labelMinor: '', rank: 'x' },
    },
  });
}

const positions = { a: { x: 0, y: 0 }, b: { x: 100, y: 0 }, c: { x: 0, y: 100 } };
const input = (n: Map<string, NodeSummary>): SceneInput => ({ nodes: n, positions, matches: null, hidden: null, metricLabel: null });

test('validation keeps well-formed figures and drops the rest', () => {
  const parsed = parseNodes({
    nodes: {
      a: { id: 'a', label: 'a', adjacency: ['b'], edge_metrics: { b: { connections: 1, bytes_sent_per_s: 5, rtt_us_p95: -1, resets: 'x' }, c: 7 } },
      d: { id: 'd', label: 'd', edge_metrics: 'nonsense' },
    },
  });
  assert.deepEqual({ ...parsed.get('a')!.edge_metrics }, { b: { connections: 1, bytes_sent_per_s: 5 } });
  assert.equal(parsed.get('d')!.edge_metrics, undefined);
  const diff = parseDiff({ add: null, update: [{ id: 'a', label: 'a', edge_metrics: { b: { connections: 3 } } }], remove: null });
  assert.equal(diff.update![0]!.edge_metrics!['b']!.connections, 3);
});

test('edge width grows with the log of bytes/s; retransmits or resets make an edge red', () => {
  assert.deepEqual([0, 50, 100, 1000, 10_000, 1e6, 1e12].map(trafficWidth), [0, 0, 0, 1, 2, 4, 7]);
  const scene = buildScene(input(nodes()));
  const e = (id: string) => scene.edges.find((x) => x.id === id)!;
  assert.equal(e('a---b').width, 4);
  assert.equal(e('a---b').alert, false);
  assert.equal(e('a---c').width, 0);
  assert.equal(e('a---c').alert, true);
  assert.equal(e('b---c').traffic, undefined);
  assert.equal(e('b---c').width, 0);
});

test('Scope answers (no edge_metrics) draw every edge at base width', () => {
  const containers = parseNodes(fixture('rendered/containers.json'));
  const pos: Record<string, { x: number; y: number }> = {};
  let i = 0;
  for (const id of containers.keys()) pos[id] = { x: i++ * 50, y: 0 };
  const scene = buildScene({ nodes: containers, positions: pos, matches: null, hidden: null, metricLabel: null });
  assert.ok(scene.edges.length > 0);
  assert.ok(scene.edges.every((e) => e.width === 0 && !e.alert && e.traffic === undefined));
  assert.equal(tableColumns(containers.values(), {}).some((c) => c.kind === 'traffic'), false);
});

test('a live update that changes only figures rebuilds those edges and keeps the others', () => {
  const before = nodes();
  const prev = buildScene(input(before));
  const after = new Map(before);
  const a = before.get('a')!;
  after.set('a', { ...a, edge_metrics: { ...a.edge_metrics, c: { connections: 1, bytes_sent_per_s: 50_000 } } });
  const next = nextScene({ scene: prev, input: input(before) }, input(after));
  const e = (id: string) => next.edges.find((x) => x.id === id)!;
  assert.equal(e('a---c').width, 3);
  assert.equal(e('a---c').alert, false);
  assert.equal(e('b---c'), prev.edges.find((x) => x.id === 'b---c'), 'untouched edges are reused');
  assert.equal(next.neighbours, prev.neighbours);
});

test('hover text: direction, bytes/s each way, RTT median and p95, connections and problems', () => {
  const a = nodes().get('a')!;
  assert.deepEqual(edgeTooltipLines('front', 'back', a.edge_metrics!['b']), ['front → back', '→ 2 MB/s   ← 500 B/s', 'RTT 1.5 ms (p95 4 ms)', '2 connections']);
  assert.deepEqual(edgeTooltipLines('front', 'cache', a.edge_metrics!['c']), ['front → cache', '→ 10 B/s   ← 0 B/s', '1 connection · 1 reset']);
  assert.deepEqual(edgeTooltipLines('x', 'y', undefined), ['x → y']);
  assert.deepEqual([formatRate(999), formatRate(1500), formatRate(12_345_678)], ['999 B/s', '1.5 kB/s', '12.3 MB/s']);
  assert.deepEqual([formatRtt(850), formatRtt(1500), formatRtt(52_300), formatRtt(2_100_000)], ['850 µs', '1.5 ms', '52.3 ms', '2.1 s']);
});

test('table: traffic per node sums its edges both ways; sortable and filterable', () => {
  const n = nodes();
  const traffic = nodeTraffic(n.values());
  assert.deepEqual(traffic.get('a'), { sentPerSecond: 2_000_010, receivedPerSecond: 500, rttP95Micros: 4000, retransmits: 0, resets: 1 });
  assert.deepEqual(traffic.get('b'), { sentPerSecond: 500, receivedPerSecond: 2_000_000, rttP95Micros: 4000, retransmits: 0, resets: 0 });
  assert.deepEqual(traffic.get('c'), { sentPerSecond: 0, receivedPerSecond: 10, rttP95Micros: null, retransmits: 0, resets: 1 });
  const cols = tableColumns(n.values(), {});
  assert.deepEqual(cols.filter((c) => c.kind === 'traffic').map((c) => c.id), ['traffic:sent', 'traffic:received', 'traffic:rtt', 'traffic:retransmits', 'traffic:resets']);
  const received = cols.find((c) => c.id === 'traffic:received')!;
  const indeg = inDegrees(n.values());
  assert.deepEqual(sortRows([...n.values()], received, true, indeg, traffic).map((x) => x.id), ['b', 'a', 'c']);
  const rtt = cols.find((c) => c.id === 'traffic:rtt')!;
  assert.equal(cellValue(n.get('c')!, rtt, indeg, traffic), null);
  assert.deepEqual(sortRows([...n.values()], rtt, true, indeg, traffic).map((x) => x.id), ['b', 'a', 'c'], 'ties by label, empty cells last');
  const pass = (minBytesPerSecond: number, onlyProblems: boolean) =>
    [...n.keys()].filter((id) => passesTrafficFilter(id, { minBytesPerSecond, onlyProblems }, traffic));
  assert.deepEqual(pass(0, false), ['a', 'b', 'c']);
  assert.deepEqual(pass(parseRate('1k'), false), ['a', 'b']);
  assert.deepEqual(pass(0, true), ['a', 'c']);
  assert.deepEqual([parseRate(''), parseRate('10k'), parseRate('1.5 MB/s'), parseRate('x')], [0, 10_000, 1_500_000, NaN]);
});

test('a self edge counts once for its node', () => {
  const self = parseNodes({ nodes: { h: { id: 'h', label: 'h', adjacency: ['h'], edge_metrics: { h: { connections: 1, bytes_sent_per_s: 7, bytes_received_per_s: 7 } } } } });
  assert.deepEqual(nodeTraffic(self.values()).get('h'), { sentPerSecond: 7, receivedPerSecond: 7, rttP95Micros: null, retransmits: 0, resets: 0 });
});
