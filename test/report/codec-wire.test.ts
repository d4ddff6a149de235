/** Scope's wire rules (wire §2.1–§2.6, §6.1) as the codec applies them, on hand-made inputs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encode as libEncode } from '@msgpack/msgpack';
import { decodeReport, encodeReport, ReportDecodeError } from '../../src/report/codec/index.js';
import { makeNode, makeReport } from '../../src/report/model.js';
import type { Report } from '../../src/report/types.js';

const json = (v: unknown): Uint8Array => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
const fromJson = (v: unknown): Report => decodeReport(json(v), 'json');

function badType(f: () => unknown, message: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof ReportDecodeError, String(e));
    assert.equal(e.kind, 'bad-type', e.message);
    assert.equal(e.httpStatus, 400);
    assert.match(e.message, message);
    return true;
  });
}

const T = '2023-03-01T12:00:00.123456789Z';
/** wire §2.1's example: that time in Go's binary form, as a fixstr. */
const T_BYTES = [0xaf, 0x01, 0x00, 0x00, 0x00, 0x0e, 0xdb, 0x91, 0x35, 0x40, 0x07, 0x5b, 0xcd, 0x15, 0xff, 0xff];

test('msgpack time is Go binary in a fixstr (wire §2.1 example bytes)', () => {
  const r = makeReport();
  r.ts = T;
  const bytes = encodeReport(r, 'msgpack');
  // map16 header (3 bytes), key fixstr "TS" (3 bytes), then the time.
  assert.deepEqual([...bytes.subarray(6, 22)], T_BYTES);
  assert.equal(decodeReport(bytes, 'msgpack').ts, T);
});

test('msgpack time accepted as str8, str16, bin8, bin16 and with a local zone offset', () => {
  const raw = T_BYTES.slice(1);
  const withZone = [...raw.slice(0, 13), 0x00, 0x3c]; // +60 minutes: same instant
  for (const head of [[0xd9, 15], [0xda, 0, 15], [0xc4, 15], [0xc5, 0, 15]]) {
    for (const t of [raw, withZone]) {
      const bytes = Uint8Array.from([0x81, 0xa2, 0x54, 0x53, ...head, ...t]);
      assert.equal(decodeReport(bytes, 'msgpack').ts, T, head.join(','));
    }
  }
});

test('msgpack timestamp extension is rejected for a time', () => {
  const bytes = libEncode({ TS: new Date(0) });
  badType(() => decodeReport(bytes, 'msgpack'), /^TS: expected time, got extension/);
});

test('zero time encodes as af 01 00…00 ff ff', () => {
  const bytes = encodeReport(makeReport(), 'msgpack');
  assert.deepEqual([...bytes.subarray(6, 22)], [0xaf, 1, ...new Array<number>(12).fill(0), 0xff, 0xff]);
});

test('JSON times: offsets and short fractions are normalised; numbers rejected', () => {
  assert.equal(fromJson({ TS: '2023-03-01T13:00:00.123456789+01:00' }).ts, T);
  assert.equal(fromJson({ TS: '2023-03-01T12:00:00.1234567Z' }).ts, '2023-03-01T12:00:00.123456700Z');
  assert.equal(fromJson({ TS: '2023-03-01T12:00:00Z' }).ts, '2023-03-01T12:00:00.000000000Z');
  assert.equal(fromJson({ TS: '2023-03-01T00:30:00-01:00' }).ts, '2023-03-01T01:30:00.000000000Z');
  assert.equal(fromJson({ TS: '0001-01-01T00:00:00Z' }).ts, '0001-01-01T00:00:00.000000000Z');
  badType(() => fromJson({ TS: 1677672000 }), /^TS: expected time, got number/);
  badType(() => fromJson({ TS: '2023-13-01T12:00:00Z' }), /^TS: expected time/);
  badType(() => fromJson({ TS: 'yesterday' }), /^TS: expected time/);
});

