/** Kubernetes controls send the right API calls (recorded by the fake API server). */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../src/common/log.js';
import { createKubernetesPlugin, type KubernetesPlugin } from '../../src/probe/kubernetes/index.js';
import { FakeApiServer } from './fake-apiserver.js';
import { connectionTo, recordingContext, waitFor } from './harness.js';

const DEPLOYMENT = '8c0a3f5e-6b1d-4c57-9a3e-0f4b1c2d3e01;<deployment>';
const STATEFULSET = '55555555-5555-4c57-9a3e-0f4b1c2d3e07;<statefulset>';
const WEB_POD = '11111111-aaaa-4bbb-8ccc-000000000001;<pod>';

describe('kubernetes controls', () => {
  const api = new FakeApiServer();
  const ctx = recordingContext();
  let plugin: KubernetesPlugin;

  before(async () => {
    await api.start();
    plugin = createKubernetesPlugin(ctx, { role: 'cluster', nodeName: '', connection: connectionTo(api.url) }, silentLogger());
    await waitFor(() => plugin.synced(), 5000, 'synced');
  });
  after(async () => {
    await plugin.stop();
    await api.stop();
  });

  const calls = (method: string, path: string) => api.requests.filter((r) => r.method === method && r.path === path);

  it('registers every control', () => {
    for (const c of ['kubernetes_get_logs', 'kubernetes_delete_pod', 'kubernetes_describe', 'kubernetes_scale_up', 'kubernetes_scale_down', 'kubernetes_cordon_node', 'kubernetes_uncordon_node']) {
      assert.ok(ctx.handlers.has(c), c);
    }
  });

  it('scales a deployment up and down through the scale subresource', async () => {
    const path = '/apis/apps/v1/namespaces/shop/deployments/web/scale';
    assert.deepEqual(await ctx.call('kubernetes_scale_up', DEPLOYMENT), {});
    const put = calls('PUT', path);
    assert.equal(put.length, 1);
    assert.equal((put[0]!.body as { spec: { replicas: number } }).spec.replicas, 3);
    assert.equal((api.get('deployments', 'shop', 'web')!.spec as { replicas: number }).replicas, 3);
    await ctx.call('kubernetes_scale_down', DEPLOYMENT);
    assert.equal((calls('PUT', path)[1]!.body as { spec: { replicas: number } }).spec.replicas, 2);
  });

  it('scales a stateful set, never below zero', async () => {
    const path = '/apis/apps/v1/namespaces/shop/statefulsets/db/scale';
    await ctx.call('kubernetes_scale_down', STATEFULSET);
    await ctx.call('kubernetes_scale_down', STATEFULSET);
    const put = calls('PUT', path);
    assert.deepEqual(put.map((p) => (p.body as { spec: { replicas: number } }).spec.replicas), [0, 0]);
  });

  it('deletes a pod and answers removedNode', async () => {
    const res = await ctx.call('kubernetes_delete_pod', WEB_POD);
    assert.deepEqual(res, { removedNode: WEB_POD });
    assert.equal(calls('DELETE', '/api/v1/namespaces/shop/pods/web-7d4b9c8f6-abcde').length, 1);
    await waitFor(async () => !(await plugin.reporter.report()).topologies.pod.nodes.has(WEB_POD), 5000, 'pod gone');
  });

  it('cordons and uncordons a node with a strategic merge patch', async () => {
    await ctx.call('kubernetes_cordon_node', 'node-1;<host>');
    const patch = calls('PATCH', '/api/v1/nodes/node-1');
    assert.equal(patch.length, 1);
    assert.equal(patch[0]!.contentType, 'application/strategic-merge-patch+json');
    assert.deepEqual(patch[0]!.body, { spec: { unschedulable: true } });
    await waitFor(async () => (await plugin.reporter.report()).topologies.host.nodes.get('node-1;<host>')?.latest.get('active_controls')?.value === 'kubernetes_uncordon_node', 5000, 'uncordon offered');
    await ctx.call('kubernetes_uncordon_node', 'node-1;<host>');
    assert.deepEqual(calls('PATCH', '/api/v1/nodes/node-1')[1]!.body, { spec: { unschedulable: false } });
  });

  it('describes an object as YAML in a read-only pipe', async () => {
    const res = await ctx.call('kubernetes_describe', '33333333-cccc-4ddd-8eee-000000000001;<service>');
    assert.equal(res.rawTty, false);
    const out = ctx.pipeOutput.get(res.pipe!)!;
    assert.match(out, /kind: Service/);
    assert.match(out, /clusterIP: 10\.96\.10\.20/);
  });

  it('rejects unknown nodes with a clear error', async () => {
    await assert.rejects(ctx.call('kubernetes_delete_pod', 'nope;<pod>'), /Pod not found/);
    await assert.rejects(ctx.call('kubernetes_scale_up', 'nope;<deployment>'), /Deployment not found/);
    await assert.rejects(ctx.call('kubernetes_cordon_node', 'garbage'), /Invalid ID/);
  });
});
