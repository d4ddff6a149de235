/**
 * Property: whatever bytes arrive, the decoder returns a Report or throws ReportDecodeError —
 * never another error, never a hang. Inputs are recorded reports with random mutations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeReport, decodeReportBody, ReportDecodeError, type ReportFormat } from '../../src/report/codec/index.js';
import type { Report } from '../../src/report/types.js';
import { probeFixtures } from './codec-fixtures.js';

const probes = probeFixtures();
const msgpackSamples = [probes[0]!.msgpack, probes[1]!.msgpack];
const jsonSample = new TextEncoder().encode(JSON.stringify({
  TS: '2023-03-01T12:00:00.123456789Z',
  Host: { nodes: { 'h;<host>': { id: 'h;<host>', topology: 'host', sets: { a: ['x', 'y'] }, adjacency: ['b'],
    latest: { k: { timestamp: '2023-03-01T12:00:00Z', value: 'v' } },
    metrics: { m: { samples: [{ date: '2023-03-01T12:00:00Z', value: 1.5 }], min: 0, max: 2 } },
    parents: null, children: [{ id: 'c' }] } },
  controls: { c: { id: 'c', human: 'C', icon: 'i', rank: 1 } } },
  Window: 3000000000, Plugins: [], ID: '1',
}));

/** A mutation: overwrite, insert or delete bytes, or truncate. */
const mutation = fc.oneof(
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(src: Uint8Array, ms: Mutation[]): Uint8Array {
  let b = Array.from(src);
  for (const m of ms) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    if (m.op === 'set') b[at] = m.byte;
    else if (m.op === 'insert') b.splice(at, 0, ...m.bytes);
    else if (m.op === 'delete') b.splice(at, m.count);
    else b = b.slice(0, at);
  }
  return Uint8Array.from(b);
}

function decodesOrTypedError(bytes: Uint8Array, format: ReportFormat): boolean {
  let r: Report;
  try {
    r = decodeReport(bytes, format);
  } catch (e) {
    if (e instanceof ReportDecodeError) return true;
    throw e;
  }
  assert.equal(typeof r.ts, 'string');
  assert.ok(r.topologies.host.nodes instanceof Map);
  return true;
}

test('mutated msgpack reports decode or fail with ReportDecodeError', () => {
  fc.assert(fc.property(fc.constantFrom(...msgpackSamples), fc.array(mutation, { minLength: 1, maxLength: 4 }),
    (src, ms) => decodesOrTypedError(mutate(src, ms), 'msgpack')), { numRuns: 400 });
});

test('mutated JSON reports decode or fail with ReportDecodeError', () => {
  fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }),
    (ms) => decodesOrTypedError(mutate(jsonSample, ms), 'json')), { numRuns: 400 });
});

test('random bytes decode or fail with ReportDecodeError, both formats', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), fc.constantFrom<ReportFormat>('json', 'msgpack'),
    (bytes, format) => decodesOrTypedError(bytes, format)), { numRuns: 500 });
});

test('mutated gzip bodies decode or reject with ReportDecodeError', async () => {
  await fc.assert(fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (ms) => {
    try {
      await decodeReportBody(mutate(probes[0]!.gz, ms), { contentType: 'application/msgpack', contentEncoding: 'gzip' });
    } catch (e) {
      if (!(e instanceof ReportDecodeError)) throw e;
    }
  }), { numRuns: 200 });
});
