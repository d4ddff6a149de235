/**
 * Acceptance: a real app and a real probe (cluster role) using the real client library against the
 * fake API server. Pods appearing, changing and disappearing through watch events show in
 * /api/topology/pods within 5 s; services and kube-controllers render; a scale control sent through
 * the app reaches the API server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../src/common/log.js';
import { defaultAppConfig, startApp, type RunningApp } from '../../src/app/index.js';
import { defaultProbeConfig, startProbe, type RunningProbe } from '../../src/probe/index.js';
import { FakeApiServer, loadObjects } from './fake-apiserver.js';
import { connectionTo, waitFor } from './harness.js';

const DEPLOYMENT = '8c0a3f5e-6b1d-4c57-9a3e-0f4b1c2d3e01;<deployment>';
const WEB_SVC = '33333333-cccc-4ddd-8eee-000000000001;<service>';
const NEW_POD = '11111111-aaaa-4bbb-8ccc-0000000000ee;<pod>';

type Nodes = Record<string, { label: string; metadata?: Array<{ id: string; value: string }> }>;

describe('Kubernetes end to end: fake API server → probe → app → /api/topology', { timeout: 120_000 }, () => {
  const api = new FakeApiServer();
  let app: RunningApp;
  let probe: RunningProbe;

  const nodes = async (topology: string): Promise<Nodes> => {
    const res = await fetch(`${app.url}api/topology/${topology}`, { signal: AbortSignal.timeout(5000) });
    return ((await res.json()) as { nodes: Nodes }).nodes;
  };

  before(async () => {
    await api.start();
    app = await startApp({ ...defaultAppConfig(), listenAddress: '127.0.0.1:0', version: 'test', hostname: 'testhost' }, silentLogger());
    probe = await startProbe(
      defaultProbeConfig({
        targets: [{ url: app.url.replace(/\/$/, '') }],
        hostId: 'cluster-agent',
        kubernetes: true,
        kubernetesRole: 'cluster',
        kubernetesConnection: connectionTo(api.url),
        processes: false,
        conntrack: false,
        spyIntervalMillis: 250,
        publishIntervalMillis: 500,
      }),
      silentLogger(),
    );
    await waitFor(async () => Object.keys(await nodes('pods')).length > 0, 20_000, 'first pods in the app');
  });
  after(async () => {
    await probe?.close();
    await app?.close();
    await api.stop();
  });

  it('pods appear, change and disappear within 5 s', async () => {
    const pod = structuredClone(loadObjects('pods')[0]!) as { metadata: Record<string, unknown>; status: Record<string, unknown> };
    pod.metadata.name = 'web-7d4b9c8f6-e2e01';
    pod.metadata.uid = NEW_POD.split(';')[0];
    pod.status.phase = 'Pending';
    api.upsert('pods', pod);
    await waitFor(async () => (await nodes('pods'))[NEW_POD]?.label === 'web-7d4b9c8f6-e2e01', 5000, 'pod added');

    pod.status.phase = 'Running';
    pod.status.podIP = '10.244.1.99';
    api.upsert('pods', pod);
    const ipOf = (n: Nodes): string | undefined => n[NEW_POD]?.metadata?.find((m) => m.id === 'kubernetes_ip')?.value;
    await waitFor(async () => ipOf(await nodes('pods')) === '10.244.1.99', 5000, 'pod changed');

    api.remove('pods', 'shop', 'web-7d4b9c8f6-e2e01');
    await waitFor(async () => (await nodes('pods'))[NEW_POD] === undefined, 5000, 'pod removed');
  });

  it('services and kube-controllers render from the probe\'s reports', async () => {
    const svcs = await nodes('services');
    assert.equal(svcs[WEB_SVC]?.label, 'web');
    const ctrls = await nodes('kube-controllers');
    assert.equal(ctrls[DEPLOYMENT]?.label, 'web');
  });

  it('a scale control sent to the app reaches the API server', async () => {
    const url = `${app.url}api/control/${probe.probeId}/${encodeURIComponent(DEPLOYMENT)}/kubernetes_scale_up`;
    await waitFor(async () => {
      const res = await fetch(url, { method: 'POST', signal: AbortSignal.timeout(5000) });
      return res.status === 200;
    }, 10_000, 'control accepted');
    assert.ok(api.requests.some((r) => r.method === 'PUT' && r.path === '/apis/apps/v1/namespaces/shop/deployments/web/scale'));
  });
});
