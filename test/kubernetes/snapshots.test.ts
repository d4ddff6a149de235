/**
 * Volume snapshot controls (wire §5.9) against the local API server serving the CSI snapshot CRD:
 * create a snapshot of a claim, clone a snapshot into a new claim, delete a snapshot; the controls
 * are offered only where snapshots are served.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../src/common/log.js';
import { snapshotStamp } from '../../src/probe/kubernetes/controls.js';
import { createKubernetesPlugin, type KubernetesPlugin } from '../../src/probe/kubernetes/index.js';
import { FakeApiServer } from './fake-apiserver.js';
import { connectionTo, recordingContext, waitFor } from './harness.js';

const PVC = '77777777-0000-4000-8000-000000000001;<persistent_volume_claim>';
const SNAPSHOT = '99999999-0000-4000-8000-000000000001;<volume_snapshot>';

type Json = Record<string, unknown>;

describe('volume snapshot controls', () => {
  const api = new FakeApiServer(true, { snapshotCrd: true });
  const ctx = recordingContext();
  let plugin: KubernetesPlugin;

  before(async () => {
    await api.start();
    plugin = createKubernetesPlugin(ctx, { role: 'cluster', nodeName: '', connection: connectionTo(api.url) }, silentLogger());
    await waitFor(() => plugin.synced() && plugin.stores.volumeSnapshots.size > 0, 5000, 'synced with snapshots');
  });
  after(async () => {
    await plugin.stop();
    await api.stop();
  });

  it('offers create on claims and clone / delete on snapshots', async () => {
    const r = await plugin.reporter.report();
    const controls = (topology: 'persistent_volume_claim' | 'volume_snapshot', id: string): string | undefined =>
      r.topologies[topology].nodes.get(id)?.latest.get('active_controls')?.value;
    assert.equal(controls('persistent_volume_claim', PVC), 'kubernetes_create_volume_snapshot;kubernetes_describe');
    assert.equal(controls('volume_snapshot', SNAPSHOT), 'kubernetes_clone_volume_snapshot;kubernetes_delete_volume_snapshot;kubernetes_describe');
    assert.deepEqual([...r.topologies.volume_snapshot.controls.keys()].sort(), [
      'kubernetes_clone_volume_snapshot',
      'kubernetes_delete_volume_snapshot',
      'kubernetes_describe',
    ]);
    assert.equal(r.topologies.persistent_volume_claim.controls.get('kubernetes_create_volume_snapshot')?.icon, 'fa fa-camera');
  });

  it('create snapshot: POSTs a VolumeSnapshot of the claim, named as Scope did', async () => {
    assert.deepEqual(await ctx.call('kubernetes_create_volume_snapshot', PVC), {});
    const post = api.requests.filter((q) => q.method === 'POST' && q.path === '/apis/snapshot.storage.k8s.io/v1/namespaces/shop/volumesnapshots');
    assert.equal(post.length, 1);
    const body = post[0]!.body as { metadata: Json; spec: Json; kind: string };
    assert.equal(body.kind, 'VolumeSnapshot');
    assert.match(String(body.metadata.name), /^snapshot-\d{14}-[0-9a-f]{8}$/);
    assert.deepEqual(body.metadata.annotations, { capacity: '1Gi' });
    assert.deepEqual(body.spec, { source: { persistentVolumeClaimName: 'data-db-0' } });
    // The watch brings it back as a snapshot node.
    await waitFor(() => plugin.stores.volumeSnapshots.size === 2, 5000, 'the new snapshot watched');
  });

  it('clone snapshot: POSTs a claim restored from the snapshot, in the source claim’s class', async () => {
    assert.deepEqual(await ctx.call('kubernetes_clone_volume_snapshot', SNAPSHOT), {});
    const post = api.requests.filter((q) => q.method === 'POST' && q.path === '/api/v1/namespaces/shop/persistentvolumeclaims');
    assert.equal(post.length, 1);
    const body = post[0]!.body as { metadata: Json; spec: Json };
    assert.match(String(body.metadata.name), /^clone-data-db-0-[0-9a-f]{8}$/);
    assert.deepEqual(body.spec, {
      storageClassName: 'standard',
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '1Gi' } },
      dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'snapshot-20261121080000-5c1d2e3f' },
    });
  });

  it('describe reads the snapshot; delete removes it and reports the removed node', async () => {
    const d = await ctx.call('kubernetes_describe', SNAPSHOT);
    assert.ok(d.pipe);
    await waitFor(() => (ctx.pipeOutput.get(d.pipe!) ?? '').includes('persistentVolumeClaimName: data-db-0'), 5000, 'describe output');
    assert.deepEqual(await ctx.call('kubernetes_delete_volume_snapshot', SNAPSHOT), { removedNode: SNAPSHOT });
    assert.equal(api.requests.filter((q) => q.method === 'DELETE' && q.path === '/apis/snapshot.storage.k8s.io/v1/namespaces/shop/volumesnapshots/snapshot-20261121080000-5c1d2e3f').length, 1);
    await waitFor(() => !plugin.stores.volumeSnapshots.has(SNAPSHOT.split(';')[0]!), 5000, 'snapshot gone from the store');
    await assert.rejects(ctx.call('kubernetes_clone_volume_snapshot', SNAPSHOT), /VolumeSnapshot not found/);
  });

  it('snapshot names use a UTC YYYYMMDDhhmmss stamp', () => {
    assert.equal(snapshotStamp(new Date('2026-11-25T19:04:05.123Z')), '20261125190405');
  });
});

describe('without the snapshot CRD', () => {
  const api = new FakeApiServer();
  let plugin: KubernetesPlugin;
  before(async () => {
    await api.start();
    plugin = createKubernetesPlugin(recordingContext(), { role: 'cluster', nodeName: '', connection: connectionTo(api.url) }, silentLogger());
    await waitFor(() => plugin.synced(), 5000, 'synced');
  });
  after(async () => {
    await plugin.stop();
    await api.stop();
  });

  it('claims do not offer "Create snapshot"', async () => {
    const r = await plugin.reporter.report();
    assert.equal(r.topologies.persistent_volume_claim.nodes.get(PVC)?.latest.get('active_controls')?.value, 'kubernetes_describe');
  });
});
