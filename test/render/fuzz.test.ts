// Property test: any report (validated, so typed, but otherwise arbitrary) renders every view,
// list and node details without throwing, with JSON-ready, self-consistent answers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { diffTopology, listTopologies, renderNodeDetails, renderTopology } from '../../src/render/index.js';
import { TOPOLOGY_DEFS } from '../../src/render/registry.js';
import { makeNode, makeReport } from '../../src/report/model.js';
import type { Report, TopologyName } from '../../src/report/types.js';
import { T0 } from './build.js';

const TOPOLOGY_NAMES: TopologyName[] = ['endpoint', 'process', 'container', 'container_image', 'host', 'pod', 'service', 'deployment', 'namespace', 'overlay', 'swarm_service', 'ecs_task', 'persistent_volume_claim'];
const IDS = [
  'h1;<host>', 'h2.example.com;<host>', 'h1;1', 'h1;2', 'c1;<container>', 'c2;<container>', 'i1;<container_image>',
  'p1;<pod>', 's1;<service>', 'd1;<deployment>', ';10.0.0.1;80', ';10.0.0.2;5000', 'h1;127.0.0.1;80', ';8.8.8.8;53',
  ';2001:db8::1;443', ';fe80::1;22', 'bad', '', '__proto__', 'pseudo:x', '#aa:bb', 'in-theinternet',
];
const KEYS = [
  'pid', 'name', 'host_node_id', 'docker_container_id', 'docker_image_id', 'docker_image_name', 'docker_container_state',
  'docker_container_hostname', 'kubernetes_name', 'kubernetes_namespace', 'kubernetes_ip', 'kubernetes_state', 'copy_of',
  'conn_count', 'active_controls', 'control_probe_id', 'docker_label_com.docker.compose.project',
  'docker_label_com.docker.compose.service', 'host_name', 'stack_namespace', 'weave_peer_nick_name', 'service_name',
];
const VALUES = ['1', '2', 'h1;<host>', 'c1', 'i1', 'nginx', 'running', 'deleted', 'Failed', '10.0.0.1', '', 'a;b', 'docker_stop_container;x', '__proto__'];
const SET_KEYS = ['local_networks', 'docker_container_ips_with_scopes', 'docker_container_ports'];
const SET_VALUES = ['10.0.0.1/8', '2001:db8::1/64', ';10.0.0.1', 'h1;127.0.0.1', '10.0.0.1:8080->80/tcp', 'junk', '::1/128'];

const arbNodeSpec = fc.record({
  topology: fc.constantFrom(...TOPOLOGY_NAMES),
  id: fc.constantFrom(...IDS),
  latest: fc.array(fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom(...VALUES)), { maxLength: 6 }),
  sets: fc.array(fc.tuple(fc.constantFrom(...SET_KEYS), fc.uniqueArray(fc.constantFrom(...SET_VALUES), { maxLength: 3 })), { maxLength: 2 }),
  parents: fc.array(fc.tuple(fc.constantFrom('host', 'container', 'container_image', 'pod', 'service', 'deployment'), fc.uniqueArray(fc.constantFrom(...IDS), { maxLength: 2 })), { maxLength: 3 }),
  adjacency: fc.uniqueArray(fc.constantFrom(...IDS), { maxLength: 3 }),
  metric: fc.option(fc.double({ noNaN: true }), { nil: undefined }),
});

const arbReport: fc.Arbitrary<Report> = fc.array(arbNodeSpec, { maxLength: 25 }).map((specs) => {
  const r = makeReport();
  r.ts = T0;
  r.dns.set('8.8.8.8', { forward: ['dns.googleapis.com'], reverse: [] });
  for (const s of specs) {
    const n = makeNode(s.id, s.topology);
    for (const [k, v] of s.latest) n.latest.set(k, { timestamp: T0, value: v });
    for (const [k, v] of s.sets) n.sets.set(k, [...v].sort());
    for (const [k, v] of s.parents) n.parents.set(k, [...v].sort());
    n.adjacency = [...s.adjacency].sort();
    if (s.metric !== undefined) n.metrics.set('docker_cpu_total_usage', { samples: [{ date: T0, value: s.metric }], min: 0, max: 100 });
    r.topologies[s.topology].nodes.set(s.id, n);
  }
  return r;
});

const QUERIES: Record<string, string>[] = [{}, { system: 'all', stopped: 'both', pseudo: 'show', unconnected: 'show' }, { t: '5s' }, { namespace: 'a,b', storage: 'show' }];

test('every view, the list and every node detail render any report', () => {
  fc.assert(
    fc.property(arbReport, fc.constantFrom(...QUERIES), (report, query) => {
      const list = listTopologies(report, undefined, query);
      assert.doesNotThrow(() => JSON.stringify(list));
      for (const def of TOPOLOGY_DEFS) {
        const rendered = renderTopology(report, def.id, query)!;
        for (const [id, s] of Object.entries(rendered.nodes)) {
          assert.equal(s.id, id);
          assert.equal(typeof s.label, 'string');
          assert.equal(typeof s.labelMinor, 'string');
          assert.equal(typeof s.rank, 'string');
          assert.ok(s.shape !== undefined && s.shape !== '');
          const details = renderNodeDetails(report, def.id, id, query);
          assert.ok(details !== undefined, `${def.id}/${id} has details`);
          assert.equal(details.node.id, id);
          assert.equal(details.node.connections.length, 2);
          JSON.stringify(details);
        }
        const diff = diffTopology(undefined, rendered.nodes);
        assert.equal(diff.reset, true);
        assert.deepEqual(diffTopology(rendered.nodes, rendered.nodes), { add: null, update: null, remove: null });
      }
    }),
    { numRuns: 150 },
  );
});
