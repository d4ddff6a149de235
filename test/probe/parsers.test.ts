import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TcpTableParser } from '../../src/probe/endpoint/procnet.js';
import { parseConntrackLine } from '../../src/probe/endpoint/conntrack.js';
import { flowEnds, sameCidrs } from '../../src/probe/endpoint/reporter.js';
import { parseCidr } from '../../src/report/ip.js';
import { Backoff, retryAfterMillis, sleep } from '../../src/common/backoff.js';
import { bracketInode } from '../../src/probe/procfs/read.js';

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0000000000000000 100 0 0 10 0
   1: 0100007F:D4C2 0100007F:0CEA 01 00000000:00000000 00:00000000 00000000     0        0 1002 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:D4C4 0100007F:0CEA 06 00000000:00000000 03:00000D2C 00000000     0        0 0 3 0000000000000000
   3: 0200000A:0050 0300000A:A000 08 00000000:00000000 00:00000000 00000000     0        0 1003 1 0000000000000000 20 4 30 10 -1
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F90 00000000000000000000000001000000:A2B4 01 00000000:00000000 00:00000000 00000000     0        0 2001 1 0000000000000000 20 4 30 10 -1
   1: 0000000000000000FFFF00000100007F:1F91 0000000000000000FFFF00000200007F:A2B5 01 00000000:00000000 00:00000000 00000000     0        0 2002 1 0000000000000000 20 4 30 10 -1
   2: B80D0120000000000000000001000000:0016 B80D0120000000000000000002000000:C000 01 00000000:00000000 00:00000000 00000000     0        0 2003 1 0000000000000000 20 4 30 10 -1
`;

test('tcp/tcp6 parsing: states kept, listeners apart, IPv6 for real, IPv4-mapped as dotted quad', () => {
  const parser = new TcpTableParser();
  const table = parser.begin();
  const b4 = Buffer.from(TCP);
  parser.parse(b4, b4.length, table);
  const b6 = Buffer.from(TCP6);
  parser.parse(b6, b6.length, table);
  assert.deepEqual(table.listeners.map((s) => [s.localIp, s.localPort, s.inode]), [['127.0.0.1', 3306, 1001]]);
  const conns = table.connections.map((s) => `${s.localIp}:${s.localPort}>${s.remoteIp}:${s.remotePort}#${s.inode}`);
  assert.deepEqual(conns, [
    '127.0.0.1:54466>127.0.0.1:3306#1002',
    '10.0.0.2:80>10.0.0.3:40960#1003',
    '::1:8080>::1:41652#2001',
    '127.0.0.1:8081>127.0.0.2:41653#2002',
    '2001:db8::1:22>2001:db8::2:49152#2003',
  ]);
  // A second parse of the same bytes reuses the socket objects (no allocation per steady socket).
  const again = parser.begin();
  parser.parse(b4, b4.length, again);
  assert.equal(again.connections[0], table.connections[0]);
});

test('conntrack lines: events, dump lines, NAT direction', () => {
  const ev = parseConntrackLine(' [UPDATE] tcp      6 432000 ESTABLISHED src=127.0.0.1 dst=127.0.0.1 sport=40708 dport=38257 src=127.0.0.1 dst=127.0.0.1 sport=38257 dport=40708 [ASSURED] id=3007400917');
  assert.ok(ev);
  assert.equal(ev.event, 'UPDATE');
  assert.equal(ev.flow.state, 'ESTABLISHED');
  assert.equal(ev.flow.id, '3007400917');
  assert.deepEqual(ev.flow.original, { src: '127.0.0.1', dst: '127.0.0.1', sport: 40708, dport: 38257 });
  const dump = parseConntrackLine('tcp      6 299 ESTABLISHED src=192.0.2.2 dst=203.0.113.80 sport=58382 dport=443 [UNREPLIED] src=203.0.113.80 dst=192.0.2.2 sport=443 dport=58382 mark=0 use=1 id=77');
  assert.equal(dump?.event, '');
  assert.equal(dump?.flow.reply.sport, 443);
  assert.equal(parseConntrackLine('conntrack v1.4.7 (conntrack-tools): 5 flow entries have been shown.'), undefined);
  // No DNAT: from = original source.
  assert.deepEqual(flowEnds(ev.flow), [{ ip: '127.0.0.1', port: 40708 }, { ip: '127.0.0.1', port: 38257 }]);
  // DNAT (reply source ≠ original destination): reversed, as Scope does.
  const dnat = parseConntrackLine(' [UPDATE] tcp 6 10 ESTABLISHED src=1.1.1.1 dst=10.0.0.5 sport=5000 dport=8080 src=172.17.0.2 dst=1.1.1.1 sport=80 dport=5000 id=1')!;
  assert.deepEqual(flowEnds(dnat.flow), [{ ip: '10.0.0.5', port: 8080 }, { ip: '1.1.1.1', port: 5000 }]);
});

