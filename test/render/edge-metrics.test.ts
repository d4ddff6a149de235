// Per-edge traffic figures (issue #10): aggregation in every view, the `edge_metrics` API field,
// and websocket diffs when figures change. Hand-built reports.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffTopology, renderNodeDetails, renderTopology, type ApiEdgeMetrics, type NodeSummary } from '../../src/render/index.js';
import { timeFromUnix } from '../../src/report/time.js';
import type { Node, Report } from '../../src/report/types.js';
import { add, addContainer, addLocalEndpoint, addProcess, addRemoteEndpoint, hostReport, T0 } from './build.js';

/** Sets latest figures (and RTT samples) on a client endpoint. */
function figures(r: Report, endpointId: string, latest: Record<string, string>, rttSamples: number[] = []): Node {
  const n = r.topologies.endpoint.nodes.get(endpointId)!;
  for (const [k, v] of Object.entries(latest)) n.latest.set(k, { timestamp: T0, value: v });
  if (rttSamples.length > 0) {
    n.metrics.set('openscope_rtt_us', {
      samples: rttSamples.map((value, i) => ({ date: timeFromUnix(1_767_000_000 + i, 0), value })),
      min: 0,
      max: Math.max(...rttSamples),
    });
  }
  return n;
}

/**
 * Processes 1 (client) and 3 (client, same name) in container c1, 2 (server) in c2, all on h1:
 * 1 → 2 twice (one endpoint standing for 3 connections), 3 → 2 once, 1 → 8.8.8.8:443 once.
 */
function trafficReport(): Report {
  const r = hostReport();
  addContainer(r, 'c1', 'front');
  addContainer(r, 'c2', 'back');
  addProcess(r, 1, 'client', 'c1');
  addProcess(r, 3, 'client', 'c1');
  addProcess(r, 2, 'server', 'c2');
  addLocalEndpoint(r, 'h1;10.0.0.1;5000', 1, ['h1;10.0.0.2;80']);
  addLocalEndpoint(r, 'h1;10.0.0.1;5001', 1, ['h1;10.0.0.2;80']);
  addLocalEndpoint(r, 'h1;10.0.0.1;5002', 3, ['h1;10.0.0.2;80']);
  addLocalEndpoint(r, 'h1;10.0.0.2;80', 2);
  addLocalEndpoint(r, 'h1;10.0.0.1;5003', 1, [';8.8.8.8;443']);
  addRemoteEndpoint(r, ';8.8.8.8;443');
  figures(r, 'h1;10.0.0.1;5000', {
    openscope_bytes_sent_per_s: '100', openscope_bytes_received_per_s: '1000', openscope_bytes_sent: '5000',
    openscope_bytes_received: '70000', openscope_retransmits: '1', openscope_resets: '0', conn_count: '3',
    openscope_connections_per_s: '0.5',
  }, [100, 200, 300]);
  figures(r, 'h1;10.0.0.1;5001', { openscope_bytes_sent_per_s: '50', openscope_bytes_received_per_s: '10.5', openscope_resets: '1' }, [400]);
  figures(r, 'h1;10.0.0.1;5002', { openscope_bytes_sent_per_s: '7', openscope_rtt_us: '1000' });
  figures(r, 'h1;10.0.0.1;5003', { openscope_bytes_sent_per_s: '2', openscope_rtt_us: '20000' });
  return r;
}

const edge = (nodes: Record<string, NodeSummary>, from: string, to: string): ApiEdgeMetrics | undefined => nodes[from]?.edge_metrics?.[to];

/** The three connections of processes 1 and 3 to the server, pooled. */
const TO_SERVER_BOTH: ApiEdgeMetrics = {
  connections: 5,
  bytes_sent_per_s: 157,
  bytes_received_per_s: 1010.5,
  connections_per_s: 0.5,
  rtt_us_median: 300,
  rtt_us_p95: 1000,
  retransmits: 1,
  resets: 1,
  bytes_sent: 5000,
  bytes_received: 70000,
};

