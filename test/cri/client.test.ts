// CRI endpoint parsing (Scope's rules, wire §5.8) and the reply boundary.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseContainer, parseContainerStats } from '../../src/probe/cri/client.js';
import { CriEndpointError, criSocketPath, resolveCriSocket, SCOPE_DEFAULT_CRI_ENDPOINT } from '../../src/probe/cri/index.js';

test('endpoints: unix://path, a bare path, and Scope default; other schemes refused', () => {
  assert.equal(criSocketPath('unix:///run/containerd/containerd.sock'), '/run/containerd/containerd.sock');
  assert.equal(criSocketPath('/run/crio/crio.sock'), '/run/crio/crio.sock');
  assert.equal(criSocketPath(SCOPE_DEFAULT_CRI_ENDPOINT), '/var/run/dockershim.sock');
  assert.equal(criSocketPath('unix://run/x.sock'), '/run/x.sock');
  for (const bad of ['tcp://127.0.0.1:1234', 'http://x', 'npipe:////./pipe/x', 'unix://']) {
    assert.throws(() => criSocketPath(bad), CriEndpointError, bad);
  }
});

test("Scope's dockershim default falls back to today's runtime sockets; an explicit endpoint never does", () => {
  const present = new Set(['/run/containerd/containerd.sock']);
  const exists = (p: string): boolean => present.has(p);
  assert.equal(resolveCriSocket(SCOPE_DEFAULT_CRI_ENDPOINT, exists), '/run/containerd/containerd.sock');
  assert.equal(resolveCriSocket('unix:///run/crio/crio.sock', exists), '/run/crio/crio.sock');
  assert.equal(resolveCriSocket(SCOPE_DEFAULT_CRI_ENDPOINT, () => false), '/var/run/dockershim.sock');
});

test('replies are read field by field: garbage gives zero values or nothing, never a throw', () => {
  assert.equal(parseContainer(null), undefined);
  assert.equal(parseContainer({ id: '' }), undefined);
  const c = parseContainer({ id: 'abc', state: 'NOT_A_STATE', metadata: 'x', labels: { a: 'b', n: 3 }, created_at: 'soon' });
  assert.deepEqual(
    c && { ...c, labels: [...c.labels] },
    {
      id: 'abc',
      podSandboxId: '',
      name: '',
      attempt: 0,
      image: '',
      userSpecifiedImage: '',
      imageRef: '',
      state: 'CONTAINER_UNKNOWN',
      createdAtNanos: '',
      labels: [['a', 'b']],
      annotations: new Map(),
    },
  );
  const s = parseContainerStats({ attributes: { id: 'abc' }, cpu: { timestamp: '17', usage_core_nano_seconds: { value: '42' } }, memory: null });
  assert.deepEqual(s, { id: 'abc', cpuCoreNanos: 42, cpuTimestampNanos: 17, memoryWorkingSetBytes: undefined, memoryTimestampNanos: 0 });
});

test('--probe.cri and --probe.cri.endpoint reach the probe configuration', async () => {
  const { buildCliConfig } = await import('../../src/cli/config.js');
  const { parseArgs } = await import('../../src/cli/parse-args.js');
  const { toProbeConfig } = await import('../../src/cli/to-config.js');
  const facts = { osHostname: 'h', version: '0' };
  const auth = { enabled: false, username: 'admin', password: 'admin' };
  const on = toProbeConfig(buildCliConfig(parseArgs(['--mode=probe', '--probe.cri', '--probe.cri.endpoint=unix:///run/containerd/containerd.sock']), {}), [], auth, facts);
  assert.equal(on.cri, true);
  assert.equal(on.criEndpoint, 'unix:///run/containerd/containerd.sock');
  const off = toProbeConfig(buildCliConfig(parseArgs(['--mode=probe']), {}), [], auth, facts);
  assert.equal(off.cri, false);
  assert.equal(off.criEndpoint, SCOPE_DEFAULT_CRI_ENDPOINT);
});
