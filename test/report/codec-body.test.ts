/** HTTP bodies (wire §4.1): content types, gzip/deflate, limits and gzip bombs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import {
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  decodeReport,
  SYNC_INFLATE_MAX_BYTES,
  decodeReportBody,
  ReportDecodeError,
  type ReportDecodeErrorKind,
} from '../../src/report/codec/index.js';
import { apiReportJson, probeFixtures } from './codec-fixtures.js';

async function rejects(p: Promise<unknown>, kind: ReportDecodeErrorKind, status: number, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ReportDecodeError, `expected ReportDecodeError, got ${String(e)}`);
    assert.equal(e.kind, kind, e.message);
    assert.equal(e.httpStatus, status);
    if (message) assert.match(e.message, message);
    return true;
  });
}

const probe = probeFixtures()[2]!;
const expected = decodeReport(probe.msgpack, 'msgpack');
const json = apiReportJson();

test('content type picks the format by prefix (Scope\'s rule), case-insensitively', async () => {
  const r = await decodeReportBody(json, { contentType: 'application/json; charset=utf-8' });
  assert.equal(r.ts, '2026-11-25T14:57:15.005027401Z');
  const m = await decodeReportBody(probe.msgpack, { contentType: 'Application/MsgPack' });
  assert.deepStrictEqual(m, expected);
});

test('unsupported or missing content type → 415 with Scope\'s message', async () => {
  await rejects(decodeReportBody(json, { contentType: 'text/plain' }), 'unsupported-media-type', 415,
    /^Unsupported Content-Type: text\/plain$/);
  await rejects(decodeReportBody(json, {}), 'unsupported-media-type', 415);
  await rejects(decodeReportBody(json, { contentType: 'application/x-msgpack' }), 'unsupported-media-type', 415);
});

test('gzip by header, and by magic bytes without a header; deflate zlib and raw', async () => {
  const ct = { contentType: 'application/msgpack' };
  assert.deepStrictEqual(await decodeReportBody(probe.gz, { ...ct, contentEncoding: 'gzip' }), expected);
  assert.deepStrictEqual(await decodeReportBody(probe.gz, ct), expected);
  assert.deepStrictEqual(await decodeReportBody(probe.gz, { ...ct, contentEncoding: 'x-gzip' }), expected);
  assert.deepStrictEqual(await decodeReportBody(deflateSync(probe.msgpack), { ...ct, contentEncoding: 'deflate' }), expected);
  assert.deepStrictEqual(await decodeReportBody(deflateRawSync(probe.msgpack), { ...ct, contentEncoding: 'deflate' }), expected);
});

test('corrupt and truncated gzip → bad-compression (400)', async () => {
  const ct = { contentType: 'application/msgpack', contentEncoding: 'gzip' };
  await rejects(decodeReportBody(probe.gz.subarray(0, probe.gz.length / 2), ct), 'bad-compression', 400);
  const corrupt = Uint8Array.from(probe.gz);
  corrupt.fill(0x55, 20, 60);
  await rejects(decodeReportBody(corrupt, ct), 'bad-compression', 400);
  await rejects(decodeReportBody(probe.msgpack, ct), 'bad-compression', 400);
});

test('empty body → empty (400)', async () => {
  await rejects(decodeReportBody(new Uint8Array(0), { contentType: 'application/json' }), 'empty', 400);
});

test('gzip bomb: a small body inflating past the limit → too-large (413)', async () => {
  // 100 gzip members of 1 MiB of zeros each: ~100 KiB on the wire, 100 MiB inflated.
  const member = gzipSync(new Uint8Array(1 << 20), { level: 9 });
  const bomb = Buffer.concat(new Array<Buffer>(100).fill(member));
  assert.ok(bomb.length < 200 * 1024);
  assert.equal(DEFAULT_MAX_DECOMPRESSED_BYTES, 64 * 1024 * 1024);
  await rejects(decodeReportBody(bomb, { contentType: 'application/msgpack', contentEncoding: 'gzip' }),
    'too-large', 413, /limit of 67108864 bytes/);
  await rejects(decodeReportBody(member, {
    contentType: 'application/json', contentEncoding: 'gzip', maxDecompressedBytes: 64 * 1024,
  }), 'too-large', 413);
});

test('bodies over the inline-inflate size inflate off the main thread, with the same results and limits', async () => {
  const json = { contentType: 'application/json', contentEncoding: 'gzip' };
  const stored = gzipSync(apiReportJson(), { level: 0 }); // stored blocks: as large as the JSON
  assert.ok(stored.length > SYNC_INFLATE_MAX_BYTES);
  const small = gzipSync(apiReportJson());
  assert.ok(small.length <= SYNC_INFLATE_MAX_BYTES);
  assert.deepStrictEqual(await decodeReportBody(stored, json), await decodeReportBody(small, json));
  const member = gzipSync(new Uint8Array(1 << 20), { level: 9 });
  const bomb = Buffer.concat(new Array<Buffer>(400).fill(member));
  assert.ok(bomb.length > SYNC_INFLATE_MAX_BYTES);
  await rejects(decodeReportBody(bomb, json), 'too-large', 413, /limit of 67108864 bytes/);
  await rejects(decodeReportBody(stored.subarray(0, stored.length - 100), json), 'bad-compression', 400);
});

test('uncompressed bodies over the limit → too-large; at the limit decode', async () => {
  await rejects(decodeReportBody(json, { contentType: 'application/json', maxDecompressedBytes: json.length - 1 }),
    'too-large', 413);
  const r = await decodeReportBody(json, { contentType: 'application/json', maxDecompressedBytes: json.length });
  assert.ok(r.topologies.process.nodes.size > 0);
});

test('decoded body errors come through typed: gzip of garbage msgpack → malformed', async () => {
  await rejects(decodeReportBody(gzipSync(Uint8Array.from([0xc1])), { contentType: 'application/msgpack' }),
    'malformed', 400);
});

test('gzip inflates whole whatever the trailer says: members whose last trailer is small, and exactly at the limit', async () => {
  // The inflate chunk is sized by the last gzip trailer; two members make it too small by far.
  const bytes = probe.msgpack;
  const cut = bytes.length - 100;
  const twoMembers = Buffer.concat([gzipSync(bytes.subarray(0, cut)), gzipSync(bytes.subarray(cut))]);
  const opts = { contentType: 'application/msgpack', contentEncoding: 'gzip' };
  assert.deepStrictEqual(await decodeReportBody(twoMembers, opts), expected);
  const one = gzipSync(bytes);
  assert.deepStrictEqual(await decodeReportBody(one, { ...opts, maxDecompressedBytes: bytes.length }), expected);
  await rejects(decodeReportBody(one, { ...opts, maxDecompressedBytes: bytes.length - 1 }), 'too-large', 413);
});
