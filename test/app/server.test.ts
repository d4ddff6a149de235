/** App identity, health, metrics, static UI, base path, config errors and shutdown. */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { WebSocket } from 'ws';
import Fastify from 'fastify';
import { AppConfigError, defaultAppConfig, startApp } from '../../src/app/index.js';
import { handlerTimeouts } from '../../src/app/server.js';
import { silentLogger } from '../../src/common/log.js';
import { getJson, openWs, startTestApp, wsUrl, SUITE, withTimeout } from './helpers.js';

describe('app server', SUITE, () => {
  test('GET /api: random hex id, version, hostname, plugins, capabilities', async () => {
    const app = await startTestApp();
    try {
      const res = await fetch(`${app.url}api`);
      assert.equal(res.headers.get('content-type'), 'application/json');
      const body = (await res.json()) as Record<string, unknown>;
      assert.match(body.id as string, /^[0-9a-f]{1,16}$/);
      assert.equal(body.id, app.appId);
      assert.equal(body.version, 'test');
      assert.equal(body.hostname, 'testhost');
      assert.deepEqual(body.plugins, []);
      assert.deepEqual(body.capabilities, { historic_reports: false });
    } finally {
      await app.close();
    }
  });

  test('GET /api/health answers 200 while running', async () => {
    const app = await startTestApp();
    try {
      const { status, body } = await getJson(app, 'api/health');
      assert.equal(status, 200);
      assert.equal((body as { status: string }).status, 'ok');
    } finally {
      await app.close();
    }
  });

  test('/metrics is Prometheus text with the app figures', async () => {
    const app = await startTestApp();
    try {
      await getJson(app, 'api');
      const res = await fetch(`${app.url}metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
      const text = await res.text();
      for (const name of [
        'openscope_app_reports_received_total',
        'openscope_app_reports_refused_total',
        'openscope_app_report_bytes_total',
        'openscope_app_merge_duration_seconds',
        'openscope_app_render_duration_seconds',
        'openscope_app_connected_probes',
        'openscope_app_websocket_clients',
        'scope_request_duration_seconds',
      ]) {
        assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
      }
    } finally {
      await app.close();
    }
  });

  test('without a built UI, / says so; API misses are Go-style 404s', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'openscope-noui-'));
    const app = await startTestApp({ uiDir: empty });
    try {
      const res = await fetch(app.url);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /UI is not built/);
      const miss = await fetch(`${app.url}api/nothing`);
      assert.equal(miss.status, 404);
      assert.equal(await miss.text(), '404 page not found\n');
    } finally {
      await app.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });

  test('serves a built UI at / and /ui/, index.html for client routes, under a base path', async () => {
    const ui = mkdtempSync(join(tmpdir(), 'openscope-ui-'));
    writeFileSync(join(ui, 'index.html'), '<!doctype html><title>ui</title>');
    mkdirSync(join(ui, 'assets'));
    writeFileSync(join(ui, 'assets', 'app.js'), 'console.log(1)');
    const app = await startTestApp({ uiDir: ui, basePath: '/scope' });
    try {
      assert.ok(app.url.endsWith('/scope/'));
      const root = `${app.url.slice(0, -'/scope/'.length)}`;
      const get = async (path: string) => {
        const res = await fetch(`${root}${path}`, { redirect: 'manual' });
        return { status: res.status, text: await res.text(), type: res.headers.get('content-type') ?? '' };
      };
      assert.match((await get('/scope/')).text, /<title>ui<\/title>/);
      const js = await get('/scope/assets/app.js');
      assert.equal(js.text, 'console.log(1)');
      assert.match(js.type, /javascript/);
      assert.equal((await get('/scope/ui/assets/app.js')).text, 'console.log(1)');
      assert.match((await get('/scope/some/client/route')).text, /<title>ui<\/title>/);
      assert.equal((await get('/scope/api')).status, 200);
      assert.equal((await get('/scope/api/nothing')).status, 404);
      assert.equal((await get('/api')).status, 404, 'nothing outside the base path');
      const ws = await openWs(wsUrl(app, 'api/topology/hosts/ws'));
      ws.terminate();
    } finally {
      await app.close();
      rmSync(ui, { recursive: true, force: true });
    }
  });

  test('bad configs are refused with a clear error', async () => {
    const base = { ...defaultAppConfig(), listenAddress: '127.0.0.1:0' };
    await assert.rejects(startApp({ ...base, collector: 'redis://x' }, silentLogger()), AppConfigError);
    await assert.rejects(startApp({ ...base, listenAddress: 'nope' }, silentLogger()), /listen address/);
    await assert.rejects(startApp({ ...base, windowMillis: 0 }, silentLogger()), /windowMillis/);
  });

  test('a taken port is an error, not a hang', async () => {
    const app = await startTestApp();
    try {
      await assert.rejects(startTestApp({ listenAddress: app.address }), /EADDRINUSE/);
    } finally {
      await app.close();
    }
  });

  test('close() ends open websockets and stops listening', async () => {
    const app = await startTestApp();
    const ws = await openWs(wsUrl(app, 'api/topology/hosts/ws'));
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    await app.close();
    await withTimeout(closed, 10_000, 'the websocket to close');
    assert.equal(ws.readyState, WebSocket.CLOSED);
    await assert.rejects(fetch(`${app.url}api`));
    await app.close(); // idempotent
  });

  test('the websocket limit refuses extra sockets with 503', async () => {
    const app = await startTestApp({ maxWebsockets: 1 });
    try {
      const ws = await openWs(wsUrl(app, 'api/topology/hosts/ws'));
      const refused = await withTimeout(new Promise<number>((resolve) => {
        const extra = new WebSocket(wsUrl(app, 'api/topology/hosts/ws'));
        extra.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        extra.once('error', () => undefined);
      }), 10_000, 'the refusal');
      assert.equal(refused, 503);
      ws.terminate();
    } finally {
      await app.close();
    }
  });

  test('handler backstop: a hanging GET gets 503; POST /api/report has none; a route\'s own timeout stays', async () => {
    const app = Fastify();
    app.addHook('onRoute', handlerTimeouts(300, '/scope'));
    const hang = new Promise<void>(() => undefined);
    await app.register(
      async (scoped) => {
        scoped.get('/api/topology/hosts', async () => {
          await hang;
        });
        scoped.post('/api/report', async (request) => ({ handlerTimeout: request.routeOptions.handlerTimeout }));
        scoped.get('/api/report', async (request) => ({ handlerTimeout: request.routeOptions.handlerTimeout }));
        scoped.post('/api/control/:c', { handlerTimeout: 5000 }, async (request) => ({ handlerTimeout: request.routeOptions.handlerTimeout }));
      },
      { prefix: '/scope' },
    );
    try {
      const hung = await app.inject({ method: 'GET', url: '/scope/api/topology/hosts' });
      assert.equal(hung.statusCode, 503);
      assert.equal(hung.json().code, 'FST_ERR_HANDLER_TIMEOUT');
      assert.deepEqual((await app.inject({ method: 'POST', url: '/scope/api/report', payload: { x: 1 } })).json(), { handlerTimeout: 0 });
      assert.deepEqual((await app.inject({ method: 'GET', url: '/scope/api/report' })).json(), { handlerTimeout: 300 });
      assert.deepEqual((await app.inject({ method: 'POST', url: '/scope/api/control/x', payload: { x: 1 } })).json(), { handlerTimeout: 5000 });
    } finally {
      await app.close();
    }
  });

  test('garbage requests do not take the server down', async () => {
    const app = await startTestApp();
    try {
      const { connect } = await import('node:net');
      const url = new URL(app.url);
      await withTimeout(new Promise<void>((resolve) => {
        const sock = connect(Number(url.port), url.hostname, () => {
          sock.end('GARBAGE \x00\x01\x02 HTTP/9.9\r\n\r\n');
        });
        sock.on('error', () => resolve());
        sock.on('close', () => resolve());
        sock.resume();
      }), 10_000, 'the garbage connection to end');
      for (const path of ['api/topology/%', `api/topology/${'x'.repeat(10_000)}`, 'api/control/a/b', 'api/pipe//check']) {
        const res = await fetch(`${app.url}${path}`);
        assert.ok(res.status < 500, `${path}: ${res.status}`);
        await res.arrayBuffer();
      }
      const post = await fetch(`${app.url}api/control/p/n/c`, { method: 'POST', body: 'x'.repeat(200_000), headers: { 'content-type': 'application/json' } });
      assert.equal(post.status, 413);
      assert.equal((await getJson(app, 'api')).status, 200);
    } finally {
      await app.close();
    }
  });
});
