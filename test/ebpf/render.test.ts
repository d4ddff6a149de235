// Per-connection eBPF figures (latest keys on client endpoints) in the connections tables; absent
// figures leave Scope's columns as they were.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderNodeDetails } from '../../src/render/index.js';
import type { Time } from '../../src/report/types.js';
import { addLocalEndpoint, addProcess, hostReport } from '../render/build.js';

function report(withFigures: boolean): ReturnType<typeof hostReport> {
  const r = hostReport();
  addProcess(r, 1, 'client');
  addProcess(r, 2, 'server');
  addLocalEndpoint(r, 'h1;127.0.0.1;5000', 1, ['h1;127.0.0.1;80']);
  addLocalEndpoint(r, 'h1;127.0.0.1;5001', 1, ['h1;127.0.0.1;80']);
  addLocalEndpoint(r, 'h1;127.0.0.1;80', 2);
  if (withFigures) {
    const ts = '2026-11-25T17:00:00.000000000Z' as Time;
    const figures: Array<[string, Record<string, string>]> = [
      ['h1;127.0.0.1;5000', { openscope_bytes_sent: '4', openscope_bytes_received: '100', openscope_rtt_us: '30' }],
      ['h1;127.0.0.1;5001', { openscope_bytes_sent: '6', openscope_bytes_received: '1', openscope_rtt_us: '50' }],
    ];
    for (const [id, latest] of figures) {
      const n = r.topologies.endpoint.nodes.get(id)!;
      for (const [k, v] of Object.entries(latest)) n.latest.set(k, { timestamp: ts, value: v });
    }
  }
  return r;
}

test('connections tables sum bytes and keep the largest RTT per row when eBPF figures exist', () => {
  const out = renderNodeDetails(report(true), 'processes', 'h1;1', {})!.node.connections[1]!;
  assert.deepEqual(out.columns.map((c) => c.id), ['port', 'count', 'openscope_bytes_sent', 'openscope_bytes_received', 'openscope_rtt_us']);
  assert.deepEqual(out.connections.map((c) => c.metadata.map((m) => [m.id, m.value])), [
    [['port', '80'], ['count', '2'], ['openscope_bytes_sent', '10'], ['openscope_bytes_received', '101'], ['openscope_rtt_us', '50']],
  ]);
  const inbound = renderNodeDetails(report(true), 'processes', 'h1;2', {})!.node.connections[0]!;
  assert.deepEqual(inbound.connections[0]!.metadata.map((m) => m.value), ['80', '2', '10', '101', '50']);
});

test('without eBPF figures the tables are exactly Scope\'s', () => {
  const out = renderNodeDetails(report(false), 'processes', 'h1;1', {})!.node.connections[1]!;
  assert.deepEqual(out.columns.map((c) => c.id), ['port', 'count']);
  assert.deepEqual(out.connections[0]!.metadata.map((m) => m.id), ['port', 'count']);
});
