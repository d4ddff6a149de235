/**
 * Host role with real Docker containers: containers carrying the kubelet's labels become children
 * of their pods (the pods themselves come from the fake API server, filtered to this node).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../src/common/log.js';
import { createDockerPlugin, type DockerPlugin } from '../../src/probe/docker/index.js';
import { createKubernetesPlugin, createKubernetesTagger, type KubernetesPlugin } from '../../src/probe/kubernetes/index.js';
import { makeContainerNodeId } from '../../src/report/ids.js';
import { mergeReportInto } from '../../src/report/merge.js';
import { makeNode, makeReport } from '../../src/report/model.js';
import { nowTime } from '../../src/report/time.js';
import { cleanupDocker, docker, dockerUnavailable } from '../helpers/docker.js';
import { FakeApiServer, loadObjects } from './fake-apiserver.js';
import { connectionTo, recordingContext, waitFor } from './harness.js';

const PREFIX = `os-k8s-tag-${process.pid}-`;
const POD_UID = '11111111-aaaa-4bbb-8ccc-000000000003'; // db-0 on node-1
const POD_ID = `${POD_UID};<pod>`;

function kubeletLabels(container: string, type: 'container' | 'podsandbox'): string[] {
  const labels: Record<string, string> = {
    'io.kubernetes.pod.uid': POD_UID,
    'io.kubernetes.pod.name': 'db-0',
    'io.kubernetes.pod.namespace': 'shop',
    'io.kubernetes.container.name': container,
    'io.kubernetes.docker.type': type,
  };
  return Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
}

describe('kubernetes tagger', () => {
  it('ties a container to its pod and marks sandboxes (unit)', () => {
    const r = makeReport();
    const t = nowTime();
    const app = makeNode('c1;<container>', 'container');
    app.latest.set('docker_label_io.kubernetes.pod.uid', { timestamp: t, value: POD_UID });
    const pause = makeNode('c2;<container>', 'container');
    pause.latest.set('docker_label_io.kubernetes.pod.uid', { timestamp: t, value: POD_UID });
    pause.latest.set('docker_image_name', { timestamp: t, value: 'registry.k8s.io/pause' });
    const plain = makeNode('c3;<container>', 'container');
    for (const n of [app, pause, plain]) r.topologies.container.nodes.set(n.id, n);
    void createKubernetesTagger().tag(r);
    assert.deepEqual(app.parents.get('pod'), [POD_ID]);
    assert.equal(app.latest.has('does_not_make_connections'), false);
    assert.deepEqual(pause.parents.get('pod'), [POD_ID]);
    assert.equal(pause.latest.get('does_not_make_connections')?.value, '');
    assert.equal(plain.parents.has('pod'), false);
  });
});

describe('host role with real Docker containers', async () => {
  const skip = await dockerUnavailable();
  const api = new FakeApiServer();
  const ctx = recordingContext();
  let dockerPlugin: DockerPlugin | undefined;
  let k8s: KubernetesPlugin | undefined;
  const ids: Record<string, string> = {};

  before(async () => {
    if (skip) return;
    await cleanupDocker(PREFIX);
    ids.sandbox = await docker('run', '-d', '--name', `${PREFIX}pause`, ...kubeletLabels('POD', 'podsandbox'), 'localbb:latest', 'sleep', '300');
    ids.app = await docker('run', '-d', '--name', `${PREFIX}app`, ...kubeletLabels('postgres', 'container'), 'localbb:latest', 'sleep', '300');
    ids.other = await docker('run', '-d', '--name', `${PREFIX}other`, 'localbb:latest', 'sleep', '300');
    await api.start();
    dockerPlugin = createDockerPlugin(ctx, { intervalMillis: 10_000, omitEnvVars: true, omitCmdArgs: false, bridge: 'docker0' }, silentLogger());
    k8s = createKubernetesPlugin(ctx, { role: 'host', nodeName: 'node-1', connection: connectionTo(api.url) }, silentLogger());
  });
  after(async () => {
    await k8s?.stop();
    await dockerPlugin?.stop();
    await api.stop();
    if (!skip) await cleanupDocker(PREFIX);
  });

  it('makes kubelet-labelled containers children of the right pods', { skip }, async () => {
    await waitFor(() => k8s!.synced() && dockerPlugin!.connected(), 10_000, 'Docker and Kubernetes');
    const merged = makeReport();
    await waitFor(async () => {
      const r = await dockerPlugin!.reporter.report();
      return r.topologies.container.nodes.has(makeContainerNodeId(ids.app!));
    }, 10_000, 'containers listed');
    mergeReportInto(merged, await dockerPlugin!.reporter.report());
    mergeReportInto(merged, await k8s!.reporter.report());
    await k8s!.tagger.tag(merged);

    const pods = merged.topologies.pod.nodes;
    assert.ok(pods.has(POD_ID), 'the pod of this node is reported');
    const onNode1 = loadObjects('pods').filter((p) => (p.spec as { nodeName: string }).nodeName === 'node-1').length;
    assert.equal(pods.size, onNode1, 'only the pods of node-1');
    const c = (id: string) => merged.topologies.container.nodes.get(makeContainerNodeId(id));
    assert.deepEqual(c(ids.app!)?.parents.get('pod'), [POD_ID]);
    assert.deepEqual(c(ids.sandbox!)?.parents.get('pod'), [POD_ID]);
    assert.equal(c(ids.sandbox!)?.latest.get('does_not_make_connections')?.value, '');
    assert.equal(c(ids.app!)?.latest.has('does_not_make_connections'), false);
    assert.equal(c(ids.other!)?.parents.has('pod'), false);
  });
});