test('JSON floats for integer fields are rejected, floats for float fields accepted', () => {
  const control = (rank: string): string =>
    `{"Host":{"controls":{"c":{"id":"c","human":"C","icon":"x","rank":${rank}}}}}`;
  assert.equal(fromJson(control('2')).topologies.host.controls.get('c')?.rank, 2);
  badType(() => fromJson(control('2.0')), /rank: expected integer/);
  badType(() => fromJson(control('2.5')), /rank: expected integer/);
  badType(() => fromJson('{"Window": 3e9}'), /Window: expected integer/);
  badType(() => fromJson('{"Process":{"metadata_templates":{"p":{"id":"p","truncate":1.5}}}}'),
    /^Process\.metadata_templates\.p\.truncate: expected integer, got number$/);
  const m = fromJson('{"Process":{"metric_templates":{"m":{"id":"m","priority":2.0}}}}');
  assert.equal(m.topologies.process.metricTemplates.get('m')?.priority, 2);
});

test('bad types name their path', () => {
  badType(() => fromJson({ Process: { nodes: { 'x;1': { latest: { pid: { timestamp: T, value: 42 } } } } } }),
    /^Process\.nodes\["x;1"\]\.latest\.pid\.value: expected string, got number$/);
  badType(() => fromJson({ Host: { nodes: { h: { sets: { ips: ['a', 1] } } } } }),
    /^Host\.nodes\.h\.sets\.ips\[1\]: expected string, got number$/);
  badType(() => fromJson({ Host: { nodes: { h: { metrics: { m: { samples: [{ date: T, value: 'x' }] } } } } } }),
    /^Host\.nodes\.h\.metrics\.m\.samples\[0\]\.value: expected number, got string$/);
  badType(() => fromJson([1, 2]), /expected map at the top level, got array/);
  badType(() => fromJson({ Shortcut: 'yes' }), /^Shortcut: expected boolean/);
  badType(() => fromJson({ Plugins: [{ id: 3 }] }), /^Plugins\[0\]\.id: expected string/);
  badType(() => fromJson({ Endpoint: { nodes: [] } }), /^Endpoint\.nodes: expected map, got array/);
  badType(() => fromJson({ Sampling: { Count: -1 } }), /^Sampling\.Count: expected unsigned integer/);
});

test('string sets are sorted and de-duplicated on decode', () => {
  const r = fromJson({ Host: { nodes: { h: {
    adjacency: ['b', 'a', 'b'], sets: { s: ['z', 'y', 'z'] }, parents: { host: ['h2', 'h1'] } } } },
  DNS: { '1.2.3.4': { forward: ['b.example', 'a.example', 'a.example'] } } });
  const h = r.topologies.host.nodes.get('h')!;
  assert.deepEqual(h.adjacency, ['a', 'b']);
  assert.deepEqual(h.sets.get('s'), ['y', 'z']);
  assert.deepEqual(h.parents.get('host'), ['h1', 'h2']);
  assert.deepEqual(r.dns.get('1.2.3.4'), { forward: ['a.example', 'b.example'], reverse: [] });
});

test('legacy node fields latestControls and counters become latest entries (wire §2.4)', () => {
  const later = '2023-03-01T12:00:01.000000000Z';
  const r = fromJson({ Container: { nodes: { c: {
    latestControls: {
      docker_stop_container: { timestamp: T, value: { dead: false } },
      docker_attach_container: { timestamp: later, value: {} },
      docker_pause_container: { timestamp: later, value: { dead: true } },
    },
    counters: { container: 3 },
  } } } });
  const n = r.topologies.container.nodes.get('c')!;
  assert.deepEqual(n.latest.get('active_controls'), {
    timestamp: later, value: 'docker_attach_container;docker_stop_container',
  });
  assert.equal(n.latest.get('count_container')?.value, '3');
  badType(() => fromJson({ Host: { nodes: { h: { counters: { x: 1.5 } } } } }), /counters\.x: expected integer/);
});

