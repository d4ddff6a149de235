import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  NODE_ID_TAGS,
  cidrContains,
  formatCidr,
  isLoopback,
  makeAddressNodeId,
  makeContainerImageNodeId,
  makeCronJobNodeId,
  makeDaemonSetNodeId,
  makeDockerOverlayNodeId,
  makeEcsServiceNodeId,
  makeEndpointNodeId,
  makeHostNodeId,
  makeOverlayNodeId,
  makePluginControlId,
  makeProcessNodeId,
  makeScopedEndpointNodeId,
  makeSingleComponentId,
  makeStatefulSetNodeId,
  normalizeIp,
  parseAddressNodeId,
  parseCidr,
  parseContainerNodeId,
  parseEcsServiceNodeId,
  parseEndpointNodeId,
  parseHostNodeId,
  parseNodeId,
  parseOverlayNodeId,
  parseProcessNodeId,
  parseSingleComponentId,
  randomPipeId,
  randomProbeId,
  type Cidr,
} from '../../src/report/ids.js';

const cidr = (s: string): Cidr => {
  const c = parseCidr(s);
  assert.ok(c, s);
  return c;
};

describe('single-component ids (wire §3.1)', () => {
  test('make and parse every tag', () => {
    for (const tag of NODE_ID_TAGS) {
      const id = makeSingleComponentId(tag, 'x;y');
      assert.equal(id, `x;y;<${tag}>`);
      // Go splits at the first ';', so an x containing ';' does not round-trip.
      assert.equal(parseSingleComponentId(tag, id), undefined);
      assert.equal(parseSingleComponentId(tag, makeSingleComponentId(tag, 'abc')), 'abc');
    }
  });
  test('examples', () => {
    assert.equal(makeHostNodeId('node-1'), 'node-1;<host>');
    assert.equal(parseHostNodeId('node-1;<host>'), 'node-1');
    assert.equal(makeDaemonSetNodeId('u'), 'u;<daemonset>');
    assert.equal(makeStatefulSetNodeId('u'), 'u;<statefulset>');
    assert.equal(makeCronJobNodeId('u'), 'u;<cronjob>');
    assert.equal(makeContainerImageNodeId('4cdc'), '4cdc;<container_image>');
    assert.equal(parseHostNodeId(''), undefined);
  });
  test('malformed ids parse to undefined', () => {
    assert.equal(parseHostNodeId('node-1'), undefined);
    assert.equal(parseHostNodeId('node-1;<container>'), undefined);
    assert.equal(parseHostNodeId('node-1;<host>x'), undefined);
    assert.equal(parseContainerNodeId('abc;<host>'), undefined);
    assert.equal(parseHostNodeId(';<host>'), '');
    assert.deepEqual(parseNodeId('a;<b>'), { x: 'a', tag: '<b>' });
    assert.equal(parseNodeId('ab'), undefined);
  });
});

describe('process ids (wire §3.2)', () => {
  test('make and parse', () => {
    assert.equal(makeProcessNodeId('node-1', 4242), 'node-1;4242');
    assert.deepEqual(parseProcessNodeId('node-1;4242'), { hostId: 'node-1', pid: '4242' });
    assert.equal(parseProcessNodeId('node-1'), undefined);
  });
});

