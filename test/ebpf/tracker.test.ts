import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { ChildProcess } from 'node:child_process';
import { pino } from 'pino';
import { silentLogger, type Logger } from '../../src/common/log.js';
import { ConnectionTracker, EbpfConnections, ebpfUnavailableReason, parseTrackerLine, type TrackedConnection } from '../../src/probe/ebpf/index.js';
import { createEndpointReporter, type EndpointReporter } from '../../src/probe/endpoint/reporter.js';
import { ProcWalker } from '../../src/probe/procfs/walker.js';
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
function needsEbpf(t: { skip: (msg: string) => void }): boolean {
  if (unavailable === undefined) return true;
  if (process.env.CI === 'true') assert.fail(`eBPF unavailable in CI: ${unavailable}`);
  t.skip(`eBPF unavailable: ${unavailable}`);
  return false;
}

// A server that accepts and closes after a ping-pong, and a client making a new connection every
// 100 ms that lives a few ms: /proc scanning almost never catches these.
const SERVER = `const s = require('net').createServer((c) => { c.on('data', () => { c.end('pong'); }); c.on('error', () => {}); })
  .listen(0, () => console.log(s.address().port)); setInterval(() => {}, 1000);`; // dual stack: IPv4 clients show as ::ffff:127.0.0.1
const CLIENT = (port: string): string => `setInterval(() => { const c = require('net').connect(${port}, '127.0.0.1', () => c.write('ping'));
  c.on('data', () => c.end()); c.on('error', () => {}); }, 100); console.log('started');`;

test('parser: well-formed lines give events, anything else undefined', () => {
  assert.deepEqual(parseTrackerLine('E 10 99 4026531833 2 1234 127.0.0.1 40000 127.0.0.1 80'), {
    kind: 'E', tNanos: 10n, sk: '99', netns: 4026531833, outgoing: true, pid: 1234,
    localIp: '127.0.0.1', localPort: 40000, remoteIp: '127.0.0.1', remotePort: 80,
  });
  assert.equal((parseTrackerLine('E 10 99 1 3 0 ::ffff:127.0.0.1 80 ::ffff:127.0.0.1 40000') as { localIp: string }).localIp, '127.0.0.1', 'v4-mapped as dotted quad');
  assert.deepEqual(parseTrackerLine('A 11 99 77'), { kind: 'A', tNanos: 11n, sk: '99', pid: 77 });
  assert.equal(parseTrackerLine('C 12 99 1 ::1 80 ::1 4000 10 20 30')?.kind, 'C');
  assert.deepEqual(parseTrackerLine('@tx[99]: 1500'), { kind: 'tx', sk: '99', value: 1500 });
  assert.equal((parseTrackerLine('@rx[-131383619326208]: 9') as { sk: string }).sk, '18446612690090225408', 'signed key mapped back');
  assert.deepEqual(parseTrackerLine('Lost 3 events'), { kind: 'lost', count: 3 });
  for (const bad of ['', 'E 1 2', 'E x 99 1 2 1 a 1 b 2', 'E 1 99 1 5 1 a 1 b 2', '@tx[zz]: 1', 'hello', 'A 1 2 -3']) {
    assert.equal(parseTrackerLine(bad), undefined, bad);
  }
});

test('tracker: out-of-order lines (per-CPU buffers), accepts, byte summaries, each close reported once', () => {
  const tr = new ConnectionTracker({ logger: silentLogger() });
  tr.feed('A 20 2 600\n'); // accept read before its ESTABLISHED line
  tr.feed('E 10 1 5 2 500 127.0.0.1 40000 127.0.0.1 80\nE 11 2 5 3 0 127.0.0.1 80 127.0.0.1 40000\n');
  tr.feed('@tx[1]: 4\n@rx[1]: 100\n@rtt[1]: 35\nT 30\n');
  tr.feed('C 50 3 5 127.0.0.1 41000 127.0.0.1 80 1 2 3\n'); // close read before its ESTABLISHED line
  tr.feed('E 40 3 5 2 501 127.0.0.1 41000 127.0');
  tr.feed('.0.1 80\n'); // split across chunks
  let all = tr.drain();
  const byPort = (p: number, out: boolean): TrackedConnection | undefined => all.find((c) => c.outgoing === out && (out ? c.localPort : c.remotePort) === p);
  assert.equal(byPort(40000, true)?.pid, 500);
  assert.equal(byPort(40000, true)?.sentBytes, 4);
  assert.equal(byPort(40000, true)?.srttMicros, 35);
  assert.equal(byPort(40000, false)?.pid, 600, 'server pid from the accept');
  assert.equal(byPort(41000, true)?.closed, true);
  assert.equal(byPort(41000, true)?.pid, 501);
  tr.feed('E 45 4 5 3 0 127.0.0.1 80 127.0.0.1 42000\nC 47 4 5 127.0.0.1 80 127.0.0.1 42000 0 0 0\nA 46 4 601\n'); // accept read after the close
  tr.feed('C 60 1 5 127.0.0.1 40000 127.0.0.1 80 6 0 40\n');
  all = tr.drain();
  assert.equal(byPort(40000, true)?.closed, true);
  assert.equal(byPort(40000, true)?.sentBytes, 10, 'summaries plus the remainder at close');
  assert.equal(byPort(41000, true), undefined, 'a closed connection is reported once');
  assert.equal(byPort(42000, false)?.pid, 601, 'an accept read after its close still names the server');
  assert.equal(tr.drain().filter((c) => c.outgoing).length, 0);
});

