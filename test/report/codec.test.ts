/** Report codec on recorded Scope traffic: decode, round trips, byte-exact msgpack. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode as libDecode } from '@msgpack/msgpack';
import {
  decodeReport,
  decodeReportBody,
  encodeReport,
  encodeReportBody,
  reportToWireJson,
} from '../../src/report/codec/index.js';
import { TOPOLOGIES, type Report } from '../../src/report/types.js';
import { apiReportJson, probeFixtures } from './codec-fixtures.js';

const probes = probeFixtures();

function nodeCount(r: Report): number {
  let n = 0;
  for (const { name } of TOPOLOGIES) n += r.topologies[name].nodes.size;
  return n;
}

function assertCanonical(r: Report): void {
  const canonical = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;
  assert.match(r.ts, canonical);
  for (const { name } of TOPOLOGIES) {
    for (const [key, n] of r.topologies[name].nodes) {
      for (const [k, e] of n.latest) assert.match(e.timestamp, canonical, `${key} latest ${k}`);
      for (const m of n.metrics.values()) for (const s of m.samples) assert.match(s.date, canonical);
      for (const set of [...n.sets.values(), ...n.parents.values(), n.adjacency]) {
        assert.deepEqual([...set], [...new Set(set)].sort(), `${key}: set sorted and unique`);
      }
    }
  }
}

test('decodes every recorded probe POST (gzip+msgpack) with its recorded headers', async () => {
  assert.equal(probes.length, 8);
  for (const p of probes) {
    const r = await decodeReportBody(p.gz, {
      contentType: p.headers['content-type'],
      contentEncoding: p.headers['content-encoding'],
    });
    assert.ok(nodeCount(r) > 0, p.name);
    assert.match(r.id, /^\d+$/);
    assertCanonical(r);
  }
});

test('recorded reports carry what the probe saw (report-03: first full report with processes)', () => {
  const r = decodeReport(probes[2]!.msgpack, 'msgpack');
  assert.equal(r.ts, '2026-11-25T15:00:02.711441467Z');
  assert.equal(r.shortcut, false);
  assert.deepEqual(r.plugins, []);
  assert.equal(r.topologies.process.shape, 'square');
  const host = r.topologies.host.nodes.get('vm;<host>');
  assert.ok(host, 'host node');
  assert.equal(host.topology, 'host');
  assert.equal(host.latest.get('host_name')?.value, 'vm');
  assert.ok(r.topologies.process.metadataTemplates.size > 0);
  assert.ok(r.topologies.container.controls.get('docker_exec_container'));
  for (const n of r.topologies.process.nodes.values()) {
    assert.equal(n.topology, 'process');
    assert.deepEqual(n.parents.get('host'), ['vm;<host>']);
  }
});

test('report-01 carries Go\'s zero TS, as Scope wrote it', () => {
  const r = decodeReport(probes[0]!.msgpack, 'msgpack');
  assert.equal(r.ts, '0001-01-01T00:00:00.000000000Z');
});

test('decodes the app\'s merged JSON report (GET /api/report)', () => {
  const r = decodeReport(apiReportJson(), 'json');
  assert.equal(r.ts, '2026-11-25T14:57:15.005027401Z');
  assert.equal(r.windowNanos, 11999209982);
  assert.equal(r.id, '4011144652424500331');
  assert.ok(r.dns.size > 0);
  const tt = r.topologies.container.tableTemplates.get('image_table');
  assert.equal(tt?.fixedRows.get('docker_image_size'), 'Size');
  assert.deepEqual(tt?.columns, []);
  assertCanonical(r);
});

test('round trip: decode → encode (msgpack and JSON) → decode is deep-equal, for every fixture', () => {
  const inputs: [string, Uint8Array, 'json' | 'msgpack'][] = [
    ...probes.map((p): [string, Uint8Array, 'msgpack'] => [p.name, p.msgpack, 'msgpack']),
    ['api-report.raw.json', apiReportJson(), 'json'],
  ];
  for (const [name, bytes, format] of inputs) {
    const r = decodeReport(bytes, format);
    for (const out of ['msgpack', 'json'] as const) {
      assert.deepStrictEqual(decodeReport(encodeReport(r, out), out), r, `${name} via ${out}`);
    }
  }
});

test('full reports re-encode byte for byte as Scope wrote them (zone bytes aside: we write UTC)', () => {
  for (const p of [probes[0]!, probes[2]!, probes[5]!]) {
    const ours = encodeReport(decodeReport(p.msgpack, 'msgpack'), 'msgpack');
    assert.equal(ours.length, p.msgpack.length, p.name);
    const theirs = Uint8Array.from(p.msgpack);
    // Scope's probe stamps local time (zone offset 0 minutes: `00 00`); we write UTC (`ff ff`).
    for (let i = 0; i + 16 <= theirs.length; i++) {
      if (theirs[i] === 0xaf && theirs[i + 1] === 1 && ours[i] === 0xaf && ours[i + 14] === 0xff) {
        theirs[i + 14] = 0xff;
        theirs[i + 15] = 0xff;
      }
    }
    assert.deepEqual(Buffer.from(ours), Buffer.from(theirs), p.name);
  }
});

test('encoded msgpack follows Scope\'s flavour: raw strings, 15-byte times, float64 floats', () => {
  const r = decodeReport(apiReportJson(), 'json');
  const bytes = encodeReport(r, 'msgpack');
  // An independent reader (raw strings) sees the time as 15 raw bytes with zone ff ff (UTC).
  const tree = libDecode(bytes, { rawStrings: true }) as Record<string, unknown>;
  const ts = tree.TS as Uint8Array;
  assert.equal(ts.length, 15);
  assert.equal(ts[0], 1);
  assert.deepEqual([...ts.subarray(13)], [0xff, 0xff]);
  assert.equal(bytes[0], 0xde, 'report map uses map16 for 30 keys');
});

/** True when `head` occurs as a msgpack head byte (walks the structure). */
function containsHead(b: Uint8Array, head: number): boolean {
  let found = false;
  let pos = 0;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const skip = (): void => {
    const h = b[pos++]!;
    if (h === head) found = true;
    if (h <= 0x7f || h >= 0xe0 || h === 0xc0 || h === 0xc2 || h === 0xc3) return;
    if (h >= 0xa0 && h <= 0xbf) { pos += h & 0x1f; return; }
    if (h >= 0x80 && h <= 0x8f) { for (let i = 0; i < (h & 0x0f) * 2; i++) skip(); return; }
    if (h >= 0x90 && h <= 0x9f) { for (let i = 0; i < (h & 0x0f); i++) skip(); return; }
    switch (h) {
      case 0xcc: case 0xd0: pos += 1; return;
      case 0xcd: case 0xd1: pos += 2; return;
      case 0xce: case 0xd2: case 0xca: pos += 4; return;
      case 0xcf: case 0xd3: case 0xcb: pos += 8; return;
      case 0xd9: case 0xc4: pos += 1 + b[pos]!; return;
      case 0xda: case 0xc5: pos += 2 + view.getUint16(pos); return;
      case 0xdb: case 0xc6: pos += 4 + view.getUint32(pos); return;
      case 0xdc: { const n = view.getUint16(pos); pos += 2; for (let i = 0; i < n; i++) skip(); return; }
      case 0xde: { const n = view.getUint16(pos); pos += 2; for (let i = 0; i < n * 2; i++) skip(); return; }
      default: throw new Error(`unexpected head 0x${h.toString(16)}`);
    }
  };
  skip();
  assert.equal(pos, b.length);
  return found;
}

