/**
 * Pure parts of the Docker plugin: Docker's human strings, the wire-boundary validation, container
 * node building (checked against the container nodes a real Scope probe recorded), port strings,
 * network delegation, and the stream demultiplexer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { humanBytes, humanDuration, imageNameAndTag, stateHuman, stateString } from '../../src/probe/docker/format.js';
import { DockerReplyError, parseContainerInspect, parseEvent, parseImageList } from '../../src/probe/docker/wire.js';
import { activeControls, buildContainerNode, fixedLatest, networkSets, portStrings, type HostNetInfo } from '../../src/probe/docker/container-node.js';
import { DockerDemux } from '../../src/probe/docker/streams.js';
import { makeContainerNodeId, parseCidr } from '../../src/report/ids.js';
import { sampleFromDockerStats } from '../../src/probe/docker/metrics.js';
import { localAddressesInFibTrie } from '../../src/probe/docker/netns.js';
import { ContainerTagger } from '../../src/probe/docker/tagger.js';
import type { DockerRegistry } from '../../src/probe/docker/registry.js';
import { makeNode, makeReport } from '../../src/report/model.js';

const RECORDED = fileURLToPath(new URL('../../../shared/fixtures/scope/samples/api-report.raw.json.gz', import.meta.url));

const ID = '7eed13ec95c1df3cc139cee8ddeedfd5f88059c0b13c1ed95b676c47aeede2ff';
/** Shaped like the recorded `db` container's `docker inspect`. */
function inspect(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Id: ID,
    Created: '2026-11-25T14:46:42.680987969Z',
    Path: 'sh',
    Args: ['-c', 'exec httpd -f -p 5432 -h /www'],
    State: { Status: 'running', Running: true, Paused: false, Restarting: false, Dead: false, Pid: 4242, ExitCode: 0, StartedAt: '2026-11-25T14:46:43.1Z', FinishedAt: '0001-01-01T00:00:00Z' },
    Image: 'sha256:d346bdffa534d670f6dc909b510646f44814c0a2d0072aef5aba13b0049a9f36',
    Name: '/db',
    RestartCount: 0,
    HostConfig: { NetworkMode: 'tier3' },
    Config: { Hostname: '7eed13ec95c1', Domainname: '', Env: ['PATH=/bin', 'A=b=c'], Labels: { team: 'blue' }, Tty: false },
    NetworkSettings: { IPAddress: '', Ports: {}, Networks: { tier3: { IPAddress: '172.18.0.2' } } },
    ...over,
  };
}

const HOST: HostNetInfo = {
  hostId: 'vm',
  ipv4Addresses: ['127.0.0.1', '10.0.0.5', '172.17.0.1'],
  publishedIpv4Addresses: ['10.0.0.5'],
  localNetworks: [parseCidr('172.17.0.1/16')!],
};

test('Docker human durations, states, sizes and image names', () => {
  assert.equal(humanDuration(500), 'Less than a second');
  assert.equal(humanDuration(1000), '1 second');
  assert.equal(humanDuration(59_000), '59 seconds');
  assert.equal(humanDuration(60_000), 'About a minute');
  assert.equal(humanDuration(642_000), '10 minutes');
  assert.equal(humanDuration(3_600_000), 'About an hour');
  assert.equal(humanDuration(2 * 3_600_000), '2 hours');
  assert.equal(humanDuration(72 * 3_600_000), '3 days');
  assert.equal(humanBytes(5), '5 B');
  assert.equal(humanBytes(1_982_464), '2.0 MB');
  assert.equal(humanBytes(142_000_000), '142 MB');
  assert.equal(humanBytes(1000), '1.0 kB');
  assert.deepEqual(imageNameAndTag('docker.io/library/nginx:1.25'), { name: 'library/nginx', tag: '1.25' });
  assert.deepEqual(imageNameAndTag('nginx:latest'), { name: 'nginx', tag: 'latest' });
  assert.deepEqual(imageNameAndTag('reg:5000/app:v1'), { name: 'reg', tag: '5000/app:v1' });
  assert.deepEqual(imageNameAndTag('localbb'), { name: 'localbb', tag: '' });
  const now = Date.parse('2026-11-25T15:00:00Z');
  const st = parseContainerInspect(inspect()).state;
  assert.equal(stateString(st), 'running');
  assert.equal(stateHuman(st, now), 'Up 13 minutes');
  assert.equal(stateHuman({ ...st, paused: true }, now), 'Up 13 minutes (Paused)');
  const exited = { ...st, running: false, exitCode: 137, finishedAt: '2026-11-25T14:58:00Z' };
  assert.equal(stateString(exited), 'exited');
  assert.equal(stateHuman(exited, now), 'Exited (137) 2 minutes ago');
  const created = { ...st, running: false, startedAt: '0001-01-01T00:00:00Z' };
  assert.equal(stateString(created), 'created');
  assert.equal(stateHuman(created, now), 'Created');
  assert.equal(stateString({ ...st, running: false, dead: true }), 'dead');
});

