// Interop: the 8 reports a real Scope 1.13.2 probe published, merged as the app does, rendered by
// us, compared with what Scope's app answered for the same reports (fixtures/scope/rendered).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  listTopologies,
  renderNodeDetails,
  renderTopology,
  type ApiTopologyDesc,
  type DetailedNode,
  type NodeSummary,
} from '../../src/render/index.js';
import { mergedFixtureReport, readJsonFixture, sampleApiReport } from './fixtures.js';

const FILTERED = { system: 'application', stopped: 'running', pseudo: 'hide' };
const VIEWS = ['containers', 'containers-by-image', 'containers-by-hostname', 'hosts', 'processes', 'processes-by-name'];

/** JSON with object keys sorted (Go map order is random) and metric samples dropped. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) out[k] = canonical((value as Record<string, unknown>)[k]);
  return out;
}

describe('rendered views equal Scope 1.13.2 on the recorded reports', () => {
  const report = mergedFixtureReport();
  for (const view of VIEWS) {
    for (const filtered of [false, true]) {
      const name = `${view}${filtered ? '.filtered' : ''}`;
      test(name, () => {
        const ours = renderTopology(report, view, filtered ? FILTERED : {})!.nodes;
        const scope = readJsonFixture<{ nodes: Record<string, NodeSummary> }>(`rendered/${name}.json`).nodes;
        assert.deepEqual(Object.keys(ours).sort(), Object.keys(scope).sort(), 'node ids');
        for (const [id, theirs] of Object.entries(scope)) {
          const mine = ours[id]!;
          for (const key of ['label', 'labelMinor', 'rank', 'shape', 'stack', 'pseudo', 'tag'] as const) {
            assert.equal(mine[key], theirs[key], `${id} ${key}`);
          }
          assert.deepEqual(mine.parents, theirs.parents, `${id} parents`);
          assert.deepEqual(mine.adjacency, theirs.adjacency, `${id} adjacency`);
          // Everything else too: metadata, tables, metric rows (same merged samples ⇒ same values).
          assert.deepEqual(canonical(mine), canonical(theirs), `${id} whole summary`);
        }
      });
    }
  }

  test('/api/topology: names, ranks, urls, options and stats', () => {
    const strip = (ts: ApiTopologyDesc[]): unknown =>
      ts.map((t) => ({ ...t, sub_topologies: t.sub_topologies === undefined ? undefined : strip(t.sub_topologies) }));
    const ours = listTopologies(report);
    const scope = readJsonFixture<ApiTopologyDesc[]>('rendered/topology.json');
    // Our one addition: containers-by-service, an empty (hidden) sub-topology of containers here.
    const containers = ours.find((t) => t.url === '/api/topology/containers')!;
    const extra = containers.sub_topologies!.find((t) => t.url === '/api/topology/containers-by-service')!;
    assert.equal(extra.hide_if_empty, true);
    assert.deepEqual(extra.stats, { node_count: 0, nonpseudo_node_count: 0, edge_count: 0, filtered_nodes: 0 });
    containers.sub_topologies = containers.sub_topologies!.filter((t) => t !== extra);
    assert.deepEqual(canonical(strip(ours)), canonical(strip(scope)));
  });

  test('node details of the `api` container have Scope’s structure', () => {
    const id = '5d4dffd9bb07d5ee3fb388b79074946c1537b9b427c3f5d63f41acd2bc5e9063;<container>';
    // Scope's sample was recorded a little later than the 8 reports: compare structure, not counts.
    const scope = readJsonFixture<{ node: DetailedNode }>('samples/api-topology-containers-node-api.json').node;
    const ours = renderNodeDetails(report, 'containers', id, {})!.node;
    assert.deepEqual(Object.keys(ours), Object.keys(scope), 'fields in Scope order');
    assert.deepEqual(ours.metadata!.map((m) => m.id), scope.metadata!.map((m) => m.id));
    assert.deepEqual(ours.parents, scope.parents);
    assert.deepEqual(ours.adjacency, scope.adjacency);
    assert.deepEqual(canonical(ours.tables), canonical(scope.tables));
    assert.deepEqual(
      ours.metrics!.map((m) => [m.id, m.label, m.format, Array.isArray(m.samples) && m.samples.length > 0]),
      scope.metrics!.map((m) => [m.id, m.label, m.format, true]),
    );
    // Controls: the probe id differs (another probe run); the rest is the same, in active_controls order.
    assert.deepEqual(
      ours.controls.map((c) => ({ ...c, probeId: '' })),
      scope.controls.map((c) => ({ ...c, probeId: '' })),
    );
    assert.deepEqual(
      ours.children!.map((g) => ({ ...g, nodes: null })),
      scope.children!.map((g) => ({ ...g, nodes: null })),
    );
    const child = ours.children![0]!.nodes![0]!;
    const scopeChild = scope.children![0]!.nodes![0]!;
    assert.deepEqual(Object.keys(child), Object.keys(scopeChild));
    assert.ok(ours.children![0]!.nodes!.every((n) => n.metrics!.every((m) => m.samples === null)), 'children without samples');
    const shape = (c: DetailedNode['connections']): unknown =>
      c.map((t) => ({ ...t, connections: t.connections.map((row) => ({ ...row, metadata: row.metadata.map((m) => ({ ...m, value: m.id })) })) }));
    assert.deepEqual(shape(ours.connections), shape(scope.connections));
  });
});

describe('rendered views and details equal Scope 1.13.2 on the app’s own merged report', () => {
  // samples/: Scope's /api/report and its answers, recorded together.
  const report = sampleApiReport();
  const cases = [
    ['api-topology-containers', 'containers', {}],
    ['api-topology-hosts', 'hosts', {}],
    ['api-topology-processes', 'processes', {}],
    ['api-topology-processes-unconnected-hide', 'processes', { unconnected: 'hide' }],
  ] as const;
  for (const [file, view, query] of cases) {
    test(file, () => {
      const ours = renderTopology(report, view, query)!.nodes;
      const scope = readJsonFixture<{ nodes: Record<string, NodeSummary> }>(`samples/${file}.json`).nodes;
      assert.deepEqual(Object.keys(ours).sort(), Object.keys(scope).sort());
      for (const id of Object.keys(scope)) assert.deepEqual(canonical(ours[id]), canonical(scope[id]), id);
    });
  }

  test('node details of the `api` container, exactly (samples, children, connection counts, controls)', () => {
    const id = '5d4dffd9bb07d5ee3fb388b79074946c1537b9b427c3f5d63f41acd2bc5e9063;<container>';
    const scope = readJsonFixture<{ node: DetailedNode }>('samples/api-topology-containers-node-api.json').node;
    const ours = renderNodeDetails(report, 'containers', id, {})!.node;
    assert.deepEqual(canonical(ours), canonical(scope));
  });
});
