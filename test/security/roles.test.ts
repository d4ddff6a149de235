/** Roles (viewer < operator < admin) per control, and the reverse-proxy user header, on an in-process app. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningApp } from '../../src/app/index.js';
import { mayRunControl, roleForControl } from '../../src/app/roles.js';
import { startTestApp, wsRefusal, wsUrl } from '../app/helpers.js';
import { call } from './helpers.js';

describe('roles', { timeout: 60_000 }, () => {
  test('operators run lifecycle controls and logs; shells, remove, scale and delete are admin-only; unknown controls too', () => {
    for (const c of ['docker_stop_container', 'docker_restart_container', 'docker_pause_container', 'kubernetes_get_logs']) {
      assert.equal(roleForControl(c), 'operator', c);
    }
    for (const c of ['docker_exec_container', 'docker_attach_container', 'host_exec', 'docker_remove_container', 'kubernetes_scale_up', 'kubernetes_delete_pod', 'plugin_thing']) {
      assert.equal(roleForControl(c), 'admin', c);
    }
    assert.equal(mayRunControl('viewer', 'docker_stop_container'), false);
  });

  describe('on an app', () => {
    let app: RunningApp;
    before(async () => {
      app = await startTestApp({
        auth: {
          tokens: [{ token: 'op', role: 'operator' }],
          proxy: { header: 'X-Forwarded-User', roles: new Map([['alice', 'admin'], ['bob', 'viewer']]) },
        },
      });
    });
    after(() => app.close());

    test('an operator token: lifecycle controls pass the role check, exec is 403', async () => {
      const stop = await call(`${app.url}api/control/p/n/docker_stop_container`, { method: 'POST', headers: { authorization: 'Bearer op' } });
      assert.notEqual(stop.status, 403, stop.text); // passes auth; the probe is not connected
      const exec = await call(`${app.url}api/control/p/n/docker_exec_container`, { method: 'POST', headers: { authorization: 'Bearer op' } });
      assert.equal(exec.status, 403);
    });

    test('the proxy user header maps users to roles; unknown users and no header are 401', async () => {
      assert.equal((await call(`${app.url}api/topology`, { headers: { 'x-forwarded-user': 'bob' } })).status, 200);
      assert.equal((await call(`${app.url}api/control/p/n/docker_stop_container`, { method: 'POST', headers: { 'x-forwarded-user': 'bob' } })).status, 403);
      assert.equal((await call(`${app.url}api/topology`, { headers: { 'x-forwarded-user': 'mallory' } })).status, 401);
      assert.equal((await call(`${app.url}api/topology`)).status, 401);
      const origin = new URL(app.url).origin;
      const exec = await call(`${app.url}api/control/p/n/host_exec`, { method: 'POST', headers: { 'x-forwarded-user': 'alice', origin } });
      assert.notEqual(exec.status, 403, exec.text);
      // A browser behind the proxy: a state change without Origin or Referer is refused (CSRF).
      assert.equal((await call(`${app.url}api/control/p/n/host_exec`, { method: 'POST', headers: { 'x-forwarded-user': 'alice' } })).status, 403);
      assert.equal((await wsRefusal(wsUrl(app, 'api/topology/hosts/ws'), { 'x-forwarded-user': 'alice', origin: 'http://evil.example' })).status, 403);
    });
  });
});
