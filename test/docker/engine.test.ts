// The probe's plain HTTP Engine API client (src/probe/docker/engine.ts): endpoint resolution as
// docker-modem does it, the calls against the real engine, and that the Docker plugin reports
// without loading dockerode (which only the controls need).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createDockerClient, isNotFound } from '../../src/probe/docker/client.js';
import { engineEndpoint, HttpEngine } from '../../src/probe/docker/engine.js';
import { cleanupDocker, docker, dockerUnavailable } from '../helpers/docker.js';
import { waitFor } from './harness.js';

const P = `osdkeng${process.pid}`;
let skip: string | undefined;
let engine: HttpEngine | undefined;

before(async () => {
  skip = await dockerUnavailable();
  if (!skip) engine = new HttpEngine(engineEndpoint(undefined, {})!);
});

after(async () => {
  engine?.close();
  await cleanupDocker(P);
});

test('the endpoint is resolved as docker-modem resolves it', () => {
  assert.deepEqual(engineEndpoint('unix:///run/d.sock', {}), { kind: 'socket', socketPath: '/run/d.sock' });
  assert.deepEqual(engineEndpoint('/run/d.sock', {}), { kind: 'socket', socketPath: '/run/d.sock' });
  assert.deepEqual(engineEndpoint('tcp://10.0.0.1:2375', { DOCKER_TLS_VERIFY: '1' }), {
    kind: 'tcp', protocol: 'http', host: '10.0.0.1', port: 2375, pathPrefix: '',
  });
  assert.deepEqual(engineEndpoint(undefined, { DOCKER_HOST: 'unix:///x.sock' }), { kind: 'socket', socketPath: '/x.sock' });
  assert.deepEqual(engineEndpoint(undefined, { DOCKER_HOST: 'tcp://h:2376' }), {
    kind: 'tcp', protocol: 'https', host: 'h', port: 2376, pathPrefix: '',
  });
  assert.deepEqual(engineEndpoint(undefined, { DOCKER_HOST: 'h:2375', DOCKER_TLS_VERIFY: '1', DOCKER_PATH_PREFIX: '/p' }), {
    kind: 'tcp', protocol: 'https', host: 'h', port: 2375, pathPrefix: '/p',
  });
  assert.equal(engineEndpoint(undefined, { DOCKER_HOST: 'ssh://me@h' }), undefined);
});

test('the controls\' dockerode client takes an explicit host as engineEndpoint reads it, and reaches the engine', async (t) => {
  const modem = async (host: string) => (await createDockerClient(host)).modem as { socketPath?: string; host?: string; port?: number | string; protocol?: string };
  assert.equal((await modem('unix:///run/d.sock')).socketPath, '/run/d.sock');
  assert.equal((await modem('/run/d.sock')).socketPath, '/run/d.sock');
  const tcp = await modem('tcp://10.0.0.1:2375');
  assert.deepEqual([tcp.socketPath, tcp.host, Number(tcp.port), tcp.protocol], [undefined, '10.0.0.1', 2375, 'http']);
  const tls = await modem('https://h.example:2376');
  assert.deepEqual([tls.host, Number(tls.port), tls.protocol], ['h.example', 2376, 'https']);
  if (skip) return t.skip(skip);
  const endpoint = engineEndpoint(undefined, {});
  assert.equal(endpoint?.kind, 'socket');
  const ping = await (await createDockerClient(`unix://${endpoint.kind === 'socket' ? endpoint.socketPath : ''}`)).ping();
  assert.equal(String(ping), 'OK');
});

test('the calls answer from the real engine; an unknown container is a 404', async (t) => {
  if (skip) return t.skip(skip);
  const e = engine!;
  const name = `${P}-one`;
  const events = await e.events({ type: ['container'] });
  let seen = '';
  events.on('data', (c: string) => (seen += c));
  try {
    const id = await docker('run', '-d', '--name', name, 'localbb:latest', 'sleep', '600');
    assert.equal(await e.ping(), 'OK');
    const list = (await e.listContainers()) as Array<{ Id: string }>;
    assert.ok(list.some((c) => c.Id === id), 'the container is listed');
    const info = (await e.inspectContainer(id)) as { Id: string; Name: string };
    assert.equal(info.Id, id);
    assert.equal(info.Name, `/${name}`);
    assert.ok(Array.isArray(await e.listImages()));
    assert.ok(Array.isArray(await e.listNetworks()));
    const stats = (await e.statsOnce(id)) as { memory_stats?: unknown };
    assert.equal(typeof stats.memory_stats, 'object');
    const missing = await e.inspectContainer('0'.repeat(64)).then(() => undefined, (err: unknown) => err);
    assert.ok(isNotFound(missing), `inspect of an unknown id is a 404: ${String(missing)}`);
    await waitFor('the start event', () => (seen.includes(id) && seen.includes('"start"') ? true : undefined), 15_000);
  } finally {
    (events as unknown as { destroy(): void }).destroy();
  }
});

test('the Docker plugin reports containers without loading dockerode', async (t) => {
  if (skip) return t.skip(skip);
  await docker('run', '-d', '--name', `${P}-two`, 'localbb:latest', 'sleep', '600');
  // A fresh process: this test file's own imports must not count.
  const script = `
    import { createRequire } from 'node:module';
    import { createDockerPlugin } from './src/probe/docker/index.ts';
    import { makeTestContext, waitFor } from './test/docker/harness.ts';
    const tc = makeTestContext();
    const plugin = createDockerPlugin(tc.ctx, { intervalMillis: 60_000, omitEnvVars: true, omitCmdArgs: false, bridge: 'docker0' });
    await waitFor('a container in the report', async () => (await plugin.reporter.report()).topologies.container.nodes.size > 0 ? true : undefined, 30_000);
    const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('/dockerode/'));
    const before = loaded();
    await tc.call('docker_stop_container', 'nosuch;<container>');
    const afterControl = loaded();
    await plugin.stop();
    console.log(JSON.stringify({ before, afterControl }));`;
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, timeout: 120_000 });
  const got = JSON.parse(stdout.trim().split('\n').pop()!) as { before: boolean; afterControl: boolean };
  assert.deepEqual(got, { before: false, afterControl: true });
});