test('encoded msgpack never uses str8 or bin heads', () => {
  for (const bytes of [apiReportJson(), ...probes.map((p) => p.msgpack)]) {
    const r = decodeReport(bytes, bytes[0] === 0x7b ? 'json' : 'msgpack');
    const out = encodeReport(r, 'msgpack');
    for (const h of [0xd9, 0xc4, 0xc5, 0xc6, 0xca]) assert.equal(containsHead(out, h), false, `head 0x${h.toString(16)}`);
  }
});

test('reportToWireJson writes Scope\'s shapes: 23 topologies, null sets, no empty DNS', () => {
  const r = decodeReport(probes[2]!.msgpack, 'msgpack');
  const w = reportToWireJson(r) as Record<string, Record<string, unknown>>;
  assert.ok(r.dns.size > 0);
  assert.deepEqual(Object.keys(w), [
    'TS', ...TOPOLOGIES.map((t) => t.wire), 'DNS', 'Sampling', 'Window', 'Shortcut', 'Plugins', 'ID',
  ]);
  r.dns.clear();
  assert.equal('DNS' in (reportToWireJson(r) as object), false, 'DNS omitted when empty');
  assert.deepEqual(w.Namespace, {});
  const proc = (w.Process!.nodes as Record<string, Record<string, unknown>>);
  const first = Object.values(proc)[0]!;
  assert.equal(first.sets, null);
  assert.equal(first.children, null);
  assert.ok(Array.isArray(w.Plugins));
});

test('encodeReportBody gzips; decodeReportBody reads it back in both formats', async () => {
  const r = decodeReport(probes[2]!.msgpack, 'msgpack');
  for (const format of ['msgpack', 'json'] as const) {
    const body = await encodeReportBody(r, format);
    assert.deepEqual([body[0], body[1]], [0x1f, 0x8b]);
    const back = await decodeReportBody(body, { contentType: `application/${format}`, contentEncoding: 'gzip' });
    assert.deepStrictEqual(back, r);
  }
});
