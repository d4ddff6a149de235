/**
 * POST /api/report with real Scope probe traffic and with hostile bodies; GET /api/report back.
 * Issue #2 acceptance: every fixture → 200, every bad body → 4xx with the reason, and the app
 * keeps serving the good data afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { decodeReportBody, encodeReport } from '../../src/report/codec/index.js';
import { makeNode, makeReport } from '../../src/report/model.js';
import { timeFromMillis } from '../../src/report/time.js';
import type { Report } from '../../src/report/types.js';
import type { RunningApp } from '../../src/app/index.js';
import { fixtureReport, getJson, postReport, startTestApp, SUITE } from './helpers.js';

const FIXTURE_COUNT = 8;

async function decodeFixture(n: number): Promise<Report> {
  const f = fixtureReport(n);
  return decodeReportBody(f.body, {
    contentType: f.headers['content-type'],
    contentEncoding: f.headers['content-encoding'],
  });
}

/** Container node ids across all fixtures: what the merged report must contain. */
async function fixtureContainerIds(): Promise<string[]> {
  const ids = new Set<string>();
  for (let n = 1; n <= FIXTURE_COUNT; n++) {
    for (const id of (await decodeFixture(n)).topologies.container.nodes.keys()) ids.add(id);
  }
  return [...ids].sort();
}

async function mergedContainerIds(app: RunningApp): Promise<string[]> {
  const { status, body } = await getJson(app, 'api/report');
  assert.equal(status, 200);
  const nodes = (body as { Container: { nodes: Record<string, unknown> | null } }).Container.nodes ?? {};
  return Object.keys(nodes).sort();
}

