/**
 * The CRI reporter (wire §5.8) against a REAL containerd's CRI plugin (a private instance, see
 * containerd.ts): pod sandboxes and containers made through the CRI API itself, listed by the
 * reporter, tied to their pods by the Kubernetes tagger, rendered, and reported by a whole probe
 * to a real app. Needs root, containerd, runc and Docker (for the local sandbox image): in CI a
 * missing piece fails the test; elsewhere the suite is skipped with the reason.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultAppConfig, startApp } from '../../src/app/index.js';
import { silentLogger } from '../../src/common/log.js';
import { CriClient, CriReporter, createCriPlugin } from '../../src/probe/cri/index.js';
import { defaultProbeConfig, startProbe } from '../../src/probe/index.js';
import { createKubernetesTagger } from '../../src/probe/kubernetes/index.js';
import { renderTopology } from '../../src/render/index.js';
import { containerdMissing, PAUSE_IMAGE, runContainer, runPod, sandboxConfig, startContainerd, type Containerd } from './containerd.js';

const missing = process.getuid?.() === 0 ? await containerdMissing() : 'not root';
if (missing !== undefined && process.env.CI === 'true') {
  it('containerd is available in CI', () => assert.fail(`CRI tests need a real containerd: ${missing}`));
}
const skip = missing !== undefined ? `CRI tests skipped: ${missing}` : false;

const POD_UID = '7f3c2a10-5b6d-4e8f-9a0b-c1d2e3f4a5b6';

describe('CRI reporter against a real containerd', { skip, timeout: 180_000 }, () => {
  let cd: Containerd;
  let running = '';
  let exited = '';

  before(async () => {
    cd = await startContainerd();
    const logDir = join(cd.dir, 'pods');
    await mkdir(logDir, { recursive: true });
    const sandbox = sandboxConfig('web-5d8f7', POD_UID, 'shop', logDir);
    const podId = await runPod(cd.client, sandbox);
    running = await runContainer(cd.client, podId, sandbox, 'web', ['/bin/sleep', '300'], true);
    exited = await runContainer(cd.client, podId, sandbox, 'init', ['/bin/sh', '-c', 'exit 0'], true);
    // Wait until the short one has exited, as a kubelet's init container would.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const c = (await cd.client.listContainers()).find((x) => x.id === exited);
      if (c?.state === 'CONTAINER_EXITED') break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  after(async () => {
    await cd?.stop();
  });

  it('the runtime answers Version, ListPodSandbox and ListContainers', async () => {
    const v = await cd.client.version();
    assert.equal(v.runtimeName, 'containerd');
    assert.equal(v.runtimeApiVersion, 'v1');
    const sandboxes = await cd.client.listPodSandboxes();
    assert.deepEqual(
      sandboxes.map((s) => [s.name, s.uid, s.namespace, s.state]),
      [['web-5d8f7', POD_UID, 'shop', 'SANDBOX_READY']],
    );
    const states = new Map((await cd.client.listContainers()).map((c) => [c.id, c.state]));
    assert.equal(states.get(running), 'CONTAINER_RUNNING');
    assert.equal(states.get(exited), 'CONTAINER_EXITED');
  });

  it('reports each container with the Docker keys, its image and its labels; metrics from the second report', async () => {
    const reporter = new CriReporter(cd.client, silentLogger(), { cpuCount: 2, hostMemoryBytes: 8 * 2 ** 30 });
    await reporter.report();
    await new Promise((r) => setTimeout(r, 200));
    const r = await reporter.report();
    const node = r.topologies.container.nodes.get(`${running};<container>`);
    assert.ok(node, 'running container reported');
    const latest = (k: string): string | undefined => node.latest.get(k)?.value;
    assert.equal(latest('docker_container_id'), running);
    assert.equal(latest('docker_container_name'), 'web');
    assert.equal(latest('docker_container_state'), 'running');
    assert.equal(latest('cri_container_state'), 'CONTAINER_RUNNING');
    assert.equal(latest('docker_container_restart_count'), '0');
    assert.equal(latest('docker_image_name'), PAUSE_IMAGE);
    assert.match(latest('docker_image_id') ?? '', /^sha256:[0-9a-f]{64}$/);
    assert.equal(latest('docker_label_io.kubernetes.pod.uid'), POD_UID);
    assert.equal(latest('docker_label_io.kubernetes.container.name'), 'web');
    assert.match(latest('docker_container_created') ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const imageId = `${latest('docker_image_id')};<container_image>`;
    assert.deepEqual(node.parents.get('container_image'), [imageId]);
    assert.equal(r.topologies.container_image.nodes.get(imageId)?.latest.get('docker_image_name')?.value, 'openscope-cri-test/pause');
    assert.ok((node.metrics.get('docker_memory_usage')?.samples[0]?.value ?? 0) > 0, 'memory metric');
    assert.ok(node.metrics.has('docker_cpu_total_usage'), 'cpu metric on the second report');
    assert.equal(r.topologies.container.nodes.get(`${exited};<container>`)?.latest.get('docker_container_state')?.value, 'exited');
    assert.ok(r.topologies.container.metricTemplates.has('docker_cpu_total_usage'), 'container templates');
  });

  it('the Kubernetes tagger ties the containers to their pod; the render shows the running one', async () => {
    const reporter = new CriReporter(cd.client, silentLogger(), { cpuCount: 2, hostMemoryBytes: 8 * 2 ** 30 });
    const r = await reporter.report();
    await createKubernetesTagger().tag(r);
    assert.deepEqual(r.topologies.container.nodes.get(`${running};<container>`)?.parents.get('pod'), [`${POD_UID};<pod>`]);
    // Scope applies the option defaults once any parameter is given.
    const containers = renderTopology(r, 'containers', { timestamp: '' })!.nodes;
    assert.ok(containers[`${running};<container>`], 'running CRI container shown by default');
    assert.equal(containers[`${exited};<container>`], undefined, 'exited one hidden by default');
    const stopped = renderTopology(r, 'containers', { stopped: 'stopped' })!.nodes;
    assert.ok(stopped[`${exited};<container>`], 'exited one among stopped containers');
  });

  it('a probe with --probe.cri publishes the containers to a real app', async () => {
    const app = await startApp({ ...defaultAppConfig(), listenAddress: '127.0.0.1:0', version: 'test', hostname: 'crihost' }, silentLogger());
    const probe = await startProbe(
      defaultProbeConfig({
        targets: [{ url: app.url.replace(/\/$/, '') }],
        hostId: 'crihost',
        cri: true,
        criEndpoint: `unix://${cd.socket}`,
        processes: false,
        conntrack: false,
        ebpfConnections: false,
        spyIntervalMillis: 250,
        publishIntervalMillis: 500,
      }),
      silentLogger(),
    );
    try {
      const deadline = Date.now() + 20_000;
      let found: { label?: string } | undefined;
      while (Date.now() < deadline && found === undefined) {
        const res = await fetch(`${app.url}api/topology/containers`, { signal: AbortSignal.timeout(5000) });
        const body = (await res.json()) as { nodes: Record<string, { label?: string }> };
        found = body.nodes[`${running};<container>`];
        if (found === undefined) await new Promise((r) => setTimeout(r, 250));
      }
      assert.equal(found?.label, 'web');
    } finally {
      await probe.close();
      await app.close();
    }
  });

  it('createCriPlugin reaches the runtime through a unix:// endpoint', async () => {
    const plugin = createCriPlugin({ endpoint: `unix://${cd.socket}` }, silentLogger());
    try {
      const r = await plugin.reporter.report();
      assert.ok(r.topologies.container.nodes.has(`${running};<container>`));
    } finally {
      await plugin.stop();
    }
  });
});

describe('CRI reporter when the runtime is absent or broken', { timeout: 30_000 }, () => {
  const opts = { cpuCount: 1, hostMemoryBytes: 2 ** 30 };

  it('no socket: an empty report, no throw', async () => {
    const client = new CriClient('/nonexistent/openscope-cri.sock', { timeoutMillis: 2000 });
    try {
      const r = await new CriReporter(client, silentLogger(), opts).report();
      assert.equal(r.topologies.container.nodes.size, 0);
    } finally {
      client.close();
    }
  });

  it('a socket that is not gRPC: an empty report within the deadline', async () => {
    const dir = await import('node:fs/promises').then((fs) => fs.mkdtemp('/tmp/osc-cri-bad-'));
    const socket = join(dir, 'bad.sock');
    // A real server speaking garbage: it answers every connection with junk and hangs up.
    const server: Server = createServer((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n', () => s.destroy()));
    await new Promise<void>((res) => server.listen(socket, res));
    const client = new CriClient(socket, { timeoutMillis: 2000 });
    try {
      const r = await new CriReporter(client, silentLogger(), opts).report();
      assert.equal(r.topologies.container.nodes.size, 0);
    } finally {
      client.close();
      await new Promise((res) => server.close(res));
      await import('node:fs/promises').then((fs) => fs.rm(dir, { recursive: true, force: true }));
    }
  });
});