test('the wire boundary rejects malformed replies with a typed error', () => {
  assert.throws(() => parseContainerInspect(null), DockerReplyError);
  assert.throws(() => parseContainerInspect(inspect({ Id: 'not-an-id' })), DockerReplyError);
  assert.throws(() => parseContainerInspect(inspect({ Args: 'x' })), DockerReplyError);
  assert.throws(() => parseContainerInspect(inspect({ Config: { Labels: { a: 1 } } })), DockerReplyError);
  assert.throws(() => parseImageList({}), DockerReplyError);
  assert.deepEqual(parseEvent({ Type: 'container', Action: 'exec_start: sh -c x', Actor: { ID: ID } }), { type: 'container', action: 'exec_start', id: ID, container: '' });
  assert.deepEqual(parseEvent({ status: 'die', id: ID }), { type: 'container', action: 'die', id: ID, container: '' });
  assert.deepEqual(
    parseEvent({ Type: 'network', Action: 'connect', Actor: { ID: 'net1', Attributes: { container: ID, name: 'n' } } }),
    { type: 'network', action: 'connect', id: 'net1', container: ID },
  );
  const images = parseImageList([{ Id: 'sha256:abc', RepoTags: ['<none>:<none>'], Size: 10, Labels: null }]);
  assert.deepEqual(images[0], { id: 'abc', repoTags: [], labels: new Map(), size: 10, virtualSize: 10 });
});

test('container nodes carry exactly the keys a real Scope probe recorded (plus ours)', () => {
  const recorded = JSON.parse(gunzipSync(readFileSync(RECORDED)).toString()) as {
    Container: { nodes: Record<string, { latest: Record<string, unknown>; sets: Record<string, unknown>; parents: Record<string, string[]> }> };
  };
  const rec = recorded.Container.nodes[`${ID};<container>`]!;
  const c = parseContainerInspect(inspect());
  const now = '2026-11-25T15:00:00.000000000Z';
  const node = buildContainerNode({
    container: c,
    fixed: fixedLatest(c, { omitEnvVars: true, omitCmdArgs: false }, now),
    now,
    nowMillis: Date.parse(now),
    host: HOST,
    probeId: '765578cf7c0effd0',
    controlsEnabled: true,
    lookup: () => undefined,
  });
  const ours = [...node.latest.keys()].filter((k) => !k.startsWith('docker_label_')).sort();
  assert.deepEqual(ours, Object.keys(rec.latest).sort());
  assert.deepEqual([...node.sets.keys()].sort(), Object.keys(rec.sets).sort());
  assert.deepEqual(node.sets.get('docker_container_ips_with_scopes'), rec.sets.docker_container_ips_with_scopes);
  assert.deepEqual(node.parents.get('container_image'), rec.parents.container_image);
  assert.deepEqual(node.parents.get('host'), rec.parents.host);
  assert.equal(node.latest.get('docker_container_command')?.value, 'sh -c exec httpd -f -p 5432 -h /www');
  assert.equal(node.latest.get('docker_label_team')?.value, 'blue');
  assert.equal(node.latest.get('docker_env_A'), undefined, 'env omitted by default');
  const withEnv = fixedLatest(c, { omitEnvVars: false, omitCmdArgs: true }, now);
  assert.equal(withEnv.get('docker_env_A')?.value, 'b=c');
  assert.equal(withEnv.get('docker_container_command')?.value, 'sh');
});

test('port strings, host network, container: delegation and bridge scoping', () => {
  const ports = parseContainerInspect(inspect({
    NetworkSettings: {
      IPAddress: '172.17.0.3',
      Networks: { bridge: { IPAddress: '172.17.0.3' }, none: { IPAddress: '' } },
      Ports: {
        '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }, { HostIp: '::', HostPort: '8080' }],
        '81/tcp': [{ HostIp: '127.0.0.1', HostPort: '8181' }],
        '82/tcp': [{ HostIp: '', HostPort: '8282' }],
        '9000/udp': null,
      },
    },
  }));
  assert.deepEqual(portStrings(ports, HOST).sort(), ['10.0.0.5:8080->80/tcp', '127.0.0.1:8181->81/tcp', '9000/udp', ':8282->82/tcp']);
  const bridged = networkSets(ports, HOST, () => undefined);
  assert.deepEqual(bridged, { ips: ['172.17.0.3'], networks: ['bridge'], inHostNetwork: false });
  const hostNet = parseContainerInspect(inspect({ HostConfig: { NetworkMode: 'host' } }));
  assert.deepEqual(networkSets(hostNet, HOST, () => undefined).ips, HOST.ipv4Addresses);
  const delegated = parseContainerInspect(inspect({ HostConfig: { NetworkMode: 'container:7eed13' } }));
  assert.deepEqual(networkSets(delegated, HOST, (ref) => (ref === '7eed13' ? ports : undefined)).ips, ['172.17.0.3']);
  const loop = parseContainerInspect(inspect({ HostConfig: { NetworkMode: 'container:7eed13' } }));
  assert.deepEqual(networkSets(loop, HOST, () => loop).ips, [], 'a delegation cycle ends');
  const node = buildContainerNode({
    container: ports, fixed: new Map(), now: '2026-11-25T15:00:00.000000000Z', nowMillis: 0, host: HOST, probeId: 'p', controlsEnabled: true, lookup: () => undefined,
  });
  assert.deepEqual(node.sets.get('docker_container_ips_with_scopes'), ['vm;172.17.0.3']);
  const hostNode = buildContainerNode({
    container: hostNet, fixed: new Map(), now: '2026-11-25T15:00:00.000000000Z', nowMillis: 0, host: HOST, probeId: 'p', controlsEnabled: true, lookup: () => undefined,
  });
  assert.equal(hostNode.latest.get('docker_is_in_host_network')?.value, 'true');
});