test('legacy report key `nodes` is read as DNS (wire §2.2), never written', () => {
  const r = fromJson({ nodes: { '10.0.0.9': { forward: ['api.example.com'] } } });
  assert.deepEqual(r.dns.get('10.0.0.9')?.forward, ['api.example.com']);
  const out = JSON.parse(new TextDecoder().decode(encodeReport(r, 'json'))) as Record<string, unknown>;
  assert.equal('nodes' in out, false);
  assert.ok('DNS' in out);
});

test('unknown and mis-cased keys are ignored; missing topologies keep default presentation', () => {
  const r = fromJson({ ts: 'nonsense', Extra: { deep: [[[1]]] }, process: 7, Process: { nodes: {}, Nodes: 3 } });
  assert.equal(r.ts, '0001-01-01T00:00:00.000000000Z');
  assert.equal(r.topologies.process.shape, 'square');
  assert.equal(r.topologies.host.labelPlural, 'hosts');
});

test('null and {} both mean empty for sets, parents, latest; children null stays null', () => {
  const r = fromJson({ Host: { nodes: {
    a: { sets: null, parents: {}, latest: null, children: null },
    b: { sets: {}, parents: null, children: [] },
  } } });
  const [a, b] = [r.topologies.host.nodes.get('a')!, r.topologies.host.nodes.get('b')!];
  assert.equal(a.sets.size + a.parents.size + a.latest.size + b.sets.size, 0);
  assert.equal(a.children, null);
  assert.equal(b.children?.size, 0);
});

test('map keys such as __proto__ are plain keys, both formats', () => {
  const r = makeReport();
  const n = makeNode('__proto__', 'host');
  n.latest.set('__proto__', { timestamp: T, value: 'v' });
  n.sets.set('__proto__', ['x']);
  r.topologies.host.nodes.set('__proto__', n);
  for (const f of ['json', 'msgpack'] as const) {
    const back = decodeReport(encodeReport(r, f), f);
    assert.deepStrictEqual(back, r, f);
  }
});

test('integers are unsigned msgpack types when positive, floats always float64', () => {
  const r = makeReport();
  r.windowNanos = 2 ** 40;
  r.sampling = { count: 200, total: 70000 };
  const n = makeNode('h', 'host');
  n.metrics.set('m', { samples: [{ date: T, value: 2 }], min: 2, max: 100 });
  r.topologies.host.nodes.set('h', n);
  r.topologies.host.controls.set('c', { id: 'c', human: 'C', icon: 'i', confirmation: '', rank: -3, probeId: '' });
  const bytes = Buffer.from(encodeReport(r, 'msgpack'));
  const after = (key: string): number => bytes.indexOf(Buffer.from(key)) + key.length;
  assert.equal(bytes[after('Window')], 0xcf);
  assert.equal(bytes[after('Count')], 0xcc);
  assert.equal(bytes[after('Total')], 0xce);
  assert.equal(bytes[after('min')], 0xcb);
  assert.equal(bytes[after('rank')], 0xfd);
  assert.deepStrictEqual(decodeReport(bytes, 'msgpack'), r);
});

test('msgpack: ints accepted for float fields, str8 strings accepted, non-ASCII strings round trip', () => {
  const bytes = libEncode({ Host: { nodes: { h: {
    id: 'h'.repeat(40), // str8 from this encoder
    metrics: { m: { min: 1, max: 7 } },
    latest: { k: { timestamp: Uint8Array.from(T_BYTES.slice(1)), value: 'héllo ✓ 🌍' } },
  } } } });
  const r = decodeReport(bytes, 'msgpack');
  const h = r.topologies.host.nodes.get('h')!;
  assert.equal(h.id, 'h'.repeat(40));
  assert.deepEqual(h.metrics.get('m'), { samples: [], min: 1, max: 7 });
  assert.deepEqual(h.latest.get('k'), { timestamp: T, value: 'héllo ✓ 🌍' });
  assert.deepStrictEqual(decodeReport(encodeReport(r, 'msgpack'), 'msgpack'), r);
});

