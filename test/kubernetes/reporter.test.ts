/**
 * The Kubernetes plugin against the fake API server, through the real client library: discovery,
 * list, watch events, node mapping (Scope's ids and keys), parents, shortcuts, and degradation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../src/common/log.js';
import { createKubernetesPlugin, type KubernetesPlugin } from '../../src/probe/kubernetes/index.js';
import { FakeApiServer, loadObjects } from './fake-apiserver.js';
import { connectionTo, latest, recordingContext, waitFor } from './harness.js';

const WEB_POD = '11111111-aaaa-4bbb-8ccc-000000000001;<pod>';
const WEB_POD_2 = '11111111-aaaa-4bbb-8ccc-000000000002;<pod>';
const DB_POD = '11111111-aaaa-4bbb-8ccc-000000000003;<pod>';
const AGENT_POD = '11111111-aaaa-4bbb-8ccc-000000000004;<pod>';
const JOB_POD = '11111111-aaaa-4bbb-8ccc-000000000005;<pod>';
const STATIC_POD = '6e2b0a4f3c9d8e7f;<pod>';
const WEB_SVC = '33333333-cccc-4ddd-8eee-000000000001;<service>';
const DB_SVC = '33333333-cccc-4ddd-8eee-000000000002;<service>';
const DEPLOYMENT = '8c0a3f5e-6b1d-4c57-9a3e-0f4b1c2d3e01;<deployment>';
const DAEMONSET = 'd5e6f7a8-1111-4c57-9a3e-0f4b1c2d3e03;<daemonset>';
const STATEFULSET = '55555555-5555-4c57-9a3e-0f4b1c2d3e07;<statefulset>';
const JOB = '0b9e8d7c-2222-4c57-9a3e-0f4b1c2d3e04;<job>';

describe('kubernetes reporter (cluster role) against a fake API server', () => {
  const api = new FakeApiServer();
  const ctx = recordingContext();
  let plugin: KubernetesPlugin;

  before(async () => {
    await api.start();
    plugin = createKubernetesPlugin(ctx, { role: 'cluster', nodeName: '', connection: connectionTo(api.url), retryInitialMillis: 100, retryMaxMillis: 500 }, silentLogger());
    await waitFor(() => plugin.synced(), 5000, 'informers synced');
  });
  after(async () => {
    await plugin.stop();
    await api.stop();
  });

  it('uses discovery, then lists and watches every resource with the client library', () => {
    const paths = api.requests.map((r) => `${r.method} ${r.path}${r.query.get('watch') === 'true' ? ' watch' : ''}`);
    assert.ok(paths.includes('GET /apis'));
    for (const p of ['/api/v1/pods', '/api/v1/services', '/apis/apps/v1/deployments', '/apis/batch/v1/cronjobs', '/apis/batch/v1/jobs', '/apis/storage.k8s.io/v1/storageclasses']) {
      assert.ok(paths.includes(`GET ${p}`), `list ${p}`);
    }
    assert.ok(api.requests.every((r) => r.path !== '/apis/snapshot.storage.k8s.io/v1/volumesnapshots'), 'volume snapshots skipped: CRD not served');
  });

  it('reports pods with Scope ids and latest keys', async () => {
    const r = await plugin.reporter.report();
    const pods = r.topologies.pod.nodes;
    assert.equal(pods.size, loadObjects('pods').length);
    assert.equal(latest(r, 'pod', WEB_POD, 'kubernetes_name'), 'web-7d4b9c8f6-abcde');
    assert.equal(latest(r, 'pod', WEB_POD, 'kubernetes_namespace'), 'shop');
    assert.equal(latest(r, 'pod', WEB_POD, 'kubernetes_state'), 'Running');
    assert.equal(latest(r, 'pod', WEB_POD, 'kubernetes_ip'), '10.244.1.5');
    assert.equal(latest(r, 'pod', WEB_POD, 'kubernetes_restart_count'), '1');
    assert.equal(latest(r, 'pod', WEB_POD, 'kubernetes_created'), '2026-11-20T09:15:02Z');
    assert.equal(latest(r, 'pod', WEB_POD, 'kubernetes_labels_app'), 'web');
    assert.equal(latest(r, 'pod', WEB_POD, 'control_probe_id'), 'probe-k8s-test');
    assert.equal(latest(r, 'pod', WEB_POD, 'active_controls'), 'kubernetes_get_logs;kubernetes_delete_pod;kubernetes_describe');
    assert.equal(latest(r, 'pod', DB_POD, 'kubernetes_volume_claim'), 'data-db-0');
    assert.equal(latest(r, 'pod', AGENT_POD, 'kubernetes_is_in_host_network'), 'true');
    assert.equal(latest(r, 'pod', JOB_POD, 'kubernetes_state'), 'Succeeded');
    assert.ok(pods.has(STATIC_POD), 'static pods are known by their config hash');
    assert.equal(pods.get(WEB_POD)?.topology, 'pod');
    assert.ok(r.topologies.pod.controls.has('kubernetes_delete_pod'));
    assert.equal(r.topologies.pod.metadataTemplates.get('kubernetes_ip')?.dataType, 'ip');
  });

  it('gives pods their service and controller parents (deployments own their replica sets\' pods)', async () => {
    const r = await plugin.reporter.report();
    const parents = (id: string, t: string): readonly string[] => r.topologies.pod.nodes.get(id)?.parents.get(t) ?? [];
    assert.deepEqual(parents(WEB_POD, 'service'), [WEB_SVC]);
    assert.deepEqual(parents(WEB_POD_2, 'service'), [WEB_SVC]);
    assert.deepEqual(parents(WEB_POD, 'deployment'), [DEPLOYMENT]);
    assert.deepEqual(parents(DB_POD, 'service'), [DB_SVC]);
    assert.deepEqual(parents(DB_POD, 'stateful_set'), [STATEFULSET]);
    assert.deepEqual(parents(AGENT_POD, 'daemon_set'), [DAEMONSET]);
    assert.deepEqual(parents(STATIC_POD, 'service'), []);
    // Scope linked jobs to pods only when some CronJob existed; we always do.
    assert.deepEqual(parents(JOB_POD, 'job'), [JOB]);
    assert.deepEqual(parents(JOB_POD, 'cron_job'), []);
  });

  it('reports services, controllers, namespaces, storage and cluster nodes', async () => {
    const r = await plugin.reporter.report();
    assert.equal(latest(r, 'service', WEB_SVC, 'kubernetes_ip'), '10.96.10.20');
    assert.equal(latest(r, 'service', WEB_SVC, 'kubernetes_type'), 'NodePort');
    assert.equal(latest(r, 'service', WEB_SVC, 'kubernetes_ports'), '80:30080/TCP');
    assert.equal(latest(r, 'deployment', DEPLOYMENT, 'kubernetes_desired_replicas'), '2');
    assert.equal(latest(r, 'deployment', DEPLOYMENT, 'kubernetes_strategy'), 'RollingUpdate');
    assert.equal(latest(r, 'deployment', DEPLOYMENT, 'kubernetes_node_type'), 'Deployment');
    assert.equal(latest(r, 'deployment', DEPLOYMENT, 'active_controls'), 'kubernetes_scale_up;kubernetes_scale_down;kubernetes_describe');
    assert.equal(latest(r, 'daemon_set', DAEMONSET, 'kubernetes_desired_replicas'), '2');
    assert.equal(latest(r, 'stateful_set', STATEFULSET, 'kubernetes_replicas'), '1');
    const cron = 'c7c7c7c7-3333-4c57-9a3e-0f4b1c2d3e05;<cronjob>';
    assert.equal(latest(r, 'cron_job', cron, 'kubernetes_schedule'), '0 3 * * *');
    assert.equal(latest(r, 'cron_job', cron, 'kubernetes_suspended'), 'false');
    assert.equal(latest(r, 'cron_job', cron, 'kubernetes_last_scheduled'), '2026-11-25T03:00:00Z');
    assert.equal(latest(r, 'job', JOB, 'kubernetes_node_type'), 'Job');
    const ns = r.topologies.namespace.nodes.get('44444444-0000-4000-8000-000000000003;<namespace>');
    assert.equal(ns?.latest.get('kubernetes_name')?.value, 'shop');
    assert.equal(ns?.latest.has('kubernetes_namespace'), false);
    assert.equal(ns?.latest.has('control_probe_id'), false);
    const pv = '66666666-0000-4000-8000-000000000001;<persistent_volume>';
    assert.equal(latest(r, 'persistent_volume', pv, 'kubernetes_storage_driver'), 'HostPath');
    assert.equal(latest(r, 'persistent_volume', pv, 'kubernetes_volume_claim'), 'data-db-0');
    assert.equal(latest(r, 'persistent_volume', pv, 'kubernetes_namespace'), '');
    const pvc = '77777777-0000-4000-8000-000000000001;<persistent_volume_claim>';
    assert.equal(latest(r, 'persistent_volume_claim', pvc, 'kubernetes_volume_name'), 'pvc-6f1e2d3c');
    assert.equal(latest(r, 'persistent_volume_claim', pvc, 'kubernetes_volume_capacity'), '1Gi');
    assert.equal(latest(r, 'storage_class', '88888888-0000-4000-8000-000000000001;<storage_class>', 'kubernetes_provisioner'), 'rancher.io/local-path');
    assert.equal(latest(r, 'host', 'node-1;<host>', 'active_controls'), 'kubernetes_cordon_node');
    assert.equal(latest(r, 'host', 'node-2;<host>', 'active_controls'), 'kubernetes_uncordon_node');
    assert.equal(r.topologies.host.controls.get('kubernetes_cordon_node')?.probeId, 'probe-k8s-test');
  });

  it('follows pods appearing, changing and disappearing through watch events', async () => {
    const base = loadObjects('pods')[0]!;
    const pod = structuredClone(base) as { metadata: Record<string, unknown>; status: Record<string, unknown> };
    pod.metadata.name = 'web-7d4b9c8f6-new01';
    pod.metadata.uid = '11111111-aaaa-4bbb-8ccc-0000000000aa';
    pod.status.phase = 'Pending';
    const id = '11111111-aaaa-4bbb-8ccc-0000000000aa;<pod>';
    ctx.shortcuts.length = 0;
    api.upsert('pods', pod);
    await waitFor(async () => (await plugin.reporter.report()).topologies.pod.nodes.has(id), 5000, 'new pod');
    let r = await plugin.reporter.report();
    assert.equal(latest(r, 'pod', id, 'kubernetes_state'), 'Pending');
    assert.deepEqual(r.topologies.pod.nodes.get(id)?.parents.get('deployment'), [DEPLOYMENT]);
    assert.ok(ctx.shortcuts.some((s) => s.topologies.pod.nodes.has(id)), 'a shortcut report for the new pod');

    pod.status.phase = 'Running';
    pod.metadata.labels = { ...(pod.metadata.labels as object), tier: 'frontend' };
    api.upsert('pods', pod);
    await waitFor(async () => latest(await plugin.reporter.report(), 'pod', id, 'kubernetes_state') === 'Running', 5000, 'pod update');
    r = await plugin.reporter.report();
    assert.equal(latest(r, 'pod', id, 'kubernetes_labels_tier'), 'frontend');

    api.remove('pods', 'shop', 'web-7d4b9c8f6-new01');
    await waitFor(async () => !(await plugin.reporter.report()).topologies.pod.nodes.has(id), 5000, 'pod removal');
    const deleted = ctx.shortcuts.find((s) => s.topologies.pod.nodes.get(id)?.latest.get('kubernetes_state')?.value === 'deleted');
    assert.ok(deleted, 'a deleted shortcut');
    assert.equal(deleted.topologies.pod.nodes.get(id)?.latest.size, 1);
  });
});

describe('kubernetes reporter (host role)', () => {
  it('reports only the pods of its node, and nothing else', async () => {
    const api = new FakeApiServer();
    await api.start();
    const plugin = createKubernetesPlugin(recordingContext(), { role: 'host', nodeName: 'node-2', connection: connectionTo(api.url) }, silentLogger());
    try {
      await waitFor(() => plugin.synced(), 5000, 'synced');
      const r = await plugin.reporter.report();
      assert.deepEqual([...r.topologies.pod.nodes.keys()].sort(), [JOB_POD, WEB_POD_2].sort());
      assert.equal(r.topologies.service.nodes.size, 0);
      assert.equal(r.topologies.host.nodes.size, 0);
      const lists = api.requests.filter((q) => q.method === 'GET' && q.path.startsWith('/api/v1/') || q.path.startsWith('/apis/apps'));
      assert.ok(lists.every((q) => q.path === '/api/v1/pods'), 'only pods are listed');
      assert.ok(lists.every((q) => q.query.get('fieldSelector') === 'spec.nodeName=node-2'), 'server-side node filter');
    } finally {
      await plugin.stop();
      await api.stop();
    }
  });
});

describe('kubernetes reporter degrades, never crashes', () => {
  it('an RBAC denial costs only that resource, and is retried', async () => {
    const api = new FakeApiServer();
    api.denied.add('services');
    await api.start();
    const plugin = createKubernetesPlugin(recordingContext(), { role: 'cluster', nodeName: '', connection: connectionTo(api.url), retryInitialMillis: 50, retryMaxMillis: 200 }, silentLogger());
    try {
      await waitFor(async () => (await plugin.reporter.report()).topologies.pod.nodes.size > 0, 5000, 'pods despite the denial');
      assert.equal((await plugin.reporter.report()).topologies.service.nodes.size, 0);
      api.denied.delete('services');
      await waitFor(async () => (await plugin.reporter.report()).topologies.service.nodes.size === 3, 5000, 'services after the grant');
    } finally {
      await plugin.stop();
      await api.stop();
    }
  });

  it('keeps the last objects through an API server restart, then follows again', async () => {
    const api = new FakeApiServer();
    await api.start();
    const plugin = createKubernetesPlugin(recordingContext(), { role: 'cluster', nodeName: '', connection: connectionTo(api.url), retryInitialMillis: 50, retryMaxMillis: 200 }, silentLogger());
    try {
      await waitFor(() => plugin.synced(), 5000, 'synced');
      await api.restart(300);
      assert.equal((await plugin.reporter.report()).topologies.pod.nodes.size, 6, 'last known pods kept');
      api.remove('pods', 'shop', 'db-0');
      await waitFor(async () => !(await plugin.reporter.report()).topologies.pod.nodes.has(DB_POD), 8000, 'watch resumed after restart');
    } finally {
      await plugin.stop();
      await api.stop();
    }
  });

  it('an unreachable API server gives empty reports', async () => {
    const plugin = createKubernetesPlugin(recordingContext(), { role: '', nodeName: 'x', connection: connectionTo('http://127.0.0.1:1'), retryInitialMillis: 50 }, silentLogger());
    try {
      const r = await plugin.reporter.report();
      assert.equal(r.topologies.pod.nodes.size, 0);
    } finally {
      await plugin.stop();
    }
  });
});
