import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { silentLogger } from '../../src/common/log.js';
import { AppClient } from '../../src/probe/publish/app-client.js';
import { Publisher } from '../../src/probe/publish/publisher.js';
import type { ProbeIdentity } from '../../src/probe/publish/http.js';
import { makeNode, makeReport } from '../../src/report/model.js';
import { encodeReportBody } from '../../src/report/codec/index.js';
import { FakeApp } from './fake-app.js';
import { waitFor } from './helpers.js';

const identity: ProbeIdentity = { probeId: '1bbd5237cef35570', version: 'v-test', authorization: 'Scope-Probe token=tok', insecure: false };
const FAST = { initialMillis: 200, maxMillis: 400, jitter: 0 };
const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function app(id?: string): Promise<FakeApp> {
  const a = await new FakeApp(id).listen();
  cleanups.push(() => a.close());
  return a;
}

function publisher(targets: string[]): Publisher {
  const p = new Publisher({
    targets: targets.map((url) => ({ url })),
    identity: () => identity,
    logger: silentLogger(),
    timeoutMillis: 2000,
    controls: undefined,
    stdout: false,
    backoff: FAST,
  });
  p.start();
  cleanups.push(() => p.stop(0));
  return p;
}

function sampleReport(): ReturnType<typeof makeReport> {
  const r = makeReport();
  r.topologies.host.nodes.set('h;<host>', makeNode('h;<host>', 'host'));
  return r;
}

test('reports are POSTed as gzip msgpack with Scope headers, and decode back', async () => {
  const a = await app();
  const p = publisher([a.url]);
  await waitFor('app id', () => p.clients[0]!.appId, 5000);
  await p.publish(sampleReport());
  const got = await waitFor('a report', () => a.reports[0], 5000);
  assert.equal(got.headers['content-type'], 'application/msgpack');
  assert.equal(got.headers['content-encoding'], 'gzip');
  assert.equal(got.headers['x-scope-probe-id'], identity.probeId);
  assert.equal(got.headers['x-scope-probe-version'], 'v-test');
  assert.equal(got.headers['user-agent'], 'Scope_Probe/v-test');
  assert.equal(got.headers.authorization, 'Scope-Probe token=tok');
  assert.ok(gunzipSync(got.rawBody).length > 0, 'body is gzip');
  assert.ok(got.report.topologies.host.nodes.has('h;<host>'));
});

test('an app answering 500 is retried with backoff, and the queue stays bounded', async () => {
  const a = await app();
  a.reportStatus = 500;
  const p = publisher([a.url]);
  await waitFor('app id', () => p.clients[0]!.appId, 5000);
  const body = await encodeReportBody(sampleReport(), 'msgpack');
  for (let i = 0; i < 50; i++) p.clients[0]!.enqueue(body, 'application/msgpack', false);
  assert.ok(p.clients[0]!.queueLength <= 2);
  assert.ok(p.clients[0]!.stats.evicted >= 47);
  await sleep(900);
  // With 200 ms backoff (no jitter), at most ~5 attempts fit in 900 ms; without backoff, hundreds.
  assert.ok(a.posts.length >= 1 && a.posts.length <= 5, `posts: ${a.posts.length}`);
  a.reportStatus = 200;
  for (let i = 0; i < 3; i++) p.clients[0]!.enqueue(body, 'application/msgpack', false);
  await waitFor('recovery', () => (a.reports.length > 0 ? true : undefined), 5000);
});

test('an app that is down costs no memory growth and is found when it comes up', async () => {
  const probePort = await (async () => {
    const tmp = await new FakeApp().listen();
    const port = tmp.port;
    await tmp.close();
    return port;
  })();
  const p = publisher([`http://127.0.0.1:${probePort}`]);
  for (let i = 0; i < 20; i++) await p.publish(sampleReport());
  assert.ok(p.clients[0]!.queueLength <= 2);
  assert.equal(p.clients[0]!.appId, undefined);
  await sleep(300);
  const a = await new FakeApp().listen(probePort);
  cleanups.push(() => a.close());
  await waitFor('discovery after the app came up', () => p.clients[0]!.appId, 5000);
  await waitFor('queued report delivered', () => a.reports[0], 5000);
});

test('several apps each get every report; two targets reaching the same app publish once', async () => {
  const a = await app('app-a');
  const b = await app('app-b');
  const p = publisher([a.url, b.url, a.url.replace('127.0.0.1', 'localhost')]);
  await waitFor('all app ids', () => (p.clients.every((c) => c.appId) ? true : undefined), 5000);
  await p.publish(sampleReport());
  await waitFor('both apps got it', () => (a.reports.length === 1 && b.reports.length === 1 ? true : undefined), 5000);
  await sleep(300);
  assert.equal(a.reports.length, 1, 'duplicate target of app-a did not publish twice');
});

test('shortcut reports are dropped, not queued, when the queue is full', async () => {
  const client = new AppClient({ url: 'http://127.0.0.1:1', identity, logger: silentLogger(), backoff: FAST });
  const body = new Uint8Array([1]);
  assert.equal(client.enqueue(body, 'application/msgpack', false), true);
  assert.equal(client.enqueue(body, 'application/msgpack', false), true);
  assert.equal(client.enqueue(body, 'application/msgpack', true), false);
  assert.equal(client.stats.droppedShortcuts, 1);
  assert.equal(client.queueLength, 2);
});
