/**
 * Issue #2 acceptance, against the real CLI: `openscope --mode=app` accepts every recorded Scope
 * probe report exactly as it was POSTed (gzip + msgpack + Scope's headers) and Scope JSON bodies;
 * every bad body gets a 4xx with a reason, and the app keeps serving what it had.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { FIXTURES, getJson, startOpenScope, type OpenScopeProcess } from '../helpers/openscope-process.js';

const reportsDir = `${FIXTURES}probe-reports/`;
const fixtureNames = readdirSync(reportsDir).filter((f) => f.endsWith('.msgpack.gz')).sort();

let app: OpenScopeProcess;
before(async () => {
  app = await startOpenScope(['--mode=app', '--app.window=60s']);
});
after(async () => {
  await app?.stop();
});

async function post(body: Uint8Array, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const res = await fetch(`${app.url}/api/report`, { method: 'POST', body, headers });
  return { status: res.status, text: await res.text() };
}

async function containerNames(): Promise<string[]> {
  const report = await getJson<{ Container: { nodes?: Record<string, { latest?: Record<string, { value: string }> }> } }>(
    `${app.url}/api/report`,
  );
  return Object.values(report.Container.nodes ?? {})
    .map((n) => n.latest?.docker_container_name?.value ?? '')
    .filter(Boolean)
    .sort();
}

test('every recorded probe report is accepted exactly as Scope POSTed it', async () => {
  assert.equal(fixtureNames.length, 8);
  for (const name of fixtureNames) {
    const body = readFileSync(reportsDir + name);
    const recorded = JSON.parse(readFileSync(reportsDir + name.replace('.msgpack.gz', '.headers.json'), 'utf8')) as {
      headers: Record<string, string>;
    };
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(recorded.headers)) {
      if (!['host', 'content-length', 'connection', 'accept-encoding'].includes(k)) headers[k] = v;
    }
    const res = await post(body, headers);
    assert.equal(res.status, 200, `${name}: ${res.text}`);
  }
  const names = await containerNames();
  for (const expected of ['api', 'client', 'db', 'frontend', 'web']) assert.ok(names.includes(expected), `missing ${expected} in ${names.join(',')}`);
});

test('a Scope JSON report body is accepted, plain and gzipped', async () => {
  const json = gunzipSync(readFileSync(`${FIXTURES}samples/api-report.raw.json.gz`));
  assert.equal((await post(json, { 'content-type': 'application/json' })).status, 200);
  assert.equal((await post(gzipSync(json), { 'content-type': 'application/json', 'content-encoding': 'gzip' })).status, 200);
});

test('every bad body is refused with a 4xx and a reason, and the app keeps its data', async () => {
  const good = readFileSync(`${reportsDir}${fixtureNames[2]}`);
  const deep = '['.repeat(100_000) + ']'.repeat(100_000);
  const bomb = gzipSync(Buffer.alloc(200 * 1024 * 1024)); // ~200 KiB that inflates to 200 MiB
  const cases: Array<[string, Uint8Array, Record<string, string>]> = [
    ['truncated gzip', good.subarray(0, Math.floor(good.length / 2)), { 'content-type': 'application/msgpack', 'content-encoding': 'gzip' }],
    ['corrupt msgpack', gzipSync(Buffer.from([0xc1, 0xc1, 0xc1, 0xff])), { 'content-type': 'application/msgpack', 'content-encoding': 'gzip' }],
    ['truncated msgpack', gunzipSync(good).subarray(0, 500), { 'content-type': 'application/msgpack' }],
    ['not JSON', Buffer.from('{"TS": "2023-'), { 'content-type': 'application/json' }],
    ['wrong types', Buffer.from('{"Process": {"nodes": {"h;1": {"latest": {"pid": {"timestamp": 5, "value": 7}}}}}}'), { 'content-type': 'application/json' }],
    ['report is an array', Buffer.from('[1,2,3]'), { 'content-type': 'application/json' }],
    ['excessive nesting', Buffer.from(deep), { 'content-type': 'application/json' }],
    ['gzip bomb', bomb, { 'content-type': 'application/msgpack', 'content-encoding': 'gzip' }],
    ['unsupported content type', Buffer.from('hello'), { 'content-type': 'text/plain' }],
    ['empty body', Buffer.alloc(0), { 'content-type': 'application/msgpack' }],
  ];
  for (const [what, body, headers] of cases) {
    const res = await post(body, headers);
    assert.ok(res.status >= 400 && res.status < 500, `${what}: expected 4xx, got ${res.status} ${res.text}`);
    assert.ok(res.text.length > 2, `${what}: the refusal must say why`);
    const api = await fetch(`${app.url}/api`);
    assert.equal(api.status, 200, `app stopped answering after ${what}`);
  }
  const names = await containerNames();
  assert.ok(names.includes('frontend'), 'good data must survive bad reports');
});
