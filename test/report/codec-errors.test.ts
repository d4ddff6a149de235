/** Bad report bodies (issue #2 point 4): each fails with its typed error, never a crash or hang. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encode as libEncode } from '@msgpack/msgpack';
import { decodeReport, ReportDecodeError, type ReportDecodeErrorKind } from '../../src/report/codec/index.js';
import { decodeReportWithBudget } from '../../src/report/codec/decode.js';
import { apiReportJson, probeFixtures } from './codec-fixtures.js';

function fails(f: () => unknown, kind: ReportDecodeErrorKind, message?: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof ReportDecodeError, `expected ReportDecodeError, got ${String(e)}`);
    assert.equal(e.kind, kind, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

const small = probeFixtures()[0]!.msgpack;

test('empty bodies', () => {
  fails(() => decodeReport(new Uint8Array(0), 'msgpack'), 'empty');
  fails(() => decodeReport(new Uint8Array(0), 'json'), 'empty');
});

test('every truncation of a real msgpack report is malformed', () => {
  for (let n = 1; n < small.length; n++) fails(() => decodeReport(small.subarray(0, n), 'msgpack'), 'malformed');
});

test('truncated JSON is malformed', () => {
  const j = apiReportJson();
  for (const n of [1, 10, 1000, j.length - 1]) fails(() => decodeReport(j.subarray(0, n), 'json'), 'malformed');
});

test('corrupt msgpack: invalid head byte, trailing bytes, lying lengths', () => {
  fails(() => decodeReport(Uint8Array.from([0xc1]), 'msgpack'), 'malformed', /invalid msgpack byte 0xc1/);
  fails(() => decodeReport(Uint8Array.from([...small, 0x00]), 'msgpack'), 'malformed', /trailing/);
  // Claims 4 G entries in 5 bytes: rejected before allocating anything.
  fails(() => decodeReport(Uint8Array.from([0xdd, 0xff, 0xff, 0xff, 0xff]), 'msgpack'), 'malformed');
  fails(() => decodeReport(Uint8Array.from([0xdf, 0xff, 0xff, 0xff, 0xff]), 'msgpack'), 'malformed');
  fails(() => decodeReport(Uint8Array.from([0xdb, 0xff, 0xff, 0xff, 0xff]), 'msgpack'), 'malformed');
  // A map key that is not a string: valid msgpack, wrong type.
  fails(() => decodeReport(Uint8Array.from([0x81, 0x01, 0x02]), 'msgpack'), 'bad-type', /expected string map key, got number/);
  fails(() => decodeReport(Uint8Array.from([0x81, 0xa1, 0x58, 0x81, 0x91, 0x02, 0x02]), 'msgpack'), 'bad-type',
    /expected string map key, got array/);
});

test('corrupt JSON: not JSON at all, and msgpack sent as JSON', () => {
  fails(() => decodeReport(new TextEncoder().encode('{"TS": '), 'json'), 'malformed');
  fails(() => decodeReport(small, 'json'), 'malformed');
});

test('wrong types at the top level and in fields', () => {
  fails(() => decodeReport(libEncode([1, 2, 3]), 'msgpack'), 'bad-type', /top level/);
  fails(() => decodeReport(libEncode('report'), 'msgpack'), 'bad-type');
  fails(() => decodeReport(new TextEncoder().encode('null'), 'json'), 'bad-type');
  fails(() => decodeReport(libEncode({ Host: { nodes: { h: { adjacency: 'x' } } } }), 'msgpack'), 'bad-type',
    /^Host\.nodes\.h\.adjacency: expected array of strings, got string$/);
  fails(() => decodeReport(libEncode({ Window: 'long' }), 'msgpack'), 'bad-type', /^Window: expected integer/);
  fails(() => decodeReport(libEncode({ ID: 7 }), 'msgpack'), 'bad-type', /^ID: expected string/);
});

/** `{"Host":{"nodes":{"h":{"children":[{"children":[…]}]}}}}` with `levels` nested children. */
function nestedChildrenJson(levels: number): string {
  return `{"Host":{"nodes":{"h":${'{"children":['.repeat(levels)}{}${']}'.repeat(levels)}}}}`;
}

test('excessive nesting: JSON node children', () => {
  assert.equal(decodeReport(new TextEncoder().encode(nestedChildrenJson(10)), 'json').topologies.host.nodes.size, 1);
  fails(() => decodeReport(new TextEncoder().encode(nestedChildrenJson(100)), 'json'), 'too-deep');
  fails(() => decodeReport(new TextEncoder().encode(nestedChildrenJson(200_000)), 'json'), 'too-deep');
});

test('excessive nesting: msgpack, anywhere in the document, without overflowing the stack', () => {
  for (const depth of [65, 1000, 1_000_000]) {
    // {"X": [[[[…]]]]} — even under an unknown key.
    const bytes = new Uint8Array(4 + depth);
    bytes.set([0x81, 0xa1, 0x58]);
    bytes.fill(0x91, 3, 3 + depth);
    bytes[3 + depth] = 0xc0;
    fails(() => decodeReport(bytes, 'msgpack'), 'too-deep', /nesting deeper than 64/);
  }
  const ok = Uint8Array.from([0x81, 0xa1, 0x58, ...new Array<number>(20).fill(0x91), 0xc0]);
  assert.ok(decodeReport(ok, 'msgpack'));
});

test('errors carry HTTP statuses', () => {
  const e = new ReportDecodeError('too-large', 'x');
  assert.equal(e.httpStatus, 413);
  assert.equal(new ReportDecodeError('unsupported-media-type', 'x').httpStatus, 415);
  assert.equal(new ReportDecodeError('malformed', 'x').httpStatus, 400);
  assert.equal(e.name, 'ReportDecodeError');
});

test('a small body expanding into too many objects → too-large (413), both formats', () => {
  const n = 2000;
  const nodes: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) nodes[`n${i}`] = {};
  const tree = { Host: { nodes } };
  for (const [format, bytes] of [['json', new TextEncoder().encode(JSON.stringify(tree))], ['msgpack', libEncode(tree)]] as const) {
    // 2000 empty nodes cost 16 000 units: over a 10 000-unit budget, under the default.
    assert.throws(() => decodeReportWithBudget(bytes, format, 10_000), (e: unknown) =>
      e instanceof ReportDecodeError && e.kind === 'too-large' && e.httpStatus === 413 && /decode budget/.test(e.message));
    assert.equal(decodeReport(bytes, format).topologies.host.nodes.size, n);
  }
  // Containers under unknown keys count too (msgpack builds them before ignoring them).
  const junk = libEncode({ X: new Array<unknown[]>(20_000).fill([]) });
  assert.throws(() => decodeReportWithBudget(junk, 'msgpack', 10_000), (e: unknown) =>
    e instanceof ReportDecodeError && e.kind === 'too-large');
});

test('real reports stay far inside the default decode budget', () => {
  for (const bytes of [apiReportJson(), ...probeFixtures().map((p) => p.msgpack)]) {
    const format = bytes[0] === 0x7b ? 'json' : 'msgpack';
    assert.ok(decodeReportWithBudget(bytes, format, 100_000));
  }
});
