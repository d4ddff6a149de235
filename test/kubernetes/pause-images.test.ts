// Pause (sandbox) containers of today's registries are hidden like Scope hid k8s.gcr.io/pause.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPauseImage } from '../../src/probe/kubernetes/index.js';
import { isApplication, isPauseImageName } from '../../src/render/filters.js';
import { renderNodeDetails, renderTopology } from '../../src/render/index.js';
import { makeRNode } from '../../src/render/rnode.js';
import { add, addContainer, hostReport } from '../render/build.js';

const PAUSE = [
  'registry.k8s.io/pause:3.9',
  'k8s.gcr.io/pause:3.2',
  'gcr.io/google_containers/pause-amd64:3.0',
  'rancher/mirrored-pause:3.6',
  'docker.io/rancher/mirrored-pause:3.6',
  '602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/pause:3.5',
];

test('pause image names of every known registry, in the render and the probe tagger alike', () => {
  for (const name of PAUSE) {
    assert.ok(isPauseImageName(name), name);
    assert.ok(isPauseImage(name), name);
  }
  for (const name of ['nginx:1.25', 'registry.k8s.io/kube-proxy:v1.29.0', 'pausable/app']) {
    assert.ok(!isPauseImageName(name), name);
    assert.ok(!isPauseImage(name), name);
  }
  const n = makeRNode('c;<container>', 'container');
  n.latest.set('docker_image_name', { timestamp: '', value: 'registry.k8s.io/pause' });
  assert.equal(isApplication(n), false, 'a pause container is a system container');
});

test('pods view: the pause container is not a child of its pod', () => {
  const r = hostReport();
  add(r, 'pod', 'p1;<pod>', { latest: { kubernetes_name: 'web', kubernetes_namespace: 'default', kubernetes_state: 'Running' }, parents: { host: ['h1;<host>'] } });
  addContainer(r, 'app', 'web', { docker_image_name: 'nginx' }).parents.set('pod', ['p1;<pod>']);
  addContainer(r, 'infra', 'POD', { docker_image_name: 'registry.k8s.io/pause' }).parents.set('pod', ['p1;<pod>']);
  const pods = renderTopology(r, 'pods', {})!.nodes;
  assert.equal(pods['p1;<pod>']!.labelMinor, '1 container');
  const details = renderNodeDetails(r, 'pods', 'p1;<pod>', {})!.node;
  const containers = details.children!.find((c) => c.topologyId === 'containers')!;
  assert.deepEqual(containers.nodes!.map((c) => c.id), ['app;<container>']);
});