test('active controls per state', () => {
  assert.deepEqual(activeControls('paused'), ['docker_unpause_container', 'docker_logs_container']);
  assert.deepEqual(activeControls('exited'), ['docker_start_container', 'docker_remove_container', 'docker_logs_container']);
  assert.deepEqual(activeControls('running').slice(0, 5), [
    'docker_restart_container', 'docker_stop_container', 'docker_pause_container', 'docker_attach_container', 'docker_exec_container',
  ]);
});

test('Docker stream demultiplexing across chunk boundaries; stats fallback parsing', () => {
  const frame = (stream: number, s: string): Buffer => {
    const b = Buffer.from(s);
    const h = Buffer.alloc(8);
    h[0] = stream;
    h.writeUInt32BE(b.length, 4);
    return Buffer.concat([h, b]);
  };
  const all = Buffer.concat([frame(1, 'hello '), frame(2, 'wor'), frame(1, 'ld\n')]);
  const d = new DockerDemux();
  let out = '';
  d.on('data', (b: Buffer) => (out += b.toString()));
  for (let i = 0; i < all.length; i += 5) d.write(all.subarray(i, i + 5));
  assert.equal(out, 'hello world\n');
  assert.deepEqual(
    sampleFromDockerStats({ memory_stats: { usage: 1000, limit: 5000, stats: { cache: 200 } }, cpu_stats: { cpu_usage: { total_usage: 77 } } }),
    { cpuUsageNanos: 77, memoryBytes: 800, memoryLimitBytes: 5000 },
  );
  assert.equal(sampleFromDockerStats({ memory_stats: {} }), undefined);
});

test('local addresses of a network namespace from fib_trie (as a container shows it)', () => {
  const fib = [
    'Main:', '  +-- 0.0.0.0/0 3 0 5', '     |-- 0.0.0.0', '        /0 universe UNICAST',
    '     +-- 127.0.0.0/8 2 0 2', '        +-- 127.0.0.0/31 1 0 0', '           |-- 127.0.0.0', '              /8 host LOCAL',
    '           |-- 127.0.0.1', '              /32 host LOCAL', '        |-- 127.255.255.255', '           /32 link BROADCAST',
    '     +-- 172.17.0.0/16 2 0 2', '        +-- 172.17.0.0/30 2 0 2', '           |-- 172.17.0.0', '              /16 link UNICAST',
    '           |-- 172.17.0.2', '              /32 host LOCAL', '        |-- 172.17.255.255', '           /32 link BROADCAST',
    '           |-- 10.32.0.7', '              /32 host LOCAL',
    'Local:', '           |-- 172.17.0.2', '              /32 host LOCAL',
  ].join('\n');
  assert.deepEqual(localAddressesInFibTrie(fib).sort(), ['10.32.0.7', '172.17.0.2']);
});

test('tagger: without a readable cgroup file, a process is tagged when it or an ancestor is a main pid; a ppid cycle ends', async () => {
  const info = parseContainerInspect(inspect());
  const registry = {
    containers: new Map([[info.id, { info, firstSeen: '2026-11-25T14:46:43Z' }]]),
    images: new Map(),
  } as unknown as DockerRegistry;
  // No /proc here: every cgroup read fails, so only the main-pid walk can find the container.
  const tagger = new ContainerTagger(registry, '/nonexistent-proc');
  const report = makeReport();
  const proc = (pid: number, ppid: number): void => {
    const node = makeNode(`h;${pid}`, 'process');
    node.latest.set('pid', { timestamp: '2026-11-25T14:47:00Z', value: String(pid) });
    node.latest.set('ppid', { timestamp: '2026-11-25T14:47:00Z', value: String(ppid) });
    report.topologies.process.nodes.set(node.id, node);
  };
  proc(4242, 100); // the main pid
  proc(5000, 4242); // child
  proc(5001, 5000); // grandchild
  proc(6000, 1); // elsewhere
  proc(7000, 7001); // a cycle that meets no main pid
  proc(7001, 7000);
  await tagger.tag(report);
  const tagged = (pid: number): string | undefined => report.topologies.process.nodes.get(`h;${pid}`)!.latest.get('docker_container_id')?.value;
  assert.equal(tagged(4242), ID);
  assert.equal(tagged(5000), ID);
  assert.equal(tagged(5001), ID);
  assert.equal(tagged(6000), undefined);
  assert.equal(tagged(7000), undefined);
  assert.equal(tagged(7001), undefined);
  assert.deepEqual(report.topologies.process.nodes.get('h;5001')!.parents.get('container'), [makeContainerNodeId(ID)]);
});