test('msgpack: a 15-byte string starting with 0x01 is still a string where a string is expected', () => {
  const value = '\u0001abcdefghijklmn';
  const r = makeReport();
  const n = makeNode('h', 'host');
  n.latest.set('k', { timestamp: T, value });
  r.topologies.host.nodes.set('h', n);
  const back = decodeReport(encodeReport(r, 'msgpack'), 'msgpack');
  assert.equal(back.topologies.host.nodes.get('h')?.latest.get('k')?.value, value);
});

test('delta nodes without id/topology decode under their map key', () => {
  const r = fromJson({ Process: { nodes: { 'vm;42': { sets: null, latest: { name: { timestamp: T, value: 'x' } } } } } });
  const n = r.topologies.process.nodes.get('vm;42')!;
  assert.equal(n.id, '');
  assert.equal(n.topology, '');
  const wire = JSON.parse(new TextDecoder().decode(encodeReport(r, 'json'))) as
    { Process: { nodes: Record<string, Record<string, unknown>> } };
  assert.deepEqual(Object.keys(wire.Process.nodes['vm;42']!), ['sets', 'latest', 'parents', 'children']);
});

test('msgpack and JSON report the same error, path and message, for the same bad tree', () => {
  const cases: unknown[] = [
    { Process: { nodes: { 'x;1': { latest: { pid: { value: 42 } } } } } },
    { Host: { nodes: { h: { sets: { ips: ['a', 1] } } } } },
    { Host: { nodes: { h: { parents: { host: 'h' } } } } },
    { Host: { nodes: { h: { metrics: { m: { samples: [{ value: 'x' }] } } } } } },
    { Host: { nodes: { h: { metrics: { m: { max: true } } } } } },
    { Host: { nodes: { h: { adjacency: 'x' } } } },
    { Host: { nodes: { h: { children: {} } } } },
    { Host: { nodes: { h: { children: [{ id: 1 }] } } } },
    { Host: { nodes: { h: 'x' } } },
    { Host: { nodes: { h: { latest: { k: 3 } } } } },
    { Host: 3 },
    { Endpoint: { nodes: [] } },
    { Container: { controls: { c: { id: 'c', rank: 'first' } } } },
    { Container: { table_templates: { t: { columns: [{ id: 3 }] } } } },
    { Host: { nodes: { h: { latestControls: { c: { value: { dead: 'no' } } } } } } },
    { DNS: { a: { forward: 'x' } } },
    { Sampling: { Count: 'x' } },
    [1],
  ];
  for (const c of cases) {
    const messages = (['json', 'msgpack'] as const).map((f) => {
      const bytes = f === 'json' ? json(c) : libEncode(c);
      try {
        decodeReport(bytes, f);
      } catch (e) {
        assert.ok(e instanceof ReportDecodeError);
        return `${e.kind}: ${e.message}`;
      }
      return 'decoded';
    });
    assert.match(messages[0]!, /^bad-type: /, JSON.stringify(c));
    assert.equal(messages[1], messages[0], JSON.stringify(c));
  }
});

test('msgpack node children nested too deep → too-deep', () => {
  let child: Record<string, unknown> = {};
  for (let i = 0; i < 40; i++) child = { children: [child] }; // 80 levels: under the library's encode limit
  assert.throws(() => decodeReport(libEncode({ Host: { nodes: { h: child } } }), 'msgpack'),
    (e: unknown) => e instanceof ReportDecodeError && e.kind === 'too-deep');
});

test('the JSON float-for-integer check looks at keys only, not at strings that end like one', () => {
  const r = fromJson('{"Host":{"nodes":{"h":{"latest":{"k":{"timestamp":"2023-03-01T12:00:00Z","value":"x"}}},' +
    '"u":{"my\\"rank": 2.5}}}, "Extra": {"a\\"Window" : 1.5}}');
  assert.equal(r.topologies.host.nodes.size, 2);
  badType(() => fromJson('{"Window" :\n 2.0}'), /^Window: expected integer, got float/);
});