test('processes: an edge sums its connections; RTT median and p95 pool the window samples', () => {
  const nodes = renderTopology(trafficReport(), 'processes', {})!.nodes;
  assert.deepEqual({ ...edge(nodes, 'h1;1', 'h1;2') }, {
    connections: 4,
    bytes_sent_per_s: 150,
    bytes_received_per_s: 1010.5,
    connections_per_s: 0.5,
    rtt_us_median: 250,
    rtt_us_p95: 400,
    retransmits: 1,
    resets: 1,
    bytes_sent: 5000,
    bytes_received: 70000,
  });
  // Latest RTT stands in when a connection has no samples; fields nobody reported stay absent.
  assert.deepEqual({ ...edge(nodes, 'h1;3', 'h1;2') }, { connections: 1, bytes_sent_per_s: 7, rtt_us_median: 1000, rtt_us_p95: 1000 });
  assert.deepEqual({ ...edge(nodes, 'h1;1', 'out-theinternet') }, { connections: 1, bytes_sent_per_s: 2, rtt_us_median: 20000, rtt_us_p95: 20000 });
  // Figures sit on the client's node only; the server has no outgoing edges.
  assert.equal(nodes['h1;2']!.edge_metrics, undefined);
  assert.deepEqual(Object.keys(nodes['h1;1']!.edge_metrics!), ['h1;2', 'out-theinternet']);
});

test('grouped views pool the connections of every member', () => {
  const r = trafficReport();
  const byName = renderTopology(r, 'processes-by-name', {})!.nodes;
  assert.deepEqual({ ...edge(byName, 'client', 'server') }, TO_SERVER_BOTH);
  const containers = renderTopology(r, 'containers', {})!.nodes;
  assert.deepEqual({ ...edge(containers, 'c1;<container>', 'c2;<container>') }, TO_SERVER_BOTH);
  const hosts = renderTopology(r, 'hosts', {})!.nodes;
  // Host-local traffic is the self edge; the Internet edge keeps its single connection.
  assert.deepEqual({ ...edge(hosts, 'h1;<host>', 'out-theinternet') }, { connections: 1, bytes_sent_per_s: 2, rtt_us_median: 20000, rtt_us_p95: 20000 });
});

test('containers-by-image and by hostname group containers with their processes\' connections', () => {
  const r = trafficReport();
  for (const [cid, image, hostname] of [['c1', 'img/front', 'fronthost'], ['c2', 'img/back', 'backhost']] as const) {
    const c = r.topologies.container.nodes.get(`${cid};<container>`)!;
    c.latest.set('docker_image_id', { timestamp: T0, value: `${cid}img` });
    c.latest.set('docker_container_hostname', { timestamp: T0, value: hostname });
    add(r, 'container_image', `${cid}img;<container_image>`, { latest: { docker_image_id: `${cid}img`, docker_image_name: image } });
  }
  const byImage = renderTopology(r, 'containers-by-image', {})!.nodes;
  assert.deepEqual({ ...edge(byImage, 'img/front;<container_image>', 'img/back;<container_image>') }, TO_SERVER_BOTH);
  const byHostname = renderTopology(r, 'containers-by-hostname', {})!.nodes;
  assert.deepEqual({ ...edge(byHostname, 'fronthost', 'backhost') }, TO_SERVER_BOTH);
});

test('pods and controllers: connections joined by pod IP', () => {
  const r = hostReport();
  add(r, 'deployment', 'd1;<deployment>', { latest: { kubernetes_name: 'web', kubernetes_namespace: 'default' } });
  add(r, 'pod', 'p1;<pod>', {
    latest: { kubernetes_name: 'web-abc', kubernetes_namespace: 'default', kubernetes_ip: '10.4.0.5', kubernetes_state: 'Running' },
    parents: { deployment: ['d1;<deployment>'], host: ['h1;<host>'] },
  });
  add(r, 'pod', 'p2;<pod>', {
    latest: { kubernetes_name: 'client', kubernetes_namespace: 'default', kubernetes_ip: '10.4.0.6', kubernetes_state: 'Running' },
    parents: { host: ['h1;<host>'] },
  });
  addRemoteEndpoint(r, ';10.4.0.6;40000', [';10.4.0.5;80']);
  addRemoteEndpoint(r, ';10.4.0.6;40001', [';10.4.0.5;80']);
  addRemoteEndpoint(r, ';10.4.0.5;80');
  figures(r, ';10.4.0.6;40000', { openscope_bytes_sent_per_s: '10', openscope_retransmits: '4' });
  figures(r, ';10.4.0.6;40001', { openscope_bytes_sent_per_s: '30' });
  const expected = { connections: 2, bytes_sent_per_s: 40, retransmits: 4 };
  const pods = renderTopology(r, 'pods', {})!.nodes;
  assert.deepEqual({ ...edge(pods, 'p2;<pod>', 'p1;<pod>') }, expected);
  const controllers = renderTopology(r, 'kube-controllers', {})!.nodes;
  assert.deepEqual({ ...edge(controllers, 'pseudo:unmanaged:h1', 'd1;<deployment>') }, expected);
});