describe('POST /api/report', SUITE, () => {
  let app: RunningApp;
  let expected: string[];

  before(async () => {
    app = await startTestApp();
    expected = await fixtureContainerIds();
    assert.ok(expected.length > 0, 'fixtures have containers');
  });
  after(async () => {
    await app.close();
  });

  test('accepts every recorded probe report with its recorded headers', async () => {
    for (let n = 1; n <= FIXTURE_COUNT; n++) {
      const f = fixtureReport(n);
      const res = await postReport(app, f.body, f.headers);
      const text = await res.text();
      assert.equal(res.status, 200, `report-0${n}: ${text}`);
      assert.equal(text, '');
    }
  });

  test('GET /api/report returns the merge, containing every fixture container', async () => {
    assert.deepEqual(await mergedContainerIds(app), expected);
    const res = await fetch(`${app.url}api/report`);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.equal(res.headers.get('cache-control'), 'no-cache');
  });

  test('GET /api/report serves msgpack when asked, decodable by the codec', async () => {
    const res = await fetch(`${app.url}api/report`, { headers: { accept: 'application/msgpack' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/msgpack');
    const report = await decodeReportBody(new Uint8Array(await res.arrayBuffer()), { contentType: 'application/msgpack' });
    assert.deepEqual([...report.topologies.container.nodes.keys()].sort(), expected);
  });

  test('GET /api/report is gzipped for clients that accept it', async () => {
    const res = await fetch(`${app.url}api/report`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-encoding'), 'gzip');
    await res.arrayBuffer();
  });

  test('GET /api/report censors command arguments and environment variables on request', async () => {
    const own = await startTestApp();
    try {
      const r = makeReport();
      const ts = timeFromMillis(Date.now());
      const proc = makeNode('h;1', 'process');
      proc.latest.set('cmdline', { timestamp: ts, value: 'nginx -g daemon off;' });
      r.topologies.process.nodes.set('h;1', proc);
      const cont = makeNode('c;<container>', 'container');
      cont.latest.set('docker_container_command', { timestamp: ts, value: 'sh -c sleep' });
      cont.latest.set('docker_env_SECRET', { timestamp: ts, value: 'hunter2' });
      r.topologies.container.nodes.set('c;<container>', cont);
      assert.equal((await postReport(own, encodeReport(r, 'json'), { 'content-type': 'application/json' })).status, 200);
      type Raw = Record<string, { nodes: Record<string, { latest: Record<string, { value: string }> }> }>;
      const latest = (body: unknown, wire: string, id: string) => (body as Raw)[wire]!.nodes[id]!.latest;
      const plain = (await getJson(own, 'api/report')).body;
      assert.equal(latest(plain, 'Process', 'h;1').cmdline!.value, 'nginx -g daemon off;');
      assert.equal(latest(plain, 'Container', 'c;<container>').docker_env_SECRET!.value, 'hunter2');
      const censored = (await getJson(own, 'api/report?hideCommandLineArguments=true&hideEnvironmentVariables=true')).body;
      assert.equal(latest(censored, 'Process', 'h;1').cmdline!.value, 'nginx');
      assert.equal(latest(censored, 'Container', 'c;<container>').docker_container_command!.value, 'sh');
      assert.equal(latest(censored, 'Container', 'c;<container>').docker_env_SECRET, undefined);
      // The shared merge is untouched.
      const again = (await getJson(own, 'api/report')).body;
      assert.equal(latest(again, 'Container', 'c;<container>').docker_env_SECRET!.value, 'hunter2');
    } finally {
      await own.close();
    }
  });

  test('accepts JSON bodies, plain and gzipped', async () => {
    const report = await decodeFixture(1);
    const json = encodeReport(report, 'json');
    for (const [body, headers] of [
      [json, { 'content-type': 'application/json' }],
      [gzipSync(json), { 'content-type': 'application/json', 'content-encoding': 'gzip' }],
    ] as const) {
      const res = await postReport(app, body, headers);
      const text = await res.text();
      assert.equal(res.status, 200, text);
    }
  });

  const fixtureBody = () => fixtureReport(3).body;
  const msgpackGzip = { 'content-type': 'application/msgpack', 'content-encoding': 'gzip' };
  const json = { 'content-type': 'application/json' };
  const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
  const bad: Array<{ name: string; body: () => Uint8Array; headers: Record<string, string>; status?: number; reason: RegExp }> = [
    { name: 'truncated gzip', body: () => fixtureBody().subarray(0, 2000), headers: msgpackGzip, reason: /decompress|unexpected end/i },
    { name: 'gzip of garbage msgpack', body: () => gzipSync(Buffer.from([0xc1, 0xde, 0xad, 0xbe, 0xef])), headers: msgpackGzip, reason: /./ },
    {
      name: 'msgpack cut short',
      body: () => gzipSync(encodeReportSlice()),
      headers: msgpackGzip,
      reason: /./,
    },
    { name: 'not gzip at all', body: () => Buffer.from('hello'), headers: msgpackGzip, reason: /./ },
    { name: 'JSON syntax error', body: () => Buffer.from('{"Process": '), headers: json, reason: /./ },
    { name: 'JSON with wrong types', body: () => Buffer.from('{"Process": {"nodes": 5}}'), headers: json, reason: /Process/ },
    { name: 'JSON array instead of report', body: () => Buffer.from('[1,2,3]'), headers: json, reason: /./ },
    { name: 'deeply nested JSON', body: () => Buffer.from(`{"Plugins": ${nested(100_000)}}`), headers: json, reason: /./ },
    { name: 'deeply nested msgpack', body: () => gzipSync(Buffer.alloc(100_000, 0x91)), headers: msgpackGzip, reason: /./ },
    { name: 'gzip bomb', body: gzipBomb, headers: msgpackGzip, status: 413, reason: /limit/ },
    { name: 'empty body', body: () => Buffer.alloc(0), headers: msgpackGzip, reason: /empty/ },
    { name: 'a body without content type', body: () => fixtureBody(), headers: {}, status: 415, reason: /Unsupported Content-Type/ },
    { name: 'unsupported content type', body: () => Buffer.from('x'), headers: { 'content-type': 'text/plain' }, status: 415, reason: /Unsupported Content-Type/ },
  ];

  for (const c of bad) {
    test(`refuses ${c.name} with a 4xx and its reason, and keeps serving`, async () => {
      const res = await postReport(app, c.body(), c.headers);
      const text = await res.text();
      assert.ok(res.status >= 400 && res.status < 500, `status ${res.status}: ${text}`);
      if (c.status !== undefined) assert.equal(res.status, c.status, text);
      const reason = JSON.parse(text) as unknown;
      assert.equal(typeof reason, 'string', `error body is a JSON string: ${text}`);
      assert.match(reason as string, c.reason);
      // Still alive, still holding the good data.
      assert.equal((await getJson(app, 'api')).status, 200);
      assert.deepEqual(await mergedContainerIds(app), expected);
    });
  }

  test('refuses a compressed body over the wire limit with 413', async () => {
    const small = await startTestApp({ maxReportBodyBytes: 1024 });
    try {
      const f = fixtureReport(3);
      const res = await postReport(small, f.body, f.headers);
      assert.equal(res.status, 413);
      assert.equal(typeof JSON.parse(await res.text()), 'string');
      assert.equal((await getJson(small, 'api')).status, 200);
    } finally {
      await small.close();
    }
  });

  test('/metrics counts received and refused reports', async () => {
    const text = await (await fetch(`${app.url}metrics`)).text();
    const received = /^openscope_app_reports_received_total (\d+)/m.exec(text);
    assert.ok(received && Number(received[1]) >= FIXTURE_COUNT, text);
    assert.match(text, /^openscope_app_reports_refused_total\{reason="too-large"\} [1-9]/m);
    assert.match(text, /^openscope_app_reports_refused_total\{reason="bad-compression"\} [1-9]/m);
    assert.match(text, /^openscope_app_report_bytes_total [1-9]/m);
    assert.match(text, /^openscope_app_merge_duration_seconds_count [1-9]/m);
  });
});

/** The msgpack encoding of a real report with its second half cut off. */
function encodeReportSlice(): Uint8Array {
  // A report encoded by our own codec keeps this independent of the fixture's compression.
  const bytes = encodeReportCache ?? new Uint8Array(0);
  return bytes.subarray(0, Math.floor(bytes.length / 2));
}
let encodeReportCache: Uint8Array | undefined;
before(async () => {
  encodeReportCache = encodeReport(await decodeFixture(3), 'msgpack');
});

/** 80 MiB of zeros as 80 concatenated gzip members (gunzip reads them all), built in milliseconds. */
function gzipBomb(): Uint8Array {
  const member = gzipSync(Buffer.alloc(1024 * 1024));
  return Buffer.concat(Array.from({ length: 80 }, () => member));
}
