/**
 * The render pipeline on what the Kubernetes reporter produces (objects served by the fake API
 * server): pods, services and kube-controllers views, namespace filter, storage option, and edges
 * between pods and services from connections.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../src/common/log.js';
import { createKubernetesPlugin, type KubernetesPlugin } from '../../src/probe/kubernetes/index.js';
import { listTopologies, renderNodeDetails, renderTopology } from '../../src/render/index.js';
import { makeNode } from '../../src/report/model.js';
import { nowTime } from '../../src/report/time.js';
import type { Report } from '../../src/report/types.js';
import { FakeApiServer } from './fake-apiserver.js';
import { connectionTo, recordingContext, waitFor } from './harness.js';

const WEB_POD = '11111111-aaaa-4bbb-8ccc-000000000001;<pod>';
const DB_POD = '11111111-aaaa-4bbb-8ccc-000000000003;<pod>';
const JOB_POD = '11111111-aaaa-4bbb-8ccc-000000000005;<pod>';
const WEB_SVC = '33333333-cccc-4ddd-8eee-000000000001;<service>';
const DB_SVC = '33333333-cccc-4ddd-8eee-000000000002;<service>';
const DEPLOYMENT = '8c0a3f5e-6b1d-4c57-9a3e-0f4b1c2d3e01;<deployment>';
const STATEFULSET = '55555555-5555-4c57-9a3e-0f4b1c2d3e07;<statefulset>';
const JOB = '0b9e8d7c-2222-4c57-9a3e-0f4b1c2d3e04;<job>';

/** A connection web pod → db pod as the endpoint reporter of node-1 would see it. */
function addConnection(r: Report): void {
  const t = nowTime();
  const from = makeNode(';10.244.1.5;41234', 'endpoint');
  const to = makeNode(';10.244.1.6;5432', 'endpoint');
  for (const n of [from, to]) n.latest.set('host_node_id', { timestamp: t, value: 'node-1;<host>' });
  from.adjacency = [to.id];
  r.topologies.endpoint.nodes.set(from.id, from);
  r.topologies.endpoint.nodes.set(to.id, to);
}

describe('render of Kubernetes reports', () => {
  const api = new FakeApiServer();
  let plugin: KubernetesPlugin;
  let report: Report;

  before(async () => {
    await api.start();
    plugin = createKubernetesPlugin(recordingContext(), { role: 'cluster', nodeName: '', connection: connectionTo(api.url) }, silentLogger());
    await waitFor(() => plugin.synced(), 5000, 'synced');
    report = await plugin.reporter.report();
    addConnection(report);
  });
  after(async () => {
    await plugin.stop();
    await api.stop();
  });

  it('pods: every live pod, with pod-to-pod edges from connections', () => {
    const pods = renderTopology(report, 'pods', {})!.nodes;
    assert.ok(pods[WEB_POD] && pods[DB_POD], 'pods rendered');
    assert.equal(pods[WEB_POD].label, 'web-7d4b9c8f6-abcde');
    assert.deepEqual(pods[WEB_POD].adjacency, [DB_POD]);
  });

  it('services: pods grouped by service, with the service-to-service edge', () => {
    const svcs = renderTopology(report, 'services', {})!.nodes;
    assert.ok(svcs[WEB_SVC] && svcs[DB_SVC]);
    assert.equal(svcs[WEB_SVC].label, 'web');
    assert.deepEqual(svcs[WEB_SVC].adjacency, [DB_SVC]);
  });

  it('kube-controllers: deployments, stateful sets, and jobs without a CronJob', () => {
    const ctrl = renderTopology(report, 'kube-controllers', {})!.nodes;
    assert.ok(ctrl[DEPLOYMENT], 'deployment');
    assert.ok(ctrl[STATEFULSET], 'stateful set');
    assert.ok(ctrl[JOB], 'job');
    assert.deepEqual(ctrl[DEPLOYMENT].adjacency, [STATEFULSET]);
  });

  it('namespace filter and storage option', () => {
    const groups = listTopologies(report).find((t) => t.url.endsWith('/pods'))?.options ?? [];
    const ns = groups.find((g) => g.id === 'namespace');
    assert.deepEqual(ns?.options?.map((o) => o.value), ['default', 'kube-system', 'shop']);
    const system = renderTopology(report, 'pods', { namespace: 'kube-system' })!.nodes;
    assert.ok(Object.values(system).every((n) => n.pseudo || !n.id.startsWith('11111111-aaaa-4bbb-8ccc-00000000000') || n.id.endsWith('4;<pod>')));
    assert.equal(system[WEB_POD], undefined);
    const hidden = renderTopology(report, 'pods', { storage: 'hide' })!.nodes;
    assert.ok(!Object.keys(hidden).some((id) => id.endsWith('<persistent_volume>')));
    const shown = renderTopology(report, 'pods', { storage: 'show' })!.nodes;
    assert.ok(Object.keys(shown).some((id) => id.endsWith('<persistent_volume_claim>')));
    assert.ok(shown[DB_POD]?.adjacency?.some((id) => id.endsWith('<persistent_volume_claim>')), 'pod → its claim');
  });

  it('drills down pod → container → process', () => {
    const r = structuredClone(report);
    const t = nowTime();
    const c = makeNode('c0ffee;<container>', 'container');
    c.latest.set('docker_container_name', { timestamp: t, value: 'k8s_postgres_db-0' });
    c.latest.set('docker_container_state', { timestamp: t, value: 'running' });
    c.latest.set('host_node_id', { timestamp: t, value: 'node-1;<host>' });
    c.parents.set('pod', [DB_POD]);
    r.topologies.container.nodes.set(c.id, c);
    const p = makeNode('node-1;4242', 'process');
    p.latest.set('pid', { timestamp: t, value: '4242' });
    p.latest.set('name', { timestamp: t, value: 'postgres' });
    p.latest.set('host_node_id', { timestamp: t, value: 'node-1;<host>' });
    p.latest.set('docker_container_id', { timestamp: t, value: 'c0ffee' }); // as the Docker tagger sets it
    p.parents.set('container', [c.id]);
    r.topologies.process.nodes.set(p.id, p);
    const pod = renderNodeDetails(r, 'pods', DB_POD, {})!.node;
    const containers = pod.children?.find((g) => g.topologyId === 'containers');
    assert.deepEqual(containers?.nodes?.map((n) => n.id), [c.id]);
    const container = renderNodeDetails(r, 'containers', c.id, {})!.node;
    assert.ok(container.parents?.some((x) => x.id === DB_POD), 'container → pod parent');
    assert.ok(container.children?.some((g) => g.nodes?.some((n) => n.id === p.id)), 'container → process child');
  });

  it('finished pods are still pods; succeeded job pods stay visible', () => {
    const pods = renderTopology(report, 'pods', {})!.nodes;
    assert.ok(pods[JOB_POD]);
  });
});
