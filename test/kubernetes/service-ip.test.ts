// Connections to a Service's cluster IP without conntrack NAT (issue #6): the pods view shows
// client pod → service → backing pods; services and controllers views show owner → owner edges.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderTopology } from '../../src/render/index.js';
import type { Report } from '../../src/report/types.js';
import { add, addLocalEndpoint, addRemoteEndpoint, hostReport } from '../render/build.js';

const WEB_SVC = 's-web;<service>';
const CLIENT_SVC = 's-client;<service>';
const HEADLESS_SVC = 's-headless;<service>';

/** web-1 and web-2 back the `web` service (10.96.0.10); `client` (10.4.0.6) calls it. */
function report(opts: { connect?: string } = {}): Report {
  const r = hostReport();
  add(r, 'namespace', 'ns;<namespace>', { latest: { kubernetes_name: 'default' } });
  add(r, 'deployment', 'd-web;<deployment>', { latest: { kubernetes_name: 'web', kubernetes_namespace: 'default' } });
  add(r, 'deployment', 'd-client;<deployment>', { latest: { kubernetes_name: 'client', kubernetes_namespace: 'default' } });
  add(r, 'service', WEB_SVC, { latest: { kubernetes_name: 'web', kubernetes_namespace: 'default', kubernetes_ip: '10.96.0.10' } });
  add(r, 'service', CLIENT_SVC, { latest: { kubernetes_name: 'client', kubernetes_namespace: 'default', kubernetes_ip: '10.96.0.11' } });
  add(r, 'service', HEADLESS_SVC, { latest: { kubernetes_name: 'db', kubernetes_namespace: 'default', kubernetes_ip: 'None' } });
  for (const [id, ip] of [
    ['web-1', '10.4.0.5'],
    ['web-2', '10.4.0.7'],
  ] as const) {
    add(r, 'pod', `${id};<pod>`, {
      latest: { kubernetes_name: id, kubernetes_namespace: 'default', kubernetes_ip: ip, kubernetes_state: 'Running' },
      parents: { deployment: ['d-web;<deployment>'], service: [WEB_SVC], host: ['h1;<host>'] },
    });
  }
  add(r, 'pod', 'client;<pod>', {
    latest: { kubernetes_name: 'client', kubernetes_namespace: 'default', kubernetes_ip: '10.4.0.6', kubernetes_state: 'Running' },
    parents: { deployment: ['d-client;<deployment>'], service: [CLIENT_SVC], host: ['h1;<host>'] },
  });
  if (opts.connect !== undefined) {
    // What a probe without conntrack sees: the client's socket to the cluster IP, nothing more.
    addLocalEndpoint(r, ';10.4.0.6;40000', undefined, [`;${opts.connect};80`]);
    addRemoteEndpoint(r, `;${opts.connect};80`);
  }
  return r;
}

test('pods view: client pod → service → every backing pod', () => {
  const nodes = renderTopology(report({ connect: '10.96.0.10' }), 'pods', {})!.nodes;
  assert.deepEqual(nodes['client;<pod>']!.adjacency, [WEB_SVC]);
  assert.ok(nodes[WEB_SVC], 'the service is in the pods view');
  assert.equal(nodes[WEB_SVC].label, 'web');
  assert.equal(nodes[WEB_SVC].labelMinor, '2 pods');
  assert.deepEqual(nodes[WEB_SVC].adjacency, ['web-1;<pod>', 'web-2;<pod>']);
  // Services nothing connects to stay out of the pods view.
  assert.equal(nodes[CLIENT_SVC], undefined);
  assert.equal(nodes[HEADLESS_SVC], undefined);
});

test('services view: client service → web service', () => {
  const nodes = renderTopology(report({ connect: '10.96.0.10' }), 'services', {})!.nodes;
  assert.deepEqual(nodes[CLIENT_SVC]!.adjacency, [WEB_SVC]);
  assert.equal(nodes[WEB_SVC]!.adjacency, undefined);
  assert.equal(nodes[WEB_SVC]!.labelMinor, '2 pods');
});

test('kube-controllers view: client deployment → web deployment', () => {
  const nodes = renderTopology(report({ connect: '10.96.0.10' }), 'kube-controllers', {})!.nodes;
  assert.deepEqual(nodes['d-client;<deployment>']!.adjacency, ['d-web;<deployment>']);
});

test('no connection, or one to an unknown address: no service node, no edge', () => {
  for (const r of [report(), report({ connect: '10.96.0.99' })]) {
    const pods = renderTopology(r, 'pods', {})!.nodes;
    assert.equal(pods[WEB_SVC], undefined);
    assert.equal(pods['client;<pod>']!.adjacency, undefined);
  }
});

test('a connection to a pod IP still goes to that pod, not through a service', () => {
  const nodes = renderTopology(report({ connect: '10.4.0.5' }), 'pods', {})!.nodes;
  assert.deepEqual(nodes['client;<pod>']!.adjacency, ['web-1;<pod>']);
  assert.equal(nodes[WEB_SVC], undefined);
});
