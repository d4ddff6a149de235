/** Optional protections: basic auth, bearer tokens with roles, probe token, HTTPS, audit log. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { WebSocket } from 'ws';
import type { RunningApp } from '../../src/app/index.js';
import { encodeReport } from '../../src/report/codec/index.js';
import { makeReport } from '../../src/report/model.js';
import { eventually, openWs, startTestApp, wsRefusal, wsUrl, SUITE } from './helpers.js';

const emptyReport = () => gzipSync(encodeReport(makeReport(), 'msgpack'));
const msgpackGzip = { 'content-type': 'application/msgpack', 'content-encoding': 'gzip' };

async function call(app: RunningApp, path: string, init: RequestInit = {}) {
  const res = await fetch(`${app.url}${path}`, { redirect: 'manual', signal: AbortSignal.timeout(10_000), ...init });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

describe('basic auth', SUITE, () => {
  let app: RunningApp;
  const basic = (user: string, pass: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` });
  before(async () => {
    app = await startTestApp({ auth: { basic: { username: 'admin', password: 's3cret' } } });
  });
  after(() => app.close());

  test('every route needs the credentials, probes included; health stays open', async () => {
    const denied = await call(app, 'api');
    assert.equal(denied.status, 401);
    assert.equal(denied.headers.get('www-authenticate'), 'Basic realm="Restricted"');
    assert.equal((await call(app, 'api', { headers: basic('admin', 'wrong') })).status, 401);
    assert.equal((await call(app, 'api', { headers: basic('admin', 's3cret') })).status, 200);
    assert.equal((await call(app, 'api/health')).status, 200);
    assert.equal((await call(app, 'api/report', { method: 'POST', body: emptyReport(), headers: msgpackGzip })).status, 401);
    const posted = await call(app, 'api/report', { method: 'POST', body: emptyReport(), headers: { ...msgpackGzip, ...basic('admin', 's3cret') } });
    assert.equal(posted.status, 200, posted.text);
    assert.equal((await wsRefusal(wsUrl(app, 'api/control/ws'), { 'X-Scope-Probe-ID': 'p' })).status, 401);
    const ws = await openWs(wsUrl(app, 'api/control/ws'), { 'X-Scope-Probe-ID': 'p', ...basic('admin', 's3cret') });
    ws.terminate();
  });
});

describe('bearer tokens and the probe token', SUITE, () => {
  let app: RunningApp;
  const sockets: WebSocket[] = [];
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
  before(async () => {
    app = await startTestApp({
      auth: { tokens: [{ token: 'adm', role: 'admin' }, { token: 'view', role: 'viewer' }], probeToken: 'prb' },
    });
  });
  after(async () => {
    for (const ws of sockets) ws.terminate();
    await app.close();
  });

  test('people need a token; viewers may look but not control or open pipes', async () => {
    assert.equal((await call(app, 'api')).status, 401);
    assert.equal((await call(app, 'api', { headers: bearer('nope') })).status, 401);
    assert.equal((await call(app, 'api', { headers: bearer('view') })).status, 200);
    assert.equal((await call(app, 'api/topology', { headers: { cookie: 'openscope_token=view' } })).status, 200);
    const viewerControl = await call(app, 'api/control/p/n/c', { method: 'POST', headers: bearer('view') });
    assert.equal(viewerControl.status, 403);
    assert.equal(typeof JSON.parse(viewerControl.text), 'string');
    assert.equal((await call(app, 'api/pipe/x/check', { headers: bearer('view') })).status, 403);
    assert.equal((await wsRefusal(wsUrl(app, 'api/pipe/x'), bearer('view'))).status, 403);
    const adminControl = await call(app, 'api/control/p/n/c', { method: 'POST', headers: bearer('adm') });
    assert.deepEqual([adminControl.status, JSON.parse(adminControl.text)], [400, 'probe p is not connected right now']);
    assert.equal((await call(app, 'api/health')).status, 200);
  });

  test('?token= on a page load sets the cookie the UI then uses', async () => {
    const page = await call(app, '?token=view');
    // Then redirected to the same page without the token in the address bar.
    assert.equal(page.status, 303);
    assert.equal(page.headers.get('location'), '/');
    assert.match(page.headers.get('set-cookie') ?? '', /^openscope_token=view; Path=\/; HttpOnly; SameSite=Strict/);
    const ws = await openWs(wsUrl(app, 'api/topology/hosts/ws'), { cookie: 'openscope_token=view' });
    sockets.push(ws);
  });

  test('probe routes take the probe token, not people tokens', async () => {
    const post = (headers: Record<string, string>) =>
      call(app, 'api/report', { method: 'POST', body: emptyReport(), headers: { ...msgpackGzip, ...headers } });
    assert.equal((await post({})).status, 401);
    assert.equal((await post({ authorization: 'Scope-Probe token=' })).status, 401);
    assert.equal((await post({ authorization: 'Scope-Probe token=prb' })).status, 200);
    // Probes learn the app id from GET /api with their token.
    assert.equal((await call(app, 'api', { headers: { authorization: 'Scope-Probe token=prb' } })).status, 200);
    assert.equal((await call(app, 'api', { headers: { authorization: 'Scope-Probe token=bad' } })).status, 401);
    assert.equal((await wsRefusal(wsUrl(app, 'api/control/ws'), { 'X-Scope-Probe-ID': 'p', ...bearer('adm') })).status, 401);
    sockets.push(await openWs(wsUrl(app, 'api/control/ws'), { 'X-Scope-Probe-ID': 'p', authorization: 'Scope-Probe token=prb' }));
    sockets.push(await openWs(wsUrl(app, 'api/pipe/pp/probe'), { authorization: 'Scope-Probe token=prb' }));
    // Either side may close a pipe.
    assert.equal((await call(app, 'api/pipe/pp', { method: 'DELETE', headers: { authorization: 'Scope-Probe token=prb' } })).status, 200);
    assert.equal((await call(app, 'api/pipe/pq', { method: 'DELETE', headers: bearer('adm') })).status, 200);
    assert.equal((await call(app, 'api/pipe/pr', { method: 'DELETE', headers: bearer('view') })).status, 403);
  });

  test('with people tokens but no probe token, probes still reach their routes and GET /api', async () => {
    const open = await startTestApp({ auth: { tokens: [{ token: 'adm', role: 'admin' }] } });
    try {
      const probeHeaders = { authorization: 'Scope-Probe token=', 'x-scope-probe-id': 'p' };
      assert.equal((await call(open, 'api', { headers: probeHeaders })).status, 200);
      assert.equal((await call(open, 'api')).status, 401, 'people still need a token');
      const posted = await call(open, 'api/report', { method: 'POST', body: emptyReport(), headers: { ...msgpackGzip, ...probeHeaders } });
      assert.equal(posted.status, 200);
    } finally {
      await open.close();
    }
  });

  test('basic auth and tokens together are refused at start', async () => {
    await assert.rejects(
      startTestApp({ auth: { basic: { username: 'a', password: 'b' }, probeToken: 'x' } }),
      /cannot be combined/,
    );
  });
});

describe('HTTPS and the audit log', SUITE, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'openscope-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore', timeout: 30_000 });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('serves HTTPS with the given certificate', async () => {
    const app = await startTestApp({ tls: { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') } });
    try {
      assert.ok(app.url.startsWith('https://'));
      const body = await new Promise<string>((resolve, reject) => {
        const req = httpsRequest(`${app.url}api`, { ca: readFileSync(join(dir, 'cert.pem')), timeout: 5000 }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve(text));
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal((JSON.parse(body) as { id: string }).id, app.appId);
    } finally {
      await app.close();
    }
  });

  test('a missing certificate is a clear start error', async () => {
    await assert.rejects(startTestApp({ tls: { certFile: join(dir, 'nope.pem'), keyFile: join(dir, 'key.pem') } }), /TLS certificate/);
  });

  test('controls and pipes are written to the audit log', async () => {
    const auditLogFile = join(dir, 'audit.log');
    const app = await startTestApp({ auditLogFile, auth: { tokens: [{ token: 'adm', role: 'admin' }] } });
    try {
      const probe = await openWs(wsUrl(app, 'api/control/ws'), { 'X-Scope-Probe-ID': 'p1' });
      probe.on('message', (data: Buffer) => {
        const frame = JSON.parse(data.toString()) as { Request: { Seq: number } | null };
        if (frame.Request) {
          probe.send(JSON.stringify({ Request: null, Response: { ServiceMethod: 'control.Handle', Seq: frame.Request.Seq, Error: '' }, Value: null }));
          probe.send(JSON.stringify({ Request: null, Response: null, Value: {} }));
        }
      });
      const res = await call(app, 'api/control/p1/n%3B1/docker_stop_container', { method: 'POST', headers: { authorization: 'Bearer adm' } });
      assert.equal(res.status, 200, res.text);
      const ui = await openWs(wsUrl(app, 'api/pipe/pipe-a'), { authorization: 'Bearer adm' });
      assert.equal((await call(app, 'api/pipe/pipe-a', { method: 'DELETE', headers: { authorization: 'Bearer adm' } })).status, 200);
      probe.terminate();
      ui.terminate();
      const lines = () => readFileSync(auditLogFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      await eventually(async () => lines().length >= 3, 5000, 'audit lines');
      const [control, attach, close] = lines();
      assert.deepEqual(
        { event: control!.event, principal: control!.principal, probeId: control!.probeId, nodeId: control!.nodeId, control: control!.control, status: control!.status },
        { event: 'control', principal: 'admin', probeId: 'p1', nodeId: 'n;1', control: 'docker_stop_container', status: 200 },
      );
      assert.equal(typeof control!.time, 'string');
      assert.deepEqual([attach!.event, attach!.pipeId, attach!.end], ['pipe-attach', 'pipe-a', 'ui']);
      assert.deepEqual([close!.event, close!.pipeId], ['pipe-close', 'pipe-a']);
    } finally {
      await app.close();
    }
  });
});
