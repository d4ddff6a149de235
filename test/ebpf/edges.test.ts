/**
 * Acceptance of issue #10's edge figures on the real kernel and real Docker: one eBPF connection
 * source + endpoint reporter for the file, ticking like the probe (every second), and
 *  (b) a 100 MB transfer between two containers shaped to 40 Mbit/s (tbf in the sender's netns)
 *      shows bytes/s on the client's endpoint within 10 % of the rate the client's socket sees;
 *  (c) RTT across a 50 ms path (netem where the kernel has it, else a TUN delay line) ≈ 50 ms;
 *  (d) a reset shows (a server closing with SO_LINGER 0, a connect refused);
 *  (e) with eBPF forced off, sock_diag figures and a log line saying what is missing.
 * In CI (CI=true) a missing requirement (eBPF, Docker, tc, nsenter) fails these tests.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { silentLogger, type Logger } from '../../src/common/log.js';
import { EbpfConnections } from '../../src/probe/ebpf/index.js';
import { createEndpointReporter, type EndpointReporter } from '../../src/probe/endpoint/reporter.js';
import { ProcWalker } from '../../src/probe/procfs/walker.js';
import type { Node } from '../../src/report/types.js';
import { cleanupDocker, docker } from '../helpers/docker.js';
import { ebpfShapingMissing, requirementMet } from '../helpers/requirements.js';
import { firstLine, killAll, spawnNode, waitFor } from '../probe/helpers.js';

const run = promisify(execFile);
const PREFIX = `osebpf-${process.pid}-`;
const DELAY_LINE = fileURLToPath(new URL('./delay-line.pl', import.meta.url));
const children: ChildProcess[] = [];
const stops: Array<() => Promise<void>> = [];

/** Why these tests cannot run here (fails in CI), or undefined. */
let missing: string | undefined;
let source: EbpfConnections | undefined;
let reporter: EndpointReporter | undefined;
const walker = new ProcWalker();

before(async () => {
  missing = await ebpfShapingMissing();
  if (missing !== undefined) return;
  source = new EbpfConnections({ enabled: true, logger: silentLogger(), summaryIntervalMillis: 1000 });
  reporter = createEndpointReporter({
    hostId: 'h', walker, procRoot: '/proc', procSpy: true, conntrack: false, fdBudgetPerTick: 4000,
    localNetworks: () => [], logger: silentLogger(), connectionSource: source,
  });
  await waitFor('the eBPF tracker to attach', () => source!.active, 120_000, 200);
});

after(async () => {
  await killAll(children);
  for (const s of stops) await s();
  await reporter?.stop?.();
  await source?.stop();
  await cleanupDocker(PREFIX);
});

const needs = (t: { skip: (msg: string) => void }): boolean => requirementMet(t, missing);

/** One probe tick: the endpoint nodes. */
async function tick(): Promise<Map<string, Node>> {
  await walker.walk();
  return (await reporter!.report()).topologies.endpoint.nodes;
}

/** Client endpoint nodes with an edge to `to` (`;ip;port` suffix). */
function clientsOf(nodes: Map<string, Node>, to: string): Node[] {
  return [...nodes.values()].filter((n) => n.adjacency.some((a) => a.endsWith(to)));
}

const latestNum = (n: Node, key: string): number | undefined => {
  const v = n.latest.get(key)?.value;
  return v === undefined ? undefined : Number(v);
};

async function containerPid(name: string): Promise<number> {
  return Number(await docker('inspect', '-f', '{{.State.Pid}}', name));
}

async function containerIp(name: string): Promise<string> {
  return docker('inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', name);
}

const nsenter = async (pid: number, ...args: string[]): Promise<string> => (await run('nsenter', ['-t', String(pid), '-n', ...args], { timeout: 30_000 })).stdout;

/** Bytes the socket to `peer` has received, per sock_diag, inside `pid`'s netns. */
async function ssReceived(pid: number, peer: string): Promise<number | undefined> {
  const out = await nsenter(pid, 'ss', '-tinHn', 'dst', peer);
  const m = / bytes_received:(\d+)/.exec(out);
  return m ? Number(m[1]) : undefined;
}

/** What the server sends: 100 MB of zeros (`dd bs=1M count=100`). */
const TRANSFER_BYTES = 100 * 1024 * 1024;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

