/**
 * Topology routes (app §1.4–§1.7) over the render pipeline, with the recorded Scope reports: list,
 * summaries, node details with raw-URI ids, 404s, and the diff websocket.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { gunzipSync, inflateSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { encodeReport } from '../../src/report/codec/index.js';
import { makeNode, makeReport } from '../../src/report/model.js';
import { timeFromMillis } from '../../src/report/time.js';
import type { RunningApp } from '../../src/app/index.js';
import { acceptsGzip } from '../../src/app/routes/topology.js';
import { fixtureReport, getJson, nextMessage, postReport, startTestApp, wsRefusal, wsUrl, SUITE } from './helpers.js';

const CONTAINER = '58987fa63747ced986e0ee6f2602ccfc0f9fee281ed5320331e4c7d9f6e247e7;<container>';
/** A host id with the characters that need the raw-URI handling: `/`, `;`, `<`, `>`, `%`, space. */
const ODD_HOST = 'rack/7 50%;<host>';

describe('topology routes', SUITE, () => {
  let app: RunningApp;
  const sockets: WebSocket[] = [];

  before(async () => {
    app = await startTestApp();
    for (let n = 1; n <= 8; n++) {
      const f = fixtureReport(n);
      assert.equal((await postReport(app, f.body, f.headers)).status, 200);
    }
    const odd = makeReport();
    const now = timeFromMillis(Date.now());
    const host = makeNode(ODD_HOST, 'host');
    host.latest.set('host_name', { timestamp: now, value: 'rack/7 50%' });
    odd.topologies.host.nodes.set(ODD_HOST, host);
    const res = await postReport(app, encodeReport(odd, 'json'), { 'content-type': 'application/json' });
    assert.equal(res.status, 200, await res.text());
  });
  after(async () => {
    for (const ws of sockets) ws.terminate();
    await app.close();
  });

  test('GET /api/topology lists topologies with stats', async () => {
    const { status, body } = await getJson(app, 'api/topology');
    assert.equal(status, 200);
    const list = body as Array<{ url: string; stats: { node_count: number } }>;
    const containers = list.find((t) => t.url === '/api/topology/containers');
    assert.ok(containers, JSON.stringify(list.map((t) => t.url)));
    assert.ok(containers.stats.node_count > 0);
  });

  test('GET /api/topology/containers has the recorded containers, JSON and no-cache', async () => {
    const res = await fetch(`${app.url}api/topology/containers`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    const body = (await res.json()) as { nodes: Record<string, { id: string }> };
    assert.equal(body.nodes[CONTAINER]?.id, CONTAINER);
  });

  test('every accepted encoding gives the same JSON; gzip bodies are compressed once per render', async () => {
    const url = `${app.url}api/topology/processes`;
    const raw = async (headers: Record<string, string>) => {
      // node:http, not fetch: fetch decompresses on its own and hides Content-Encoding from tests.
      return new Promise<{ encoding: string | undefined; vary: string | undefined; bytes: Buffer }>((resolve, reject) => {
        request(url, { headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ encoding: res.headers['content-encoding'], vary: res.headers.vary, bytes: Buffer.concat(chunks) }));
        }).on('error', reject).end();
      });
    };
    const plain = await raw({ 'accept-encoding': 'identity' });
    assert.equal(plain.encoding, undefined);
    const json = plain.bytes.toString('utf8');
    assert.ok(json.length > 1024, 'large enough to be compressed');
    const gzipped = await raw({ 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(gzipped.encoding, 'gzip');
    assert.match(gzipped.vary ?? '', /accept-encoding/i);
    assert.equal(gunzipSync(gzipped.bytes).toString('utf8'), json);
    const again = await raw({ 'accept-encoding': 'gzip' });
    assert.deepEqual(again.bytes, gzipped.bytes);
    const deflated = await raw({ 'accept-encoding': 'deflate, gzip;q=0' });
    assert.equal(deflated.encoding, 'deflate');
    assert.equal(inflateSync(deflated.bytes).toString('utf8'), json);
    const refused = await raw({ 'accept-encoding': 'gzip', 'x-no-compression': '1' });
    assert.equal(refused.encoding, undefined);
    assert.equal(refused.bytes.toString('utf8'), json);
  });

  test('node details by URL-encoded id, including ids with / ; < > % and spaces', async () => {
    let r = await getJson(app, `api/topology/containers/${encodeURIComponent(CONTAINER)}`);
    assert.equal(r.status, 200);
    assert.equal((r.body as { node: { id: string } }).node.id, CONTAINER);
    r = await getJson(app, `api/topology/hosts/${encodeURIComponent(ODD_HOST)}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((r.body as { node: { id: string } }).node.id, ODD_HOST);
  });

  test('unknown topology or node → plain-text 404; bad escapes → 400; never 500', async () => {
    for (const path of [
      'api/topology/unknown',
      'api/topology/unknown/x',
      'api/topology/containers/no-such-node',
      'api/topology/containers/a/b',
      'api/topology/hosts/rack/7%2050%25%3B%3Chost%3E',
    ]) {
      const res = await fetch(`${app.url}${path}`);
      assert.equal(res.status, 404, path);
      assert.equal(await res.text(), '404 page not found\n', path);
    }
    for (const path of ['api/topology/containers/%zz', 'api/topology/containers/%E0%A4%A', 'api/topology/%']) {
      const res = await fetch(`${app.url}${path}`);
      assert.equal(res.status, 400, path);
      assert.equal(typeof JSON.parse(await res.text()), 'string', path);
    }
  });

  test('the websocket sends the whole topology at once with reset, then diffs', async () => {
    const ws = new WebSocket(wsUrl(app, 'api/topology/containers/ws?t=200ms'));
    sockets.push(ws);
    const first = JSON.parse((await nextMessage(ws)).data.toString()) as {
      add: Array<{ id: string }> | null;
      reset?: boolean;
    };
    assert.equal(first.reset, true);
    assert.ok(first.add?.some((n) => n.id === CONTAINER));
    const second = JSON.parse((await nextMessage(ws)).data.toString()) as Record<string, unknown>;
    assert.equal(second.reset, undefined);
    assert.ok('add' in second && 'update' in second && 'remove' in second);
  });

  test('a shortcut report wakes websocket viewers at once', async () => {
    const ws = new WebSocket(wsUrl(app, 'api/topology/containers/ws?t=1h'));
    sockets.push(ws);
    await nextMessage(ws); // the initial message
    const woken = nextMessage(ws, 3000);
    const f = fixtureReport(1); // a shortcut report
    assert.equal((await postReport(app, f.body, f.headers)).status, 200);
    await woken;
  });

  test('websocket refusals are plain HTTP answers before upgrading', async () => {
    assert.equal((await wsRefusal(wsUrl(app, 'api/topology/unknown/ws'))).status, 404);
    assert.deepEqual(await wsRefusal(wsUrl(app, 'api/topology/containers/ws?t=soon')), { status: 400, body: '"soon"' });
    const plain = await fetch(`${app.url}api/topology/containers/ws`);
    assert.equal(plain.status, 400);
  });

  const renderCount = async (kind: string): Promise<number> => {
    const text = await (await fetch(`${app.url}metrics`)).text();
    return Number(new RegExp(`^openscope_app_render_duration_seconds_count\\{kind="${kind}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  };

  test('many viewers of the same topology cost one render per report', async () => {
    const renders = async () => (await renderCount('topology')) + (await renderCount('json'));
    await getJson(app, 'api/topology/hosts?pseudo=show');
    const before = await renders();
    await Promise.all(Array.from({ length: 10 }, () => getJson(app, 'api/topology/hosts?pseudo=show')));
    assert.equal(await renders(), before);
  });

  test('an HTTP answer is rendered straight to its body, without keeping the answer object', async () => {
    const [objects, bodies] = [await renderCount('topology'), await renderCount('json')];
    const { status } = await getJson(app, 'api/topology/containers?stopped=both&system=all');
    assert.equal(status, 200);
    assert.equal(await renderCount('json'), bodies + 1);
    assert.equal(await renderCount('topology'), objects);
  });
});

describe('acceptsGzip', () => {
  test('follows the Accept-Encoding q-values', () => {
    for (const h of ['gzip', 'deflate, gzip', 'GZIP;q=0.5', 'x-gzip', '*', 'br, *;q=0.1', 'gzip ; q=1.0']) assert.equal(acceptsGzip(h), true, h);
    for (const h of [undefined, '', 'identity', 'deflate, br', 'gzip;q=0', '*;q=0', '*, gzip;q=0', 'gzipx']) assert.equal(acceptsGzip(h), false, String(h));
  });
});
