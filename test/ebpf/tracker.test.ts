import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { ChildProcess } from 'node:child_process';
import { pino } from 'pino';
import { silentLogger, type Logger } from '../../src/common/log.js';
import { ConnectionTracker, EbpfConnections, ebpfUnavailableReason, parseSs, parseTrackerLine, type ConnectionTrackerOptions, type TrackedConnection } from '../../src/probe/ebpf/index.js';
import { createEndpointReporter, type EndpointReporter } from '../../src/probe/endpoint/reporter.js';
import { ProcWalker } from '../../src/probe/procfs/walker.js';
import { requirementMet } from '../helpers/requirements.js';
import { firstLine, killAll, spawnNode, waitFor } from '../probe/helpers.js';

const children: ChildProcess[] = [];
const stops: Array<() => Promise<void>> = [];
after(async () => {
  await killAll(children);
  for (const s of stops) await s();
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

const unavailable = ebpfUnavailableReason();
/** eBPF tests fail in CI when eBPF is missing (.ci/run installs bpftrace and mounts tracefs). */
const needsEbpf = (t: { skip: (msg: string) => void }): boolean => requirementMet(t, unavailable && `eBPF unavailable: ${unavailable}`);

// A server that accepts and closes after a ping-pong, and a client making a new connection every
// 100 ms that lives a few ms: /proc scanning almost never catches these.
const SERVER = `const s = require('net').createServer((c) => { c.on('data', () => { c.end('pong'); }); c.on('error', () => {}); })
  .listen(0, () => console.log(s.address().port)); setInterval(() => {}, 1000);`; // dual stack: IPv4 clients show as ::ffff:127.0.0.1
const CLIENT = (port: string): string => `setInterval(() => { const c = require('net').connect(${port}, '127.0.0.1', () => c.write('ping'));
  c.on('data', () => c.end()); c.on('error', () => {}); }, 100); console.log('started');`;

test('parser: well-formed dump lines give events, anything else undefined', () => {
  assert.deepEqual(parseTrackerLine('@e0[-131386052795136]: (4026531833, 1, 1234, ::ffff:127.0.0.1, 40000, ::ffff:127.0.0.1, 80)'), {
    kind: 'e', sk: '-131386052795136', netns: 4026531833, dir: 1, pid: 1234,
    localIp: '127.0.0.1', localPort: 40000, remoteIp: '127.0.0.1', remotePort: 80,
  });
  assert.deepEqual(parseTrackerLine('@o1[7]: (5, 10.0.0.1, 22, 10.0.0.2, 5000)'), {
    kind: 'e', sk: '7', netns: 5, dir: 2, pid: 0, localIp: '10.0.0.1', localPort: 22, remoteIp: '10.0.0.2', remotePort: 5000,
  });
  assert.deepEqual(parseTrackerLine('@a1[99]: 77'), { kind: 'a', sk: '99', pid: 77 });
  assert.deepEqual(parseTrackerLine('@s0[99]: (10, 20, 30, 1)'), { kind: 's', sk: '99', sentBytes: 10, receivedBytes: 20, srttMicros: 30, retransmits: 1 });
  assert.equal(parseTrackerLine('@c0[99]: (1, 2, 3, 0, 1, 5, ::1, 80, ::1, 4000)')?.kind, 'c');
  assert.deepEqual(parseTrackerLine('@n0[1, 42, 5, ::ffff:10.0.0.1, ::ffff:10.0.0.2, 80]: 12'), {
    kind: 'g', field: 'n', keyText: '1, 42, 5, ::ffff:10.0.0.1, ::ffff:10.0.0.2, 80',
    key: { outgoing: true, pid: 42, netns: 5, localIp: '10.0.0.1', remoteIp: '10.0.0.2', serverPort: 80 }, value: 12, srttMicros: 0,
  });
  assert.equal((parseTrackerLine('@l1[0, 42, 5, ::1, ::1, 80]: (40000, 35)') as { srttMicros: number }).srttMicros, 35);
  assert.deepEqual(parseTrackerLine('T 3 10866272770629'), { kind: 'T', value: 10866272770629n });
  assert.deepEqual(parseTrackerLine('Lost 3 events'), { kind: 'lost', value: 3n });
  for (const bad of ['', '@e0[1]: (1, 2)', '@e0[x]: (1, 1, 1, a, 1, b, 2)', '@e0[1]: (1, 5, 1, ::1, 1, ::1, 2)', '@n0[1, 2]: 3',
    '@s0[1]: (1, 2, 3)', '@q0[1]: 1', 'hello', 'T x 1', '@a0[1]: -3']) {
    assert.equal(parseTrackerLine(bad), undefined, bad);
  }
});

const NS = 5;
const tuple = (lp: number, rp: number): string => `${NS}, ::ffff:127.0.0.1, ${lp}, ::ffff:127.0.0.1, ${rp}`;

test('tracker: announces, accepts, snapshots with rates, closes once, socket reuse within a dump', () => {
  const tr = new ConnectionTracker({ logger: silentLogger(), summaryIntervalMillis: 1000 });
  tr.feed([
    `@e0[1]: (${NS}, 1, 500, ::ffff:127.0.0.1, 40000, ::ffff:127.0.0.1, 80)`,
    `@e0[2]: (${NS}, 0, 0, ::ffff:127.0.0.1, 80, ::ffff:127.0.0.1, 40000)`,
    '@a0[2]: 600',
    '@s0[1]: (1000, 50, 35, 0)',
    'T 2 1000000000', '',
  ].join('\n'));
  let all = tr.drain();
  const find = (lp: number, out: boolean): TrackedConnection | undefined => all.find((c) => c.outgoing === out && c.localPort === lp);
  assert.equal(find(40000, true)?.pid, 500);
  assert.equal(find(40000, true)?.sentBytes, 1000);
  assert.equal(find(40000, true)?.srttMicros, 35);
  assert.equal(find(80, false)?.pid, 600, 'server pid from the accept');
  tr.feed('@s1[1]: (3000, 50, 40, 2)\nT 3 1500000000\n'); // half a second later: 2000 bytes
  all = tr.drain();
  assert.equal(find(40000, true)?.sentPerSecond, 4000);
  assert.equal(find(40000, true)?.retransmits, 2);
  assert.equal(find(80, false)?.sentPerSecond, 0, 'idle in that dump');
  // Socket 1 closes and is reused by a new connection in the same generation.
  tr.feed([
    `@e0[1]: (${NS}, 1, 501, ::ffff:127.0.0.1, 41000, ::ffff:127.0.0.1, 80)`,
    `@c0[1]: (3500, 60, 41, 2, 1, ${tuple(40000, 80)})`,
    'T 4 2500000000', '',
  ].join('\n'));
  all = tr.drain();
  const closed = all.find((c) => c.closed && c.localPort === 40000);
  assert.equal(closed?.sentBytes, 3500);
  assert.equal(closed?.resets, 1);
  assert.equal(find(41000, true)?.pid, 501, 'the reused socket is a new connection');
  assert.equal(tr.drain().filter((c) => c.closed).length, 0, 'a closed connection is reported once');
});

test('tracker: an incoming connection accepted and closed in a later generation than its announce keeps the server pid', () => {
  const tr = new ConnectionTracker({ logger: silentLogger(), summaryIntervalMillis: 1000 });
  // The generation flipped between the handshake (announce, pid unknown) and the accept.
  tr.feed([`@e0[2]: (${NS}, 0, 0, ::ffff:127.0.0.1, 80, ::ffff:127.0.0.1, 40000)`, 'T 2 1000000000', ''].join('\n'));
  assert.equal(tr.drain().find((c) => c.localPort === 80)?.pid, undefined);
  tr.feed(['@a1[2]: 600', `@c1[2]: (4, 4, 30, 0, 0, ${tuple(80, 40000)})`, 'T 3 2000000000', ''].join('\n'));
  const closed = tr.drain().find((c) => c.closed && c.localPort === 80);
  assert.equal(closed?.outgoing, false);
  assert.equal(closed?.pid, 600, 'server pid from the accept of the same dump');
});

test('tracker: short-lived connections come as aggregates with a count and a stable client port', () => {
  const tr = new ConnectionTracker({ logger: silentLogger(), summaryIntervalMillis: 1000 });
  const key = `1, 42, ${NS}, ::ffff:10.0.0.1, ::ffff:10.0.0.2, 80`;
  const dump = (gen: number, n: number, port: number): string =>
    [`@n0[${key}]: ${n}`, `@t0[${key}]: ${4 * n}`, `@r0[${key}]: ${8 * n}`, `@x0[${key}]: 0`, `@z0[${key}]: 1`, `@l0[${key}]: (${port}, 90)`, `T ${gen} ${gen * 1e9}`, ''].join('\n');
  tr.feed(dump(2, 10, 50000));
  tr.feed(dump(3, 10, 50007));
  let all = tr.drain();
  assert.equal(all.length, 1);
  const g = all[0]!;
  assert.deepEqual([g.aggregated, g.closed, g.outgoing, g.pid, g.count, g.localPort, g.remotePort, g.sentBytes, g.receivedBytes, g.resets, g.srttMicros],
    [true, true, true, 42, 20, 50000, 80, 80, 160, 2, 90]);
  assert.equal(g.connectionsPerSecond, 20 / 2, 'over the two dump intervals');
  tr.feed(dump(4, 5, 50099));
  all = tr.drain();
  assert.equal(all[0]?.localPort, 50000, 'the same client port while the group lives (stable node id)');
  assert.equal(all[0]?.count, 5);
  assert.equal(tr.drain().length, 0);
});

test('tracker: seeded connections (start-up /proc scan) are placed when met, close by tuple', () => {
  const tr = new ConnectionTracker({ logger: silentLogger() });
  tr.seed([
    { netns: NS, outgoing: true, pid: 9, localIp: '10.0.0.1', localPort: 5000, remoteIp: '10.0.0.2', remotePort: 443 },
    { netns: NS, outgoing: false, pid: 8, localIp: '10.0.0.1', localPort: 22, remoteIp: '10.0.0.3', remotePort: 6000 },
  ]);
  assert.equal(tr.drain().length, 2);
  tr.feed(`@o0[7]: (${NS}, 10.0.0.1, 5000, 10.0.0.2, 443)\n@s0[7]: (100000, 5, 10, 0)\nT 2 1000000000\n`);
  let all = tr.drain();
  const placed = all.find((c) => c.localPort === 5000);
  assert.equal(placed?.pid, 9);
  assert.equal(placed?.sentPerSecond, 0, 'the first counters of an old socket are a baseline, not a rate');
  tr.feed(`@s1[7]: (150000, 5, 10, 0)\n@c1[8]: (1, 2, 3, 0, 0, ${NS}, 10.0.0.1, 22, 10.0.0.3, 6000)\nT 3 2000000000\n`);
  all = tr.drain();
  assert.equal(all.find((c) => c.localPort === 5000)?.sentPerSecond, 50000);
  assert.deepEqual(all.filter((c) => c.closed).map((c) => [c.localPort, c.pid]), [[22, 8]], 'a seeded connection closes by tuple');
});

test('sock_diag: ss -tinHn output parses into per-socket figures', () => {
  const text = [
    'ESTAB 0      0      127.0.0.1:37599 127.0.0.1:57712',
    '\t cubic wscale:10,10 rto:212 rtt:8.36/14.835 ato:40 mss:32768 bytes_sent:3444 bytes_acked:3444 bytes_received:58753 retrans:0/3 segs_out:14',
    'ESTAB 0      0      [::ffff:10.0.0.5]:80 [::ffff:10.0.0.6]:41000',
    '\t cubic rtt:50.2/1 bytes_acked:10 bytes_received:20',
    'garbage line',
  ].join('\n');
  const m = parseSs(text);
  assert.deepEqual(m.get('127.0.0.1|37599|127.0.0.1|57712'), { sentBytes: 3444, receivedBytes: 58753, srttMicros: 8360, retransmits: 3 });
  assert.deepEqual(m.get('10.0.0.5|80|10.0.0.6|41000'), { sentBytes: 10, receivedBytes: 20, srttMicros: 50200, retransmits: 0 });
  assert.equal(m.size, 2);
});

test('forced off: falls back and says why, in one line', () => {
  const off = captureLogger();
  let fellBack = 0;
  const a = new EbpfConnections({ enabled: false, logger: off.logger, onFallback: () => fellBack++ });
  assert.deepEqual(a.connections(), []);
  assert.equal(fellBack, 1);
  assert.equal(off.lines.length, 1);
  assert.match(String(off.lines[0]!.msg), /disabled by --probe\.ebpf\.connections=false.*\/proc \+ conntrack/);

  const missing = captureLogger();
  const b = new EbpfConnections({ enabled: true, logger: missing.logger, bpftrace: '/nonexistent/bpftrace' });
  assert.deepEqual(b.connections(), []);
  assert.equal(missing.lines.length, 1);
  const reason = String(missing.lines[0]!.reason);
  assert.ok(/bpftrace is not installed|not running as root|tracefs|BTF/.test(reason), reason);
});

/**
 * A started tracker, the SERVER and a CLIENT connect loop to it (both answered their first line),
 * and whether a tracked connection is a closed one of that pair.
 */
async function trackClientServer(opts: ConnectionTrackerOptions): Promise<{
  tracker: ConnectionTracker;
  server: ChildProcess;
  client: ChildProcess;
  closedOfPair: (c: TrackedConnection) => boolean;
}> {
  const tracker = new ConnectionTracker(opts);
  stops.push(() => tracker.stop());
  await tracker.start();
  const server = spawnNode(children, SERVER);
  const port = Number(await firstLine(server));
  const client = spawnNode(children, CLIENT(String(port)));
  await firstLine(client);
  const closedOfPair = (c: TrackedConnection): boolean => c.closed && (c.outgoing ? c.remotePort : c.localPort) === port;
  return { tracker, server, client, closedOfPair };
}

test('eBPF: a 100-ms connect loop of short-lived connections is seen with the client and server pids', { timeout: 200_000 }, async (t) => {
  if (!needsEbpf(t)) return;
  const { tracker, server, client, closedOfPair } = await trackClientServer({ logger: silentLogger(), summaryIntervalMillis: 200 });
  const seen: TrackedConnection[] = [];
  await waitFor('5 closed connections', () => {
    seen.push(...tracker.drain().filter(closedOfPair));
    return seen.filter((c) => c.outgoing).length >= 5 && seen.filter((c) => !c.outgoing).length >= 5 ? true : undefined;
  }, 20_000, 200);
  const out = seen.filter((c) => c.outgoing);
  const inc = seen.filter((c) => !c.outgoing);
  assert.ok(out.every((c) => c.pid === client.pid), `client pids ${out.map((c) => c.pid).join()}`);
  assert.ok(inc.every((c) => c.pid === server.pid), `server pids ${inc.map((c) => c.pid).join()}`);
  // Most arrive aggregated by the kernel; one that spans a dump is reported on its own.
  const aggregated = out.filter((c) => c.aggregated);
  assert.ok(aggregated.length > 0, 'short-lived connections arrive aggregated');
  assert.ok(aggregated.some((c) => c.count >= 1 && c.sentBytes === 4 * c.count && c.receivedBytes === 4 * c.count), `ping/pong byte counts ${out.map((c) => `${c.count}:${c.sentBytes}/${c.receivedBytes}`).join()}`);
  assert.equal(tracker.stats.lost, 0);
  await tracker.stop();
  assert.equal(tracker.running, false);
});

test('eBPF: with a dump interval of three drains, dumps are asked at most once per that interval and connections still arrive', { timeout: 200_000 }, async (t) => {
  if (!needsEbpf(t)) return;
  const { tracker, server, client, closedOfPair } = await trackClientServer({ logger: silentLogger(), summaryIntervalMillis: 200, dumpIntervalMillis: 600 });
  const dumps0 = tracker.stats.dumps;
  const t0 = performance.now();
  const seen: TrackedConnection[] = [];
  let drains = 0;
  await waitFor('5 closed connections each way', () => {
    drains++;
    seen.push(...tracker.drain().filter(closedOfPair));
    return seen.filter((c) => c.outgoing).length >= 5 && seen.filter((c) => !c.outgoing).length >= 5 && drains >= 10 ? true : undefined;
  }, 30_000, 200);
  const elapsed = performance.now() - t0;
  const dumps = tracker.stats.dumps - dumps0;
  // Two asks are at least 600 - 200 / 2 ms apart (drains come early or late by up to half an interval).
  assert.ok(dumps >= 1 && dumps <= 1 + elapsed / 500, `${dumps} dumps in ${elapsed.toFixed(0)} ms (${drains} drains)`);
  assert.ok(seen.filter((c) => c.outgoing).every((c) => c.pid === client.pid), `client ${client.pid}: pids ${seen.filter((c) => c.outgoing).map((c) => c.pid).join()}`);
  assert.ok(seen.filter((c) => !c.outgoing).every((c) => c.pid === server.pid), `server ${server.pid}: pids ${seen.filter((c) => !c.outgoing).map((c) => c.pid).join()}`);
  assert.equal(tracker.stats.lost, 0);
  await tracker.stop();
});

test('eBPF: the endpoint reporter makes client → server edges with both pids and byte counts for short-lived connections', { timeout: 200_000 }, async (t) => {
  if (!needsEbpf(t)) return;
  const server = spawnNode(children, SERVER);
  const port = await firstLine(server);
  // A connection older than the tracker: known from the one /proc scan that seeds it.
  const old = spawnNode(children, `const c = require('net').connect(${port}, '127.0.0.1', () => console.log('connected')); setInterval(() => {}, 1000);`);
  await firstLine(old);
  const source = new EbpfConnections({ enabled: true, logger: silentLogger(), summaryIntervalMillis: 500 });
  stops.push(() => source.stop());
  const walker = new ProcWalker();
  const reporter: EndpointReporter = createEndpointReporter({
    hostId: 'h', walker, procRoot: '/proc', procSpy: true, conntrack: false, fdBudgetPerTick: 4000,
    localNetworks: () => [], logger: silentLogger(), connectionSource: source,
  });
  stops.push(async () => reporter.stop?.());
  await waitFor('the tracker to attach', () => source.active, 150_000, 200);
  const client = spawnNode(children, CLIENT(port));
  await firstLine(client);
  const edge = await waitFor('a short-lived edge with both pids', async () => {
    await walker.walk();
    const rpt = await reporter.report();
    const nodes = rpt.topologies.endpoint.nodes;
    for (const [id, n] of nodes) {
      if (n.latest.get('pid')?.value !== String(client.pid)) continue;
      const to = n.adjacency.find((a) => a.endsWith(`;127.0.0.1;${port}`));
      if (to && nodes.get(to)?.latest.get('pid')?.value === String(server.pid) && n.latest.has('openscope_connections_per_s')) return { id, to, node: n };
    }
    return undefined;
  }, 20_000, 300);
  assert.match(edge.id, /^h-\d+;127\.0\.0\.1;\d+$/, 'loopback endpoints scoped by the netns');
  assert.match(edge.to, /^h-\d+;127\.0\.0\.1;\d+$/);
  const count = Number(edge.node.latest.get('conn_count')?.value ?? '1');
  assert.equal(edge.node.latest.get('openscope_bytes_sent')?.value, String(4 * count), 'client sent "ping" on each connection');
  assert.equal(edge.node.latest.get('openscope_bytes_received')?.value, String(4 * count), 'client received "pong" on each');
  assert.ok(Number(edge.node.latest.get('openscope_connections_per_s')?.value) > 0, 'connection rate');
  // The start-up scans end once every connection has its process (the fd walk is incremental).
  await waitFor('the start-up /proc scans to end', async () => {
    await walker.walk();
    await reporter.report();
    return source.scanNeeded() ? undefined : true;
  }, 30_000, 300);
  await walker.walk();
  const later = await reporter.report();
  const oldNodes = [...later.topologies.endpoint.nodes.values()].filter((n) => n.latest.get('pid')?.value === String(old.pid));
  assert.equal(oldNodes.length, 1, 'the seeded long-lived connection is still reported with its pid');
});

test('eBPF: bpftrace dies with the probe process, even on SIGKILL', { timeout: 200_000 }, async (t) => {
  if (!needsEbpf(t)) return;
  const url = new URL('../../src/probe/ebpf/tracker.ts', import.meta.url).href;
  const code = `import('${url}').then(async ({ ConnectionTracker }) => {
    const tr = new ConnectionTracker({ logger: { warn() {}, info() {}, debug() {} } });
    await tr.start(); console.log(tr.pid); setInterval(() => {}, 1000); });`;
  const { spawn } = await import('node:child_process');
  const owner = spawn(process.execPath, ['--import', 'tsx', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(owner);
  const bpftracePid = Number(await firstLine(owner, 150_000));
  assert.ok(bpftracePid > 0);
  assert.doesNotThrow(() => process.kill(bpftracePid, 0), 'bpftrace runs');
  owner.kill('SIGKILL');
  await waitFor('bpftrace to exit', () => {
    try {
      process.kill(bpftracePid, 0);
      return undefined;
    } catch {
      return true;
    }
  }, 10_000, 100);
});