test('tracker: seeded connections (start-up /proc scan) close by tuple', () => {
  const tr = new ConnectionTracker({ logger: silentLogger() });
  tr.seed([{ netns: 5, outgoing: true, pid: 9, localIp: '10.0.0.1', localPort: 5000, remoteIp: '10.0.0.2', remotePort: 443 }]);
  assert.equal(tr.drain().length, 1);
  tr.feed('C 1 77 5 10.0.0.1 5000 10.0.0.2 443 0 0 0\n');
  assert.deepEqual(tr.drain().map((c) => c.closed), [true]);
  assert.equal(tr.drain().length, 0);
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

test('eBPF: a 100-ms connect loop of short-lived connections is seen with the client and server pids', { timeout: 90_000 }, async (t) => {
  if (!needsEbpf(t)) return;
  const tracker = new ConnectionTracker({ logger: silentLogger(), summaryIntervalMillis: 200 });
  stops.push(() => tracker.stop());
  await tracker.start();
  const server = spawnNode(children, SERVER);
  const port = Number(await firstLine(server));
  const client = spawnNode(children, CLIENT(String(port)));
  await firstLine(client);
  const seen: TrackedConnection[] = [];
  await waitFor('5 closed connections', () => {
    seen.push(...tracker.drain().filter((c) => c.closed && (c.outgoing ? c.remotePort : c.localPort) === port));
    return seen.filter((c) => c.outgoing).length >= 5 && seen.filter((c) => !c.outgoing).length >= 5 ? true : undefined;
  }, 20_000, 200);
  const out = seen.filter((c) => c.outgoing);
  const inc = seen.filter((c) => !c.outgoing);
  assert.ok(out.every((c) => c.pid === client.pid), `client pids ${out.map((c) => c.pid).join()}`);
  assert.ok(inc.every((c) => c.pid === server.pid), `server pids ${inc.map((c) => c.pid).join()}`);
  assert.ok(out.some((c) => c.sentBytes === 4 && c.receivedBytes === 4), 'ping/pong byte counts');
  assert.equal(tracker.stats.lost, 0);
  await tracker.stop();
  assert.equal(tracker.running, false);
});

test('eBPF: the endpoint reporter makes client → server edges with both pids and byte counts for short-lived connections', { timeout: 90_000 }, async (t) => {
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
  await waitFor('the tracker to attach', () => source.active, 60_000, 200);
  const client = spawnNode(children, CLIENT(port));
  await firstLine(client);
  const edge = await waitFor('a short-lived edge with both pids', async () => {
    await walker.walk();
    const rpt = await reporter.report();
    const nodes = rpt.topologies.endpoint.nodes;
    for (const [id, n] of nodes) {
      if (n.latest.get('pid')?.value !== String(client.pid)) continue;
      const to = n.adjacency.find((a) => a.endsWith(`;127.0.0.1;${port}`));
      if (to && nodes.get(to)?.latest.get('pid')?.value === String(server.pid) && n.latest.has('openscope_bytes_sent')) return { id, to, node: n };
    }
    return undefined;
  }, 20_000, 300);
  assert.match(edge.id, /^h-\d+;127\.0\.0\.1;\d+$/, 'loopback endpoints scoped by the netns');
  assert.match(edge.to, /^h-\d+;127\.0\.0\.1;\d+$/);
  assert.equal(edge.node.latest.get('openscope_bytes_sent')?.value, '4', 'client sent "ping"');
  assert.equal(edge.node.latest.get('openscope_bytes_received')?.value, '4', 'client received "pong"');
  assert.equal(source.scanNeeded(), false, '/proc is no longer scanned');
  await walker.walk();
  const later = await reporter.report();
  const oldNodes = [...later.topologies.endpoint.nodes.values()].filter((n) => n.latest.get('pid')?.value === String(old.pid));
  assert.equal(oldNodes.length, 1, 'the seeded long-lived connection is still reported with its pid');
});

test('eBPF: bpftrace dies with the probe process, even on SIGKILL', { timeout: 90_000 }, async (t) => {
  if (!needsEbpf(t)) return;
  const url = new URL('../../src/probe/ebpf/tracker.ts', import.meta.url).href;
  const code = `import('${url}').then(async ({ ConnectionTracker }) => {
    const tr = new ConnectionTracker({ logger: { warn() {}, info() {}, debug() {} } });
    await tr.start(); console.log(tr.pid); setInterval(() => {}, 1000); });`;
  const { spawn } = await import('node:child_process');
  const owner = spawn(process.execPath, ['--import', 'tsx', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(owner);
  const bpftracePid = Number(await firstLine(owner, 60_000));
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