test('backoff: exponential, capped, jittered, reset; Retry-After; abortable sleep', async () => {
  const b = new Backoff({ initialMillis: 1000, maxMillis: 60_000, jitter: 0 });
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8].map(() => b.next()), [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
  b.reset();
  assert.equal(b.next(), 1000);
  const j = new Backoff({ initialMillis: 1000, jitter: 0.5, random: () => 0.999 });
  const d = j.next();
  assert.ok(d >= 500 && d <= 1000);
  assert.equal(retryAfterMillis('3'), 3000);
  assert.equal(retryAfterMillis(new Date(Date.now() + 5000).toUTCString(), Date.now()) !== undefined, true);
  assert.equal(retryAfterMillis('soon'), undefined);
  const ac = new AbortController();
  const started = Date.now();
  const s = sleep(60_000, ac.signal);
  ac.abort();
  await s;
  assert.ok(Date.now() - started < 1000);
  assert.equal(bracketInode('net:[4026531992]'), 4026531992);
  assert.equal(bracketInode('pipe:[x]'), 0);
});

test('net/snmp TCP signature: opens, resets and established count', async () => {
  const { tcpSignature } = await import('../../src/probe/endpoint/sockets.js');
  const snmp = 'Ip: Forwarding\nIp: 1\nTcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs\nTcp: 1 200 120000 -1 6262 4502 674 87 3 71564\nUdp: x\n';
  assert.equal(tcpSignature(snmp), '6262/4502/87/3');
  assert.equal(tcpSignature('nothing'), '');
});

test('net/sockstat6: tcp6 is read only when TCPv6 sockets are in use (or the count is unknown)', async () => {
  const { hasTcp6Sockets } = await import('../../src/probe/endpoint/sockets.js');
  assert.equal(hasTcp6Sockets('TCP6: inuse 0\nUDP6: inuse 2\n'), false);
  assert.equal(hasTcp6Sockets('TCP6: inuse 10\nUDP6: inuse 0\n'), true);
  assert.equal(hasTcp6Sockets('TCP6: inuse 01\n'), true);
  assert.equal(hasTcp6Sockets('garbage'), true);
  assert.equal(hasTcp6Sockets(undefined), true);
});

test('local networks compare by value: an equal list built anew keeps the endpoint id caches', () => {
  const a = [parseCidr('10.1.0.0/16')!, parseCidr('fd00::1/64')!];
  const b = [parseCidr('10.1.0.0/16')!, parseCidr('fd00::1/64')!];
  assert.equal(sameCidrs(a, b), true);
  assert.equal(sameCidrs([], []), true);
  assert.equal(sameCidrs(a, [a[0]!]), false);
  assert.equal(sameCidrs([parseCidr('10.1.0.0/16')!], [parseCidr('10.1.0.0/17')!]), false);
  assert.equal(sameCidrs([parseCidr('10.1.0.1/16')!], [parseCidr('10.1.0.2/16')!]), false, 'host bits count (they are in local_networks)');
});
