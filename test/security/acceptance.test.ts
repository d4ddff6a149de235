/**
 * Issue #7 acceptance, end to end with the real CLI: an app on 0.0.0.0 with an admin token, a
 * viewer token and a probe token, a real probe publishing to it; then an app with no auth flags
 * that generates a login token. Requests go to 127.0.0.1 only.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { encodeReport } from '../../src/report/codec/index.js';
import { makeReport } from '../../src/report/model.js';
import { freePort, waitFor } from '../helpers/openscope-process.js';
import { call, openWs, spawnOpenScope, waitHealthy, type Child } from './helpers.js';

const SUITE = { timeout: 180_000 };
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const emptyReport = () => gzipSync(encodeReport(makeReport(), 'msgpack'));
const reportHeaders = { 'content-type': 'application/msgpack', 'content-encoding': 'gzip', 'x-scope-probe-id': 'fake' };

interface HostNode {
  id: string;
  controls?: Array<{ id: string; probeId: string; nodeId: string }>;
}

describe('tokens, roles and the probe token (issue #7 acceptance)', SUITE, () => {
  const dir = mkdtempSync(join(tmpdir(), 'openscope-sec-'));
  const auditLog = join(dir, 'audit.log');
  let port = 0;
  let base = '';
  let ws = '';
  let app: Child;
  const probes: Child[] = [];
  let host: HostNode;

  before(async () => {
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    ws = `ws://127.0.0.1:${port}`;
    app = spawnOpenScope([
      '--mode=app',
      `--app.http.address=0.0.0.0:${port}`,
      '--app.auth.token=T1',
      '--app.auth.viewer-token=T2',
      '--app.probe.token=P1',
      `--app.audit-log=${auditLog}`,
    ]);
    await waitHealthy(base, app);
    probes.push(spawnOpenScope(['--mode=probe', '--probe.token=P1', '--probe.docker=false', `127.0.0.1:${port}`]));
    // The probe's host node, with its host_exec control, once the probe has published and connected controls.
    host = await waitFor('the probe to publish a host with controls', async () => {
      const res = await call(`${base}/api/topology/hosts`, { headers: bearer('T1') });
      if (res.status !== 200) return undefined;
      const nodes = Object.values((JSON.parse(res.text) as { nodes: Record<string, HostNode> }).nodes);
      for (const n of nodes) {
        const details = await call(`${base}/api/topology/hosts/${encodeURIComponent(n.id)}`, { headers: bearer('T1') });
        const node = (JSON.parse(details.text) as { node: HostNode }).node;
        if (node.controls?.some((c) => c.id === 'host_exec')) {
          const health = JSON.parse((await call(`${base}/api/health`)).text) as { connectedProbes: number };
          if (health.connectedProbes > 0) return node;
        }
      }
      return undefined;
    }, 60_000, 500);
  });
  after(async () => {
    await Promise.all([...probes.map((p) => p.stop()), app?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('without credentials every route answers 401', async () => {
    const gets = ['api', 'api/topology', 'api/topology/hosts', `api/topology/hosts/${encodeURIComponent(host.id)}`, 'api/report', 'api/probes', 'api/pipe/pipe-1/check', ''];
    for (const path of gets) assert.equal((await call(`${base}/${path}`)).status, 401, `GET /${path}`);
    assert.equal((await call(`${base}/api/report`, { method: 'POST', body: emptyReport(), headers: reportHeaders })).status, 401);
    const control = host.controls!.find((c) => c.id === 'host_exec')!;
    const controlPath = `api/control/${control.probeId}/${encodeURIComponent(control.nodeId)}/host_exec`;
    assert.equal((await call(`${base}/${controlPath}`, { method: 'POST' })).status, 401);
    assert.equal((await call(`${base}/api/pipe/pipe-1`, { method: 'DELETE' })).status, 401);
    for (const path of ['api/topology/hosts/ws', 'api/control/ws', 'api/pipe/pipe-1', 'api/pipe/pipe-1/probe']) {
      assert.equal((await openWs(`${ws}/${path}`, { 'X-Scope-Probe-ID': 'x' })).status, 401, `ws /${path}`);
    }
    // People tokens are not probe tokens, and the other way round.
    assert.equal((await call(`${base}/api/report`, { method: 'POST', body: emptyReport(), headers: { ...reportHeaders, ...bearer('T1') } })).status, 401);
    assert.equal((await call(`${base}/api/topology`, { headers: { authorization: 'Scope-Probe token=P1' } })).status, 401);
  });

  test('the admin token works everywhere, including a real host_exec round trip through a pipe', async () => {
    for (const path of ['api', 'api/topology', 'api/topology/hosts', 'api/report', 'api/probes']) {
      assert.equal((await call(`${base}/${path}`, { headers: bearer('T1') })).status, 200, path);
    }
    const topo = await openWs(`${ws}/api/topology/hosts/ws`, bearer('T1'));
    assert.equal(topo.status, 101);
    topo.ws!.terminate();
    const control = host.controls!.find((c) => c.id === 'host_exec')!;
    const res = await call(`${base}/api/control/${control.probeId}/${encodeURIComponent(control.nodeId)}/host_exec`, {
      method: 'POST',
      headers: bearer('T1'),
    });
    assert.equal(res.status, 200, res.text);
    const { pipe } = JSON.parse(res.text) as { pipe: string };
    assert.ok(pipe, res.text);
    const ui = await openWs(`${ws}/api/pipe/${encodeURIComponent(pipe)}`, bearer('T1'));
    assert.equal(ui.status, 101);
    let seen = '';
    ui.ws!.on('message', (d: Buffer) => (seen += d.toString()));
    ui.ws!.send(Buffer.from('echo openscope-$((6*7))\n'));
    await waitFor('the shell to answer', async () => (seen.includes('openscope-42') ? true : undefined), 20_000, 100);
    ui.ws!.terminate();
    assert.equal((await call(`${base}/api/pipe/${encodeURIComponent(pipe)}`, { method: 'DELETE', headers: bearer('T1') })).status, 200);
  });

  test('the viewer token reads everything and every control answers 403; details show it no controls', async () => {
    for (const path of ['api', 'api/topology', 'api/topology/hosts', 'api/report', 'api/probes']) {
      assert.equal((await call(`${base}/${path}`, { headers: bearer('T2') })).status, 200, path);
    }
    const topo = await openWs(`${ws}/api/topology/hosts/ws`, bearer('T2'));
    assert.equal(topo.status, 101);
    topo.ws!.terminate();
    const details = await call(`${base}/api/topology/hosts/${encodeURIComponent(host.id)}`, { headers: bearer('T2') });
    assert.deepEqual((JSON.parse(details.text) as { node: HostNode }).node.controls, []);
    const probeId = host.controls![0]!.probeId;
    for (const control of ['host_exec', 'docker_stop_container', 'docker_exec_container', 'kubernetes_delete_pod', 'anything']) {
      const res = await call(`${base}/api/control/${probeId}/${encodeURIComponent(host.id)}/${control}`, { method: 'POST', headers: bearer('T2') });
      assert.equal(res.status, 403, `${control}: ${res.text}`);
    }
    assert.equal((await openWs(`${ws}/api/pipe/pipe-x`, bearer('T2'))).status, 403);
    assert.equal((await call(`${base}/api/pipe/pipe-x`, { method: 'DELETE', headers: bearer('T2') })).status, 403);
  });

  test('a probe with a wrong token is refused', async () => {
    assert.equal((await call(`${base}/api/report`, { method: 'POST', body: emptyReport(), headers: { ...reportHeaders, authorization: 'Scope-Probe token=WRONG' } })).status, 401);
    assert.equal((await openWs(`${ws}/api/control/ws`, { 'X-Scope-Probe-ID': 'x', authorization: 'Scope-Probe token=WRONG' })).status, 401);
    assert.equal((await call(`${base}/api/report`, { method: 'POST', body: emptyReport(), headers: { ...reportHeaders, authorization: 'Scope-Probe token=P1' } })).status, 200);
    const wrong = spawnOpenScope(['--mode=probe', '--probe.token=WRONG', '--probe.docker=false', `127.0.0.1:${port}`]);
    probes.push(wrong);
    await waitFor('the wrong probe to be refused', async () => (/401/.test(wrong.output()) ? true : undefined), 30_000, 250);
  });

  test('a websocket or control with a foreign Origin is refused', async () => {
    const evil = { origin: 'http://evil.example' };
    assert.equal((await openWs(`${ws}/api/topology/hosts/ws`, { ...bearer('T1'), ...evil })).status, 403);
    assert.equal((await openWs(`${ws}/api/topology/hosts/ws`, { ...bearer('T1'), origin: `http://127.0.0.1:${port}` })).status, 101);
    const probeId = host.controls![0]!.probeId;
    assert.equal((await call(`${base}/api/control/${probeId}/${encodeURIComponent(host.id)}/host_exec`, { method: 'POST', headers: { ...bearer('T1'), ...evil } })).status, 403);
  });

  test('the UI is served with security headers', async () => {
    const res = await call(`${base}/`, { headers: bearer('T1') });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  });

  test('each control attempt left an audit line (who, role, probe, node, control, arguments, result)', async () => {
    const lines = () => readFileSync(auditLog, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const controls = await waitFor('audit lines', async () => {
      const found = lines().filter((l) => l.event === 'control');
      return found.length >= 6 ? found : undefined;
    }, 10_000);
    const ok = controls.find((l) => l.status === 200 && l.control === 'host_exec');
    assert.ok(ok, JSON.stringify(controls));
    assert.equal(ok.role, 'admin');
    assert.equal(ok.result, 'ok');
    assert.ok(typeof ok.time === 'string' && typeof ok.probeId === 'string' && typeof ok.nodeId === 'string' && 'args' in ok);
    const refused = controls.filter((l) => l.status === 403 && l.role === 'viewer');
    assert.equal(refused.length, 5, JSON.stringify(controls));
  });
});

describe('no auth flags on a non-loopback address (issue #7 acceptance)', SUITE, () => {
  let app: Child;
  let base = '';
  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    app = spawnOpenScope(['--mode=app', `--app.http.address=0.0.0.0:${port}`]);
    await waitHealthy(base, app);
  });
  after(() => app?.stop());

  test('prints a login URL whose token works, and refuses requests without it', async () => {
    const token = await waitFor('the login URL', async () => /http:\/\/\S+:\d+\/\?token=([A-Za-z0-9_-]+)/.exec(app.output())?.[1], 10_000);
    assert.equal((await call(`${base}/api/topology`)).status, 401);
    assert.equal((await call(`${base}/api/topology`, { headers: bearer('nope') })).status, 401);
    assert.equal((await call(`${base}/api/topology`, { headers: bearer(token) })).status, 200);
    const page = await call(`${base}/?token=${token}`);
    assert.equal(page.status, 303);
    assert.equal(page.headers.get('location'), '/');
    const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0]!;
    assert.match(page.headers.get('set-cookie') ?? '', /HttpOnly; SameSite=Strict/);
    assert.equal((await call(`${base}/api/topology`, { headers: { cookie } })).status, 200);
    assert.equal((await call(`${base}/`, { headers: { cookie } })).status, 200);
  });
});

describe('--app.auth=none', SUITE, () => {
  test('turns auth off with a warning', async () => {
    const port = await freePort();
    const app = spawnOpenScope(['--mode=app', `--app.http.address=0.0.0.0:${port}`, '--app.auth=none']);
    try {
      await waitHealthy(`http://127.0.0.1:${port}`, app);
      assert.equal((await call(`http://127.0.0.1:${port}/api/topology`)).status, 200);
      assert.match(app.output(), /authentication is off/);
      assert.doesNotMatch(app.output(), /\?token=/);
    } finally {
      await app.stop();
    }
  });
});