test('NAT copies (copy_of) count once', () => {
  const r = trafficReport();
  addLocalEndpoint(r, 'h1;10.0.0.1;6000', 3, ['h1;10.0.0.2;80']);
  figures(r, 'h1;10.0.0.1;6000', { copy_of: 'h1;10.0.0.1;5002', openscope_bytes_sent_per_s: '7' });
  const nodes = renderTopology(r, 'processes', {})!.nodes;
  assert.equal(edge(nodes, 'h1;3', 'h1;2')!.bytes_sent_per_s, 7);
  assert.equal(edge(nodes, 'h1;3', 'h1;2')!.connections, 1);
});

test('without figures no node carries edge_metrics (Scope-shaped answers)', () => {
  const r = hostReport();
  addProcess(r, 1, 'client');
  addProcess(r, 2, 'server');
  addLocalEndpoint(r, 'h1;10.0.0.1;5000', 1, ['h1;10.0.0.2;80']);
  addLocalEndpoint(r, 'h1;10.0.0.2;80', 2);
  for (const t of ['processes', 'processes-by-name', 'hosts']) {
    const nodes = renderTopology(r, t, {})!.nodes;
    for (const n of Object.values(nodes)) assert.equal('edge_metrics' in n, false, `${t} ${n.id}`);
  }
  assert.deepEqual(renderTopology(r, 'processes', {})!.nodes['h1;1']!.adjacency, ['h1;2']);
});

test('edges cut by option filters lose their figures; malformed values are ignored', () => {
  const r = trafficReport();
  figures(r, 'h1;10.0.0.1;5002', { openscope_bytes_received_per_s: '-5', openscope_resets: 'lots' });
  const all = renderTopology(r, 'containers', {})!.nodes;
  assert.deepEqual(Object.keys(all['c1;<container>']!.edge_metrics!), ['c2;<container>', 'out-theinternet']);
  r.topologies.container.nodes.get('c2;<container>')!.latest.set('docker_container_state', { timestamp: T0, value: 'exited' });
  const nodes = renderTopology(r, 'containers', { stopped: 'running' })!.nodes;
  assert.equal(nodes['c2;<container>'], undefined);
  assert.deepEqual(nodes['c1;<container>']!.adjacency, ['out-theinternet']);
  assert.deepEqual(Object.keys(nodes['c1;<container>']!.edge_metrics!), ['out-theinternet']);
  const processes = renderTopology(r, 'processes', {})!.nodes;
  assert.deepEqual({ ...edge(processes, 'h1;3', 'h1;2') }, { connections: 1, bytes_sent_per_s: 7, rtt_us_median: 1000, rtt_us_p95: 1000 });
});

test('the websocket diff sends an update when only edge figures change', () => {
  const before = renderTopology(trafficReport(), 'processes', {})!.nodes;
  const r = trafficReport();
  figures(r, 'h1;10.0.0.1;5002', { openscope_bytes_sent_per_s: '9' });
  const after = renderTopology(r, 'processes', {})!.nodes;
  const diff = diffTopology(before, after);
  assert.deepEqual(diff.update?.map((n) => n.id), ['h1;3']);
  assert.equal(diff.update[0]!.edge_metrics!['h1;2']!.bytes_sent_per_s, 9);
  assert.equal(diff.add, null);
  assert.equal(diff.remove, null);
  // And the JSON carries the field next to adjacency.
  const json = JSON.parse(JSON.stringify(after['h1;3'])) as NodeSummary;
  assert.deepEqual(json.edge_metrics, { 'h1;2': { connections: 1, bytes_sent_per_s: 9, rtt_us_median: 1000, rtt_us_p95: 1000 } });
});

test('details connection tables gain bytes/s, retransmits and resets columns where data exists', () => {
  const out = renderNodeDetails(trafficReport(), 'processes', 'h1;1', {})!.node.connections[1]!;
  assert.deepEqual(out.columns.map((c) => c.id), [
    'port', 'count', 'openscope_bytes_sent', 'openscope_bytes_received', 'openscope_rtt_us',
    'openscope_bytes_sent_per_s', 'openscope_bytes_received_per_s', 'openscope_retransmits', 'openscope_resets',
  ]);
  const row = out.connections.find((c) => c.nodeId === 'h1;2')!;
  assert.deepEqual(Object.fromEntries(row.metadata.map((m) => [m.id, m.value])), {
    port: '80', count: '4', openscope_bytes_sent: '5000', openscope_bytes_received: '70000',
    openscope_bytes_sent_per_s: '150', openscope_bytes_received_per_s: '1010.5', openscope_retransmits: '1', openscope_resets: '1',
  });
});