test('(b) a 100 MB transfer between containers at 40 Mbit/s: bytes/s on the client endpoint within 10 % of the true rate', { timeout: 240_000 }, async (t) => {
  if (!needs(t)) return;
  const net = `${PREFIX}net`;
  await docker('network', 'create', net);
  // nc sends 100 MB of zeros to the first client (no disk involved).
  await docker('run', '-d', '--name', `${PREFIX}srv`, '--network', net, 'localbb:latest', 'sh', '-c',
    'dd if=/dev/zero bs=1M count=100 2>/dev/null | nc -l -p 80');
  const server = `${PREFIX}srv`;
  const serverIp = await containerIp(server);
  // The sender's egress: 40 Mbit/s.
  await nsenter(await containerPid(server), 'tc', 'qdisc', 'add', 'dev', 'eth0', 'root', 'tbf', 'rate', '40mbit', 'burst', '32kbit', 'latency', '400ms');
  const serverPid = await containerPid(server);
  await waitFor('nc listening', async () => (await nsenter(serverPid, 'ss', '-ltnH')).includes(':80 ') || undefined, 30_000, 500);
  await tick();
  // nc's stdin stays open (it would close the connection at EOF).
  await docker('run', '-d', '--name', `${PREFIX}cli`, '--network', net, 'localbb:latest', 'sh', '-c', `sleep 3600 | nc ${serverIp} 80 > /dev/null`);
  const clientNetnsPid = await containerPid(`${PREFIX}cli`);
  const reported: number[] = [];
  const truth: number[] = [];
  let last: { bytes: number; at: number } | undefined;
  let ended = false;
  // Per tick: the probe's figure, and the client socket's own counter over the same second.
  await waitFor('10 seconds of transfer figures', async () => {
    const nodes = await tick();
    const now = performance.now();
    const received = await ssReceived(clientNetnsPid, serverIp).catch(() => null);
    if (received === null) return undefined; // no reading this tick (the next sample spans two)
    // Only ticks that end before the last byte: on a loaded machine a tick takes seconds, and
    // ticks past the end of the ~20-s transfer averaged idle time into both figures.
    const transferring = received !== undefined && received < TRANSFER_BYTES;
    if (!transferring && truth.length > 0) ended = true;
    if (received !== undefined && last && transferring) truth.push(((received - last.bytes) * 1000) / (now - last.at));
    last = received === undefined ? undefined : { bytes: received, at: now };
    // The only client of the server: nc, attributed to its pid.
    const client = clientsOf(nodes, `;${serverIp};80`).find((n) => n.latest.get('pid') !== undefined);
    const rate = client ? latestNum(client, 'openscope_bytes_received_per_s') : undefined;
    if (rate !== undefined && rate > 0 && transferring) reported.push(rate);
    return (reported.length >= 10 && truth.length >= 10) || ended ? true : undefined;
  }, 120_000, 1000);
  assert.ok(reported.length >= 10 && truth.length >= 10,
    `the transfer ended after ${truth.length} socket and ${reported.length} probe samples: too slow a machine to sample it (probe ${reported.map(Math.round).join()}; socket ${truth.map(Math.round).join()})`);
  // Steady state: drop the ramp-up.
  const got = median(reported.slice(2));
  const expected = median(truth.slice(2));
  assert.ok(expected > 3_500_000 && expected < 5_500_000, `the shaped transfer runs near 40 Mbit/s (${expected} B/s)`);
  assert.ok(Math.abs(got - expected) / expected < 0.1, `reported ${Math.round(got)} B/s vs true ${Math.round(expected)} B/s (samples ${reported.map(Math.round).join()})`);
  const done = await waitFor('the whole transfer counted', async () =>
    clientsOf(await tick(), `;${serverIp};80`).find((n) => (latestNum(n, 'openscope_bytes_received') ?? 0) >= TRANSFER_BYTES), 120_000, 1000);
  assert.ok(latestNum(done, 'openscope_bytes_received')! <= TRANSFER_BYTES, 'counted once: data bytes only');
});

