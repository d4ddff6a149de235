/**
 * Docker absent or restarting: the reporter answers at once with no containers, the problem is
 * logged once per outage, and the plugin picks Docker up when its socket appears (here: a real
 * unix-socket relay to the engine that the test opens, closes and reopens).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupDocker, docker, dockerUnavailable } from '../helpers/docker.js';
import { createDockerPlugin, type DockerPlugin } from '../../src/probe/docker/index.js';
import { captureLogger, makeTestContext, waitFor } from './harness.js';

const P = `osdkoff${process.pid}`;
const SOCK = join(tmpdir(), `${P}.sock`);
let skip: string | undefined;
let plugin: DockerPlugin | undefined;
let relay: Server | undefined;
const relayed = new Set<Socket>();
const log = captureLogger();
let id = '';

function openRelay(): Promise<void> {
  rmSync(SOCK, { force: true });
  relay = createServer((client) => {
    const upstream = createConnection('/var/run/docker.sock');
    relayed.add(client).add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  });
  return new Promise((resolve, reject) => relay!.once('error', reject).listen(SOCK, () => resolve()));
}

async function closeRelay(): Promise<void> {
  const s = relay;
  relay = undefined;
  if (!s) return;
  const closed = new Promise<void>((resolve) => s.close(() => resolve()));
  for (const c of relayed) c.destroy();
  relayed.clear();
  await closed;
  rmSync(SOCK, { force: true });
}

before(async () => {
  skip = await dockerUnavailable();
  if (skip) return;
  await cleanupDocker(P);
  id = await docker('run', '-d', '--name', `${P}-c`, 'localbb:latest', 'sleep', '600');
  rmSync(SOCK, { force: true });
  const tc = makeTestContext();
  plugin = createDockerPlugin(tc.ctx, { intervalMillis: 1000, omitEnvVars: true, omitCmdArgs: false, bridge: 'docker0', dockerHost: `unix://${SOCK}` }, log.logger);
});

after(async () => {
  await plugin?.stop();
  await closeRelay();
  await cleanupDocker(P);
});

const warnings = (): number => log.lines.filter((l) => l.level === 40 && l.component === 'docker').length;
const hasContainer = async (): Promise<boolean> =>
  (await plugin!.reporter.report()).topologies.container.nodes.has(`${id};<container>`);

test('no Docker: an empty report at once, one warning, no crash', async (t) => {
  if (skip) return t.skip(skip);
  const r = await Promise.race([
    plugin!.reporter.report(),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('report() hung')), 5_000).unref()),
  ]);
  assert.equal(r.topologies.container.nodes.size, 0);
  assert.equal(r.topologies.container_image.nodes.size, 0);
  assert.ok(r.topologies.container.metadataTemplates.size > 0, 'templates are still there');
  await waitFor('the warning', () => (warnings() >= 1 ? true : undefined), 5_000);
  await new Promise((r) => setTimeout(r, 2_500)); // several retries
  assert.equal(warnings(), 1, 'logged once, not on every retry');
  assert.equal(plugin!.connected(), false);
});

test('Docker appears: picked up; goes away: empty again, one more warning; comes back: picked up again', async (t) => {
  if (skip) return t.skip(skip);
  await openRelay();
  await waitFor('connected with the container', async () => (plugin!.connected() && (await hasContainer()) ? true : undefined), 10_000);
  assert.ok(log.lines.some((l) => l.level === 30 && l.msg === 'Docker connected'), 'recovery logged');
  const before = warnings();
  await closeRelay();
  await waitFor('disconnected and empty', async () => (!plugin!.connected() && !(await hasContainer()) ? true : undefined), 10_000);
  await waitFor('a warning for the new outage', () => (warnings() === before + 1 ? true : undefined), 5_000);
  await openRelay();
  await waitFor('connected again', async () => (plugin!.connected() && (await hasContainer()) ? true : undefined), 10_000);
  assert.equal(warnings(), before + 1);
});
