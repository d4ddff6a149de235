/**
 * The Docker reporter and tagger against the real Docker engine: containers on a user network with
 * every wire §5.6 field, images, overlay, state changes seen through events (with shortcut
 * reports), cgroup metrics, and process → container for the main and a `docker exec`'d process.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanupDocker, docker, dockerUnavailable, retryingFreezeFailures } from '../helpers/docker.js';
import { CgroupReader } from '../../src/probe/docker/cgroup.js';
import { NamespaceAddresses } from '../../src/probe/docker/netns.js';
import { createDockerPlugin, type DockerPlugin } from '../../src/probe/docker/index.js';
import { makeDockerOverlayNodeId } from '../../src/report/ids.js';
import { makeNode, makeReport } from '../../src/report/model.js';
import type { Node, Report } from '../../src/report/types.js';
import { makeTestContext, waitFor, type TestContext } from './harness.js';

const P = `osdkrep${process.pid}`;
const WEB = `${P}-web`;
const NET = `${P}-net`;
let skip: string | undefined;
let plugin: DockerPlugin | undefined;
let tc: TestContext;
let webId = '';

before(async () => {
  skip = await dockerUnavailable();
  if (skip) return;
  await cleanupDocker(P);
  await docker('network', 'create', NET);
  webId = await docker(
    'run', '-d', '--name', WEB, '--network', NET, '--hostname', `${P}-host`, '--label', 'team=blue',
    '-e', 'GREETING=hello', '-p', '127.0.0.1::80',
    'localbb:latest', 'sh', '-c', 'trap "exit 0" TERM; mkdir -p /www; echo ok > /www/index.html; httpd -p 80 -h /www; while true; do sleep 1; done',
  );
  tc = makeTestContext({ hostId: 'testhost' });
  // A long interval: every change below must arrive through the event stream.
  plugin = createDockerPlugin(tc.ctx, { intervalMillis: 60_000, omitEnvVars: false, omitCmdArgs: false, bridge: 'docker0' });
});

after(async () => {
  await plugin?.stop();
  await cleanupDocker(P);
});

const latest = (n: Node | undefined, k: string): string | undefined => n?.latest.get(k)?.value;
const containerNode = (r: Report, id: string): Node | undefined => r.topologies.container.nodes.get(`${id};<container>`);

async function nodeWhen(pred: (n: Node) => boolean, what: string, timeoutMillis = 10_000): Promise<Node> {
  return waitFor(what, async () => {
    const n = containerNode(await plugin!.reporter.report(), webId);
    return n && pred(n) ? n : undefined;
  }, timeoutMillis);
}

test('a container on a user network is reported with every field of wire §5.6', async (t) => {
  if (skip) return t.skip(skip);
  const n = await nodeWhen((x) => latest(x, 'docker_container_state') === 'running', 'the web container');
  const inspect = JSON.parse(await docker('inspect', WEB))[0];
  assert.equal(n.topology, 'container');
  assert.equal(latest(n, 'docker_container_id'), webId);
  assert.equal(latest(n, 'docker_container_name'), WEB);
  assert.equal(latest(n, 'docker_container_hostname'), `${P}-host`);
  assert.equal(latest(n, 'docker_image_id'), String(inspect.Image).replace('sha256:', ''));
  assert.equal(latest(n, 'docker_container_created'), inspect.Created);
  assert.match(latest(n, 'docker_container_command') ?? '', /^sh -c trap/);
  assert.equal(latest(n, 'docker_label_team'), 'blue');
  assert.equal(latest(n, 'docker_env_GREETING'), 'hello');
  assert.match(latest(n, 'docker_container_state_human') ?? '', /^Up /);
  assert.match(latest(n, 'docker_container_uptime') ?? '', /^\d+$/);
  assert.equal(latest(n, 'docker_container_restart_count'), '0');
  assert.equal(latest(n, 'docker_container_network_mode'), NET);
  assert.equal(latest(n, 'control_probe_id'), 'abc123def456');
  assert.equal(latest(n, 'host_node_id'), 'testhost;<host>');
  assert.equal(
    latest(n, 'active_controls'),
    'docker_restart_container;docker_stop_container;docker_pause_container;docker_attach_container;docker_exec_container;docker_logs_container',
  );
  const ip = inspect.NetworkSettings.Networks[NET].IPAddress as string;
  assert.deepEqual(n.sets.get('docker_container_ips'), [ip]);
  // The same address is also found inside the container's network namespace (and not duplicated).
  const nsIps = new NamespaceAddresses().read([inspect.State.Pid as number]);
  assert.deepEqual(nsIps.get(inspect.State.Pid as number), [ip]);
  assert.deepEqual(n.sets.get('docker_container_ips_with_scopes'), [`;${ip}`]);
  assert.deepEqual(n.sets.get('docker_container_networks'), [NET]);
  const hostPort = inspect.NetworkSettings.Ports['80/tcp'][0].HostPort as string;
  assert.deepEqual(n.sets.get('docker_container_ports'), [`127.0.0.1:${hostPort}->80/tcp`]);
  assert.deepEqual(n.parents.get('host'), ['testhost;<host>']);
  assert.deepEqual(n.parents.get('container_image'), [`${latest(n, 'docker_image_id')};<container_image>`]);

  const r = await plugin!.reporter.report();
  const image = r.topologies.container_image.nodes.get(`${latest(n, 'docker_image_id')};<container_image>`);
  assert.ok(image, 'the image node');
  assert.equal(image.topology, 'container_image');
  assert.ok(latest(image, 'docker_image_name'), 'image name');
  assert.match(latest(image, 'docker_image_size') ?? '', /^\d+(\.\d)? (B|kB|MB|GB)$/);
  const subnet = JSON.parse(await docker('network', 'inspect', NET))[0].IPAM.Config[0].Subnet as string;
  const overlay = r.topologies.overlay.nodes.get('#docker_peer_testhost');
  assert.ok(overlay?.sets.get('local_networks')?.includes(subnet), 'overlay local_networks has the network subnet');
  const topo = r.topologies.container;
  assert.equal(topo.controls.get('docker_exec_container')?.icon, 'fa fa-terminal');
  assert.equal(topo.controls.get('docker_remove_container')?.icon, 'far fa-trash-alt');
  assert.ok(topo.controls.has('docker_logs_container'));
  assert.equal(topo.metadataTemplates.get('docker_container_id')?.truncate, 12);
  assert.equal(topo.metricTemplates.get('docker_memory_usage')?.format, 'filesize');
  assert.equal(topo.tableTemplates.get('image_table')?.fixedRows.get('docker_image_id'), ' ID');
  assert.equal(r.topologies.container_image.metadataTemplates.get('container')?.from, 'counters');
});

test('cgroup CPU and memory metrics for a running container', async (t) => {
  if (skip) return t.skip(skip);
  const n = await nodeWhen((x) => x.metrics.has('docker_cpu_total_usage') && x.metrics.has('docker_memory_usage'), 'metrics');
  const mem = n.metrics.get('docker_memory_usage')!;
  assert.ok(mem.samples.length === 1 && mem.samples[0]!.value > 0, 'memory in use');
  assert.ok(mem.max >= mem.samples[0]!.value);
  const cpu = n.metrics.get('docker_cpu_total_usage')!;
  assert.equal(cpu.max, 100);
  assert.ok(cpu.samples[0]!.value >= 0 && cpu.samples[0]!.value <= 100);
  // Straight from the cgroup files, not Docker's stats API.
  const pid = Number(await docker('inspect', '-f', '{{.State.Pid}}', WEB));
  const sample = await new CgroupReader().read(webId, pid);
  assert.ok(sample.cpuUsageNanos > 0 && sample.memoryBytes > 0);
});

test('processes get their container as parent: the main process and a docker exec one', async (t) => {
  if (skip) return t.skip(skip);
  await nodeWhen(() => true, 'the container known');
  await docker('exec', '-d', WEB, 'sleep', '3141');
  const mainPid = Number(await docker('inspect', '-f', '{{.State.Pid}}', WEB));
  const execPid = await waitFor('the exec pid', async () => {
    const top = await docker('top', WEB, '-eo', 'pid,args');
    const line = top.split('\n').find((l) => l.includes('sleep 3141'));
    return line ? Number(line.trim().split(/\s+/)[0]) : undefined;
  }, 5_000);
  const r = makeReport();
  for (const pid of [mainPid, execPid, process.pid]) {
    const node = makeNode(`testhost;${pid}`, 'process');
    node.latest.set('pid', { timestamp: '2026-01-01T00:00:00.000000000Z', value: String(pid) });
    r.topologies.process.nodes.set(node.id, node);
  }
  await plugin!.tagger.tag(r);
  for (const pid of [mainPid, execPid]) {
    const node = r.topologies.process.nodes.get(`testhost;${pid}`)!;
    assert.equal(latest(node, 'docker_container_id'), webId, `pid ${pid}`);
    assert.deepEqual(node.parents.get('container'), [`${webId};<container>`]);
    assert.deepEqual(node.parents.get('container_image'), ['localbb;<container_image>']);
  }
  const own = r.topologies.process.nodes.get(`testhost;${process.pid}`)!;
  assert.equal(own.parents.get('container'), undefined, 'the test process is in no container');
});

test('pause / unpause / stop / start show in the next report through events, with shortcut reports', async (t) => {
  if (skip) return t.skip(skip);
  await nodeWhen(() => true, 'the container known');
  const steps: Array<{ cli: string[]; state: string; controls: string }> = [
    { cli: ['pause', WEB], state: 'paused', controls: 'docker_unpause_container;docker_logs_container' },
    { cli: ['unpause', WEB], state: 'running', controls: 'docker_restart_container;docker_stop_container;docker_pause_container;docker_attach_container;docker_exec_container;docker_logs_container' },
    { cli: ['stop', '-t', '5', WEB], state: 'exited', controls: 'docker_start_container;docker_remove_container;docker_logs_container' },
    { cli: ['start', WEB], state: 'running', controls: 'docker_restart_container;docker_stop_container;docker_pause_container;docker_attach_container;docker_exec_container;docker_logs_container' },
  ];
  for (const step of steps) {
    tc.shortcuts.length = 0;
    await retryingFreezeFailures(() => docker(...step.cli));
    const n = await nodeWhen((x) => latest(x, 'docker_container_state') === step.state, `state ${step.state}`, 5_000);
    assert.equal(latest(n, 'active_controls'), step.controls, step.state);
    const shortcut = await waitFor('a shortcut report', () =>
      tc.shortcuts.find((s) => s.shortcut && latest(containerNode(s, webId), 'docker_container_state') === step.state), 5_000);
    assert.ok(shortcut.shortcut);
    if (step.state === 'exited') {
      assert.match(latest(n, 'docker_container_state_human') ?? '', /^Exited \(0\) /);
      assert.equal(latest(n, 'docker_container_uptime'), undefined, 'no uptime when stopped');
    }
  }
});

test('a removed container disappears, with a `deleted` shortcut', async (t) => {
  if (skip) return t.skip(skip);
  const id = await docker('run', '-d', '--name', `${P}-gone`, 'localbb:latest', 'sleep', '600');
  await waitFor('the new container', async () => containerNode(await plugin!.reporter.report(), id), 10_000);
  tc.shortcuts.length = 0;
  await docker('rm', '-f', id);
  await waitFor('the deleted shortcut', () =>
    tc.shortcuts.find((s) => latest(containerNode(s, id), 'docker_container_state') === 'deleted'), 5_000);
  await waitFor('gone from the report', async () => (containerNode(await plugin!.reporter.report(), id) ? undefined : true), 5_000);
});

test('connecting a container to another network updates its IPs and networks through events', async (t) => {
  if (skip) return t.skip(skip);
  await nodeWhen(() => true, 'the container known');
  const net2 = `${P}-net2`;
  await docker('network', 'create', net2);
  await docker('network', 'connect', net2, WEB);
  const n = await nodeWhen((x) => x.sets.get('docker_container_networks')?.includes(net2) === true, 'the second network', 5_000);
  assert.equal(n.sets.get('docker_container_ips')?.length, 2);
  await docker('network', 'disconnect', net2, WEB);
  await nodeWhen((x) => x.sets.get('docker_container_networks')?.includes(net2) === false, 'disconnected', 5_000);
});

test('a network created or removed after start changes the overlay subnets through events (no re-list)', async (t) => {
  if (skip) return t.skip(skip);
  await nodeWhen(() => true, 'the container known');
  const net3 = `${P}-net3`;
  await docker('network', 'create', net3);
  const subnet = String(JSON.parse(await docker('network', 'inspect', net3))[0].IPAM.Config[0].Subnet);
  const subnets = async (): Promise<readonly string[]> =>
    (await plugin!.reporter.report()).topologies.overlay.nodes.get(makeDockerOverlayNodeId('testhost'))?.sets.get('local_networks') ?? [];
  await waitFor('the new subnet', async () => ((await subnets()).includes(subnet) ? true : undefined), 5_000);
  await docker('network', 'rm', net3);
  await waitFor('the subnet gone', async () => ((await subnets()).includes(subnet) ? undefined : true), 5_000);
});