describe('endpoint and address ids (wire §3.3)', () => {
  const bridge = [cidr('172.17.0.1/16')];
  test('ordinary address: empty scope', () => {
    assert.equal(makeEndpointNodeId('node-1', '', '10.0.0.9', 80, bridge), ';10.0.0.9;80');
    assert.equal(makeEndpointNodeId('node-1', 4026531992, '10.0.0.9', 80, []), ';10.0.0.9;80');
  });
  test('local network: host scope, netns ignored', () => {
    assert.equal(makeEndpointNodeId('node-1', '', '172.17.0.2', 80, bridge), 'node-1;172.17.0.2;80');
    assert.equal(makeEndpointNodeId('node-1', '123', '172.17.0.2', 80, bridge), 'node-1;172.17.0.2;80');
    assert.equal(makeAddressNodeId('node-1', '172.17.0.2', bridge), 'node-1;172.17.0.2');
    assert.equal(makeAddressNodeId('node-1', '10.244.1.7', bridge), ';10.244.1.7');
  });
  test('loopback: host scope plus netns when known', () => {
    assert.equal(makeEndpointNodeId('node-1', '', '127.0.0.1', 6379, []), 'node-1;127.0.0.1;6379');
    assert.equal(makeEndpointNodeId('node-1', 0, '127.0.0.1', 6379, []), 'node-1;127.0.0.1;6379');
    assert.equal(makeEndpointNodeId('node-1', '0', '127.0.0.1', 6379, []), 'node-1;127.0.0.1;6379');
    assert.equal(
      makeEndpointNodeId('node-1', 4026531992, '127.0.0.1', 6379, []),
      'node-1-4026531992;127.0.0.1;6379',
    );
    assert.equal(makeEndpointNodeId('h', '7', '127.9.9.9', 1, []), 'h-7;127.9.9.9;1');
    assert.equal(makeEndpointNodeId('h', '7', '::1', 1, []), 'h-7;::1;1');
    assert.equal(makeEndpointNodeId('h', '7', '0:0::1', 1, []), 'h-7;::1;1');
    assert.equal(makeAddressNodeId('h', '127.0.0.1', []), 'h;127.0.0.1');
  });
  test('addresses are printed canonically; unparsable kept verbatim and unscoped', () => {
    assert.equal(makeEndpointNodeId('h', '', '2001:DB8:0:0:0:0:0:1', 443, []), ';2001:db8::1;443');
    assert.equal(makeEndpointNodeId('h', '', '::ffff:10.0.0.1', 443, []), ';10.0.0.1;443');
    assert.equal(makeEndpointNodeId('h', '', '::ffff:172.17.0.3', 443, bridge), 'h;172.17.0.3;443');
    assert.equal(makeEndpointNodeId('h', '', 'bogus', 1, []), ';bogus;1');
  });
  test('scoped ids are verbatim', () => {
    assert.equal(makeScopedEndpointNodeId('s', '1.2.3.4', ''), 's;1.2.3.4;');
    assert.equal(makeScopedEndpointNodeId('', 'x', 1), ';x;1');
  });
  test('parse', () => {
    assert.deepEqual(parseEndpointNodeId(';10.0.0.9;80'), { scope: '', address: '10.0.0.9', port: '80' });
    assert.deepEqual(parseEndpointNodeId('h-1;::1;80'), { scope: 'h-1', address: '::1', port: '80' });
    assert.deepEqual(parseEndpointNodeId('s;1.2.3.4;'), { scope: 's', address: '1.2.3.4', port: '' });
    assert.equal(parseEndpointNodeId(';10.0.0.9'), undefined);
    assert.equal(parseEndpointNodeId('nothing'), undefined);
    assert.deepEqual(parseAddressNodeId('node-1;172.17.0.2'), { scope: 'node-1', address: '172.17.0.2' });
    assert.deepEqual(parseAddressNodeId(';10.0.0.1'), { scope: '', address: '10.0.0.1' });
    assert.equal(parseAddressNodeId('10.0.0.1'), undefined);
  });
});

describe('overlay, ECS, probe and pipe ids (wire §3.4–3.6)', () => {
  test('overlay', () => {
    assert.equal(makeOverlayNodeId('', 'ce:31:e0:06:45:1a'), '#ce:31:e0:06:45:1a');
    assert.equal(makeDockerOverlayNodeId('node-1'), '#docker_peer_node-1');
    assert.deepEqual(parseOverlayNodeId('#docker_peer_node-1'), { prefix: 'docker_peer_', peerName: 'node-1' });
    assert.deepEqual(parseOverlayNodeId('#ce:31'), { prefix: '', peerName: 'ce:31' });
    assert.equal(parseOverlayNodeId('ce:31'), undefined);
  });
  test('ecs service', () => {
    assert.equal(makeEcsServiceNodeId('c', 's'), 'c;s');
    assert.deepEqual(parseEcsServiceNodeId('c;s'), { cluster: 'c', serviceName: 's' });
    assert.deepEqual(parseEcsServiceNodeId('web;<ecs_service>'), { cluster: 'unknown', serviceName: 'web' });
    assert.equal(parseEcsServiceNodeId('nodelim'), undefined);
  });
  test('probe and pipe ids', () => {
    for (let i = 0; i < 200; i++) {
      const p = randomProbeId();
      assert.match(p, /^[0-9a-f]{1,16}$/);
      assert.ok(BigInt(`0x${p}`) < 2n ** 63n);
      assert.ok(p === '0' || !p.startsWith('0'));
      const pipe = randomPipeId();
      assert.match(pipe, /^pipe-\d+$/);
      assert.ok(BigInt(pipe.slice(5)) < 2n ** 63n);
    }
    assert.notEqual(randomProbeId(), randomProbeId());
    assert.equal(makePluginControlId('p', 'c'), 'p~c');
  });
});

