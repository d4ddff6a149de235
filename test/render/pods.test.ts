// Kubernetes views on a hand-built report: pods, services, controllers, namespace option.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listTopologies, renderNodeDetails, renderTopology } from '../../src/render/index.js';
import { add, addContainer, addRemoteEndpoint, hostReport } from './build.js';

function k8sReport(): ReturnType<typeof hostReport> {
  const r = hostReport();
  for (const ns of ['default', 'kube-system']) add(r, 'namespace', `${ns};<namespace>`, { latest: { kubernetes_name: ns } });
  add(r, 'deployment', 'd1;<deployment>', { latest: { kubernetes_name: 'web', kubernetes_namespace: 'default' } });
  add(r, 'service', 's1;<service>', { latest: { kubernetes_name: 'web-svc', kubernetes_namespace: 'default', kubernetes_ip: '10.96.0.10' } });
  add(r, 'pod', 'p1;<pod>', {
    latest: { kubernetes_name: 'web-abc', kubernetes_namespace: 'default', kubernetes_ip: '10.4.0.5', kubernetes_state: 'Running' },
    parents: { deployment: ['d1;<deployment>'], service: ['s1;<service>'], host: ['h1;<host>'] },
  });
  add(r, 'pod', 'p2;<pod>', {
    latest: { kubernetes_name: 'client', kubernetes_namespace: 'kube-system', kubernetes_ip: '10.4.0.6', kubernetes_state: 'Running' },
    parents: { host: ['h1;<host>'] },
  });
  add(r, 'pod', 'p3;<pod>', { latest: { kubernetes_name: 'dead', kubernetes_namespace: 'default', kubernetes_state: 'Failed' } });
  const c1 = addContainer(r, 'c1', 'web');
  c1.parents.set('pod', ['p1;<pod>']);
  addContainer(r, 'c2', 'loner');
  addRemoteEndpoint(r, ';10.4.0.6;40000', [';10.4.0.5;80']);
  addRemoteEndpoint(r, ';10.4.0.5;80');
  return r;
}

test('pods: containers under their pods, edges by pod IP, failed pods dropped', () => {
  const nodes = renderTopology(k8sReport(), 'pods', {})!.nodes;
  assert.deepEqual(Object.keys(nodes).sort(), ['p1;<pod>', 'p2;<pod>']);
  assert.deepEqual(nodes['p1;<pod>'], {
    id: 'p1;<pod>',
    label: 'web-abc',
    labelMinor: '1 container',
    rank: 'default/web-abc',
    shape: 'heptagon',
    parents: [
      { id: 'd1;<deployment>', label: 'web', topologyId: 'kube-controllers' },
      { id: 's1;<service>', label: 'web-svc', topologyId: 'services' },
      { id: 'h1;<host>', label: 'h1', topologyId: 'hosts' },
    ],
  });
  assert.deepEqual(nodes['p2;<pod>']!.adjacency, ['p1;<pod>']);
});

test('services and controllers; pods without a controller are Unmanaged', () => {
  const r = k8sReport();
  const services = renderTopology(r, 'services', {})!.nodes;
  assert.deepEqual(Object.keys(services), ['s1;<service>']);
  assert.equal(services['s1;<service>']!.labelMinor, '1 pod');
  assert.equal(services['s1;<service>']!.stack, true);
  const controllers = renderTopology(r, 'kube-controllers', {})!.nodes;
  assert.deepEqual(Object.keys(controllers).sort(), ['d1;<deployment>', 'pseudo:unmanaged:h1']);
  assert.equal(controllers['d1;<deployment>']!.labelMinor, 'Deployment of 1 pod');
  assert.deepEqual(controllers['pseudo:unmanaged:h1']!.adjacency, ['d1;<deployment>']);
  assert.deepEqual(
    renderNodeDetails(r, 'kube-controllers', 'd1;<deployment>', {})!.node.children!.map((g) => [g.label, g.nodes!.length]),
    [['Pods', 1], ['Containers', 1]],
  );
});

test('namespace option: a sorted union group, filtering pods', () => {
  const r = k8sReport();
  const pods = listTopologies(r).find((t) => t.name === 'Pods')!;
  assert.deepEqual(pods.options!.at(-1), {
    id: 'namespace',
    defaultValue: '',
    selectType: 'union',
    noneLabel: 'All Namespaces',
    options: [
      { value: 'default', label: 'default' },
      { value: 'kube-system', label: 'kube-system' },
    ],
  });
  assert.deepEqual(Object.keys(renderTopology(r, 'pods', { namespace: 'default' })!.nodes), ['p1;<pod>']);
  assert.deepEqual(Object.keys(renderTopology(r, 'pods', { namespace: 'default,kube-system' })!.nodes).sort(), ['p1;<pod>', 'p2;<pod>']);
  assert.deepEqual(Object.keys(renderTopology(r, 'pods', { namespace: '' })!.nodes).sort(), ['p1;<pod>', 'p2;<pod>']);
});
