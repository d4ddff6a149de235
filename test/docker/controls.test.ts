/**
 * Docker controls through the control registry against the real engine: lifecycle controls change
 * the real container (and publish shortcut reports); exec, attach and logs stream through real
 * in-process pipes; resize works; bad requests are errors, not crashes; --probe.no-controls
 * registers and advertises nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanupDocker, docker, dockerUnavailable, retryingFreezeFailures } from '../helpers/docker.js';
import { createDockerPlugin, type DockerPlugin } from '../../src/probe/docker/index.js';
import { makeTestContext, waitFor, type TestContext } from './harness.js';

const P = `osdkctl${process.pid}`;
const SHELL = `${P}-shell`;
const TTY = `${P}-tty`;
// Exits promptly on SIGTERM (busybox sh as PID 1 would otherwise ignore it until the 10 s timeout).
const LOOP = 'trap "exit 0" TERM; while true; do echo tick; sleep 1; done';
let skip: string | undefined;
let plugin: DockerPlugin | undefined;
let tc: TestContext;
let shellId = '';
let ttyId = '';

before(async () => {
  skip = await dockerUnavailable();
  if (skip) return;
  await cleanupDocker(P);
  shellId = await docker('run', '-d', '--name', SHELL, 'localbb:latest', 'sh', '-c', LOOP);
  ttyId = await docker('run', '-d', '-t', '-i', '--name', TTY, 'localbb:latest', 'sh');
  tc = makeTestContext();
  plugin = createDockerPlugin(tc.ctx, { intervalMillis: 60_000, omitEnvVars: true, omitCmdArgs: false, bridge: 'docker0' });
  await waitFor('containers known', async () => {
    const nodes = (await plugin!.reporter.report()).topologies.container.nodes;
    return nodes.has(`${shellId};<container>`) && nodes.has(`${ttyId};<container>`) ? true : undefined;
  }, 10_000);
});

after(async () => {
  await plugin?.stop();
  await cleanupDocker(P);
});

const state = (name: string): Promise<string> => docker('inspect', '-f', '{{.State.Status}}', name);
const nodeId = (id: string): string => `${id};<container>`;

test('every control is registered, and answers `Invalid ID` for a node that is not a container', async (t) => {
  if (skip) return t.skip(skip);
  for (const id of [
    'docker_stop_container', 'docker_start_container', 'docker_restart_container', 'docker_pause_container',
    'docker_unpause_container', 'docker_remove_container', 'docker_attach_container', 'docker_exec_container',
    'docker_logs_container', 'docker_resize_exec_tty', 'docker_resize_attach_tty',
  ]) assert.ok(tc.handlers.has(id), id);
  const res = await tc.call('docker_stop_container', 'host1;<host>');
  assert.equal(res.error, 'Invalid ID: host1;<host>');
  const missing = await tc.call('docker_pause_container', nodeId('f'.repeat(64)));
  assert.ok(missing.error, 'an error for a container that does not exist');
});

test('stop / start / restart / pause / unpause / remove change the real container', async (t) => {
  if (skip) return t.skip(skip);
  const steps: Array<[string, string]> = [
    ['docker_stop_container', 'exited'],
    ['docker_start_container', 'running'],
    ['docker_restart_container', 'running'],
    ['docker_pause_container', 'paused'],
    ['docker_unpause_container', 'running'],
    ['docker_stop_container', 'exited'],
  ];
  for (const [control, expected] of steps) {
    tc.shortcuts.length = 0;
    const before = await docker('inspect', '-f', '{{.State.StartedAt}}', SHELL);
    const res = await retryingFreezeFailures(() => tc.call(control, nodeId(shellId)), (r) => r.error ?? '');
    assert.deepEqual(res, {}, control);
    assert.equal(await state(SHELL), expected, control);
    if (control === 'docker_restart_container') {
      assert.notEqual(await docker('inspect', '-f', '{{.State.StartedAt}}', SHELL), before, 'restarted');
    }
    // The control publishes a shortcut with the new state: its re-inspection marks the container
    // changed, and the shortcut follows once the batcher's short coalescing timer fires (after the
    // control has answered, so a fast `docker inspect` above can come back first).
    await waitFor(
      `shortcut after ${control}`,
      () => tc.shortcuts.some((s) => s.topologies.container.nodes.get(nodeId(shellId))?.latest.get('docker_container_state')?.value === expected) || undefined,
      5000,
      10,
    );
  }
  const res = await tc.call('docker_remove_container', nodeId(shellId));
  assert.deepEqual(res, { removedNode: nodeId(shellId) });
  await assert.rejects(docker('inspect', SHELL));
});

test('exec opens a pipe where `echo hi` answers hi, and resize works', async (t) => {
  if (skip) return t.skip(skip);
  const res = await tc.call('docker_exec_container', nodeId(ttyId));
  assert.equal(res.error, undefined);
  assert.equal(res.rawTty, true);
  assert.equal(res.resizeTtyControl, 'docker_resize_exec_tty');
  const pipe = tc.pipes.get(res.pipe!)!;
  assert.equal(pipe.appId, 'app1');
  pipe.ui.write('echo h""i\n');
  await waitFor('hi', () => (/\bhi\b/.test(pipe.text().replace(/echo h""i/g, '')) ? true : undefined), 10_000);
  const resized = await tc.call('docker_resize_exec_tty', nodeId(ttyId), { pipeID: res.pipe!, height: '30', width: '100' });
  assert.deepEqual(resized, {});
  pipe.ui.write('stty size\n');
  await waitFor('the new size', () => (pipe.text().includes('30 100') ? true : undefined), 10_000);
  const bad = await tc.call('docker_resize_exec_tty', nodeId(ttyId), { pipeID: res.pipe!, height: 'x', width: '100' });
  assert.match(bad.error ?? '', /height/);
  const unknown = await tc.call('docker_resize_exec_tty', nodeId(ttyId), { pipeID: 'pipe-nope', height: '1', width: '1' });
  assert.ok(unknown.error);
  // The shell exiting closes the pipe.
  pipe.ui.write('exit\n');
  await waitFor('the pipe closed', () => (pipe.ui.readableEnded || pipe.ui.destroyed ? true : undefined), 10_000);
});

test('closing the pipe ends the exec session', async (t) => {
  if (skip) return t.skip(skip);
  const res = await tc.call('docker_exec_container', nodeId(ttyId));
  const pipe = tc.pipes.get(res.pipe!)!;
  pipe.ui.write('sleep 7777\n');
  await waitFor('the exec sleeping', async () => ((await docker('top', TTY)).includes('sleep 7777') ? true : undefined), 10_000);
  pipe.ui.end();
  await waitFor('the exec gone', async () => ((await docker('top', TTY)).includes('sleep 7777') ? undefined : true), 10_000);
});

test('attach streams a TTY container and is resizable', async (t) => {
  if (skip) return t.skip(skip);
  const res = await tc.call('docker_attach_container', nodeId(ttyId));
  assert.equal(res.error, undefined);
  assert.equal(res.rawTty, true);
  assert.equal(res.resizeTtyControl, 'docker_resize_attach_tty');
  const pipe = tc.pipes.get(res.pipe!)!;
  pipe.ui.write('echo at""tached\n');
  await waitFor('attached', () => (/\battached\b/.test(pipe.text().replace(/echo at""tached/g, '')) ? true : undefined), 10_000);
  assert.deepEqual(await tc.call('docker_resize_attach_tty', nodeId(ttyId), { pipeID: res.pipe!, height: '40', width: '120' }), {});
  pipe.ui.end();
});

test('logs follow a container through a read-only pipe', async (t) => {
  if (skip) return t.skip(skip);
  const id = await docker('run', '-d', '--name', `${P}-logs`, 'localbb:latest', 'sh', '-c', LOOP);
  await waitFor('known', async () => (await plugin!.reporter.report()).topologies.container.nodes.get(nodeId(id)), 10_000);
  const res = await tc.call('docker_logs_container', nodeId(id));
  assert.equal(res.error, undefined);
  assert.equal(res.rawTty, false);
  const pipe = tc.pipes.get(res.pipe!)!;
  pipe.ui.write('ignored\n');
  const count = (): number => (pipe.text().match(/tick/g) ?? []).length;
  await waitFor('two log lines', () => (count() >= 2 ? true : undefined), 10_000);
  const seen = count();
  await waitFor('more lines while following', () => (count() > seen ? true : undefined), 10_000);
  assert.ok(!pipe.text().includes('\u0001\u0000\u0000\u0000'), 'no multiplexing headers');
  pipe.ui.end();
});

test('--probe.no-controls: nothing registered, no topology controls, no active_controls', async (t) => {
  if (skip) return t.skip(skip);
  const off = makeTestContext({ controlsEnabled: false });
  const p = createDockerPlugin(off.ctx, { intervalMillis: 60_000, omitEnvVars: true, omitCmdArgs: false, bridge: 'docker0' });
  try {
    const r = await waitFor('a container', async () => {
      const rep = await p.reporter.report();
      return rep.topologies.container.nodes.get(nodeId(ttyId)) ? rep : undefined;
    }, 10_000);
    assert.equal(off.handlers.size, 0);
    assert.equal(r.topologies.container.controls.size, 0);
    assert.equal(r.topologies.container.nodes.get(nodeId(ttyId))?.latest.get('active_controls'), undefined);
  } finally {
    await p.stop();
  }
});