describe('IP parsing and printing (Go net.ParseIP / IP.String)', () => {
  const cases: [string, string | undefined][] = [
    ['10.0.0.1', '10.0.0.1'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['256.0.0.1', undefined],
    ['01.2.3.4', undefined], // Go ≥ 1.17 rejects leading zeros
    ['1.2.3', undefined],
    ['1.2.3.4.5', undefined],
    ['1..3.4', undefined],
    ['', undefined],
    [' 1.2.3.4', undefined],
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['FE80::1', 'fe80::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['1:0:1:0:1:0:1:0', '1:0:1:0:1:0:1:0'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::ffff:1.2.3.4', '1.2.3.4'],
    ['::ffff:0102:0304', '1.2.3.4'],
    ['::1.2.3.4', '::102:304'],
    ['64:ff9b::1.2.3.4', '64:ff9b::102:304'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
    ['1:2:3:4:5:6:7:1.2.3.4', undefined],
    ['1:2:3:4:5:6:7:8:9', undefined],
    ['1::2::3', undefined],
    [':1', undefined],
    ['1:', undefined],
    ['12345::', undefined],
    ['fe80::1%eth0', undefined],
    ['g::', undefined],
    ['1:2:3:4:5:6:7:8::', undefined],
  ];
  for (const [input, expected] of cases) {
    test(`${JSON.stringify(input)} → ${String(expected)}`, () => assert.equal(normalizeIp(input), expected));
  }
  test('loopback', () => {
    assert.ok(isLoopback('127.0.0.1'));
    assert.ok(isLoopback('127.255.0.9'));
    assert.ok(isLoopback('::1'));
    assert.ok(isLoopback('::ffff:127.0.0.1'));
    assert.ok(!isLoopback('128.0.0.1'));
    assert.ok(!isLoopback('::2'));
    assert.ok(!isLoopback('localhost'));
  });
});

describe('CIDRs', () => {
  test('parse keeps host bits, masks the network', () => {
    const c = cidr('10.0.0.5/24');
    assert.equal(formatCidr(c), '10.0.0.5/24');
    assert.deepEqual([...c.network], [10, 0, 0, 0]);
    assert.equal(c.prefixLength, 24);
    assert.equal(parseCidr('10.0.0.5'), undefined);
    assert.equal(parseCidr('10.0.0.5/33'), undefined);
    assert.equal(parseCidr('10.0.0.5/'), undefined);
    assert.equal(parseCidr('10.0.0.5/-1'), undefined);
    assert.equal(parseCidr('::1/129'), undefined);
    assert.equal(parseCidr('x/8'), undefined);
  });
  test('IPv4 containment', () => {
    assert.ok(cidrContains(cidr('10.0.0.5/24'), '10.0.0.200'));
    assert.ok(!cidrContains(cidr('10.0.0.5/24'), '10.0.1.1'));
    assert.ok(cidrContains(cidr('172.17.0.1/16'), '172.17.255.255'));
    assert.ok(cidrContains(cidr('10.0.0.0/9'), '10.127.0.1'));
    assert.ok(!cidrContains(cidr('10.0.0.0/9'), '10.128.0.1'));
    assert.ok(cidrContains(cidr('0.0.0.0/0'), '8.8.8.8'));
    assert.ok(cidrContains(cidr('1.2.3.4/32'), '1.2.3.4'));
    assert.ok(!cidrContains(cidr('1.2.3.4/32'), '1.2.3.5'));
    assert.ok(cidrContains(cidr('10.0.0.0/8'), '::ffff:10.1.2.3'), 'IPv4-mapped matches an IPv4 net');
    assert.ok(!cidrContains(cidr('10.0.0.0/8'), '::1'));
    assert.ok(!cidrContains(cidr('10.0.0.0/8'), 'nope'));
  });
  test('IPv6 containment', () => {
    assert.ok(cidrContains(cidr('2001:db8::/32'), '2001:db8:1::1'));
    assert.ok(!cidrContains(cidr('2001:db8::/32'), '2001:db9::1'));
    assert.ok(cidrContains(cidr('fe80::/10'), 'febf::1'));
    assert.ok(!cidrContains(cidr('fe80::/10'), 'fec0::1'));
    assert.ok(cidrContains(cidr('::/0'), '::1'));
    assert.ok(!cidrContains(cidr('::/0'), '1.2.3.4'), 'Go: IPv4 never matches an IPv6 net');
    assert.ok(!cidrContains(cidr('::ffff:0:0/96'), '1.2.3.4'));
  });
});