test('(c) RTT across a 50 ms path shows ≈ 50 ms on the client endpoint', { timeout: 240_000 }, async (t) => {
  if (!needs(t)) return;
  const server = `${PREFIX}rtts`;
  const client = `${PREFIX}rttc`;
  const tag = String(process.pid % 100000);
  const [tunA, tunB] = [`osdl${tag}a`, `osdl${tag}b`];
  await docker('run', '-d', '--name', server, '--network', 'none', 'localbb:latest', 'sh', '-c',
    'mkdir -p /www && echo hi > /www/index.html && exec httpd -f -p 80 -h /www');
  await docker('run', '-d', '--name', client, '--network', 'none', 'localbb:latest', 'sh', '-c',
    'while true; do wget -q -O /dev/null http://10.254.77.2/ 2>/dev/null; sleep 0.2; done');
  const [sp, cp] = [await containerPid(server), await containerPid(client)];
  // Two TUN devices joined by a process: with netem, it forwards at once and netem delays 50 ms;
  // without (some kernels lack it), it delays each packet 25 ms each way itself.
  let how = 'netem';
  try {
    await nsenter(sp, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms');
    await nsenter(sp, 'tc', 'qdisc', 'del', 'dev', 'lo', 'root');
  } catch {
    how = 'delay line';
  }
  const line = spawn('perl', [DELAY_LINE, tunA, tunB, how === 'netem' ? '0' : '25'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(line);
  assert.equal(await firstLine(line, 10_000), 'ready');
  await run('ip', ['link', 'set', tunA, 'netns', String(cp)]);
  await run('ip', ['link', 'set', tunB, 'netns', String(sp)]);
  await nsenter(cp, 'ip', 'addr', 'add', '10.254.77.1/24', 'dev', tunA);
  await nsenter(cp, 'ip', 'link', 'set', tunA, 'up');
  await nsenter(sp, 'ip', 'addr', 'add', '10.254.77.2/24', 'dev', tunB);
  await nsenter(sp, 'ip', 'link', 'set', tunB, 'up');
  if (how === 'netem') await nsenter(sp, 'tc', 'qdisc', 'add', 'dev', tunB, 'root', 'netem', 'delay', '50ms');
  const rtts: number[] = [];
  let node: Node | undefined;
  await waitFor('RTT samples', async () => {
    for (const n of clientsOf(await tick(), ';10.254.77.2;80')) {
      const rtt = latestNum(n, 'openscope_rtt_us');
      if (rtt !== undefined && n.latest.get('pid') !== undefined) {
        rtts.push(rtt);
        node = n;
      }
    }
    return rtts.length >= 3 ? true : undefined;
  }, 60_000, 1000);
  const rtt = median(rtts);
  assert.ok(rtt >= 45_000 && rtt <= 60_000, `openscope_rtt_us ${rtt} (samples ${rtts.join()}, path: ${how})`);
  assert.ok((node!.metrics.get('openscope_rtt_us')?.samples.length ?? 0) >= 1, 'RTT as a metric sample too');
});

test('(d) resets show: a server closing with SO_LINGER 0, and a refused connect', { timeout: 120_000 }, async (t) => {
  if (!needs(t)) return;
  const server = spawnNode(children, `const s = require('net').createServer((c) => { c.on('data', () => c.resetAndDestroy()); c.on('error', () => {}); })
    .listen(0, '127.0.0.1', () => console.log(s.address().port)); setInterval(() => {}, 1000);`);
  const port = await firstLine(server);
  // A port nothing listens on: bind, note it, close.
  const closedPort = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const client = spawnNode(children, `const net = require('net'); setInterval(() => {
    const c = net.connect(${port}, '127.0.0.1', () => c.write('x')); c.on('error', () => {});
    const r = net.connect(${closedPort}, '127.0.0.1'); r.on('error', () => {}); }, 300); console.log('started');`);
  await firstLine(client);
  const found = await waitFor('client endpoints with resets', async () => {
    const nodes = await tick();
    const mine = (to: string): Node | undefined => clientsOf(nodes, to).find((n) => n.latest.get('pid')?.value === String(client.pid) && (latestNum(n, 'openscope_resets') ?? 0) >= 1);
    const reset = mine(`;127.0.0.1;${port}`);
    const refused = mine(`;127.0.0.1;${closedPort}`);
    return reset && refused ? { reset, refused } : undefined;
  }, 30_000, 1000);
  assert.ok(latestNum(found.reset, 'openscope_resets')! >= 1);
  assert.ok(latestNum(found.refused, 'openscope_resets')! >= 1, 'a refused connect is a reset connection');
});

/** A logger whose lines are kept as parsed JSON. */
function captureLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

test('(e) eBPF forced off: /proc + conntrack, sock_diag figures on a long-lived connection, one log line saying what is missing', { timeout: 120_000 }, async (t) => {
  if (!needs(t)) return;
  const log = captureLogger();
  const off = new EbpfConnections({ enabled: false, logger: log.logger });
  const offWalker = new ProcWalker();
  const offReporter = createEndpointReporter({
    hostId: 'h', walker: offWalker, procRoot: '/proc', procSpy: true, conntrack: true, fdBudgetPerTick: 4000,
    localNetworks: () => [], logger: silentLogger(), connectionSource: off,
  });
  stops.push(async () => {
    await offReporter.stop?.();
    await off.stop();
  });
  assert.equal(log.lines.length, 1);
  assert.match(String(log.lines[0]!.msg), /disabled by --probe\.ebpf\.connections=false.*\/proc \+ conntrack.*sock_diag.*short-lived connections without client pids, no resets/);
  // A long-lived connection streaming ~200 KB/s client → server.
  const server = spawnNode(children, `const s = require('net').createServer((c) => { c.resume(); c.on('error', () => {}); })
    .listen(0, '127.0.0.1', () => console.log(s.address().port)); setInterval(() => {}, 1000);`);
  const port = await firstLine(server);
  const client = spawnNode(children, `const c = require('net').connect(${port}, '127.0.0.1', () => { console.log('up');
    setInterval(() => c.write(Buffer.alloc(20000)), 100); }); c.on('error', () => {});`);
  await firstLine(client);
  const node = await waitFor('sock_diag figures on the client endpoint', async () => {
    await offWalker.walk();
    const nodes = (await offReporter.report()).topologies.endpoint.nodes;
    return clientsOf(nodes, `;127.0.0.1;${port}`).find((n) => n.latest.get('pid')?.value === String(client.pid) && latestNum(n, 'openscope_bytes_sent_per_s') !== undefined);
  }, 60_000, 1000);
  assert.ok(latestNum(node, 'openscope_bytes_sent')! > 0);
  assert.ok(latestNum(node, 'openscope_bytes_sent_per_s')! > 50_000, `rate ${latestNum(node, 'openscope_bytes_sent_per_s')}`);
  assert.ok(latestNum(node, 'openscope_rtt_us')! > 0);
  assert.equal(node.latest.get('openscope_resets'), undefined, 'sock_diag does not see resets');
});
