/**
 * Control routing (app §1.11, wire §4.3) over real websockets: the test plays a Scope probe on
 * /api/control/ws with Go net/rpc JSON framing, and the UI side POSTs /api/control/….
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { WebSocket } from 'ws';
import type { RunningApp } from '../../src/app/index.js';
import { openWs, startTestApp, waitFor, wsRefusal, wsUrl, SUITE, withTimeout } from './helpers.js';

interface Call {
  seq: number;
  value: { AppID: string; NodeID: string; Control: string; ControlArgs: Record<string, string> | null };
}

/** A probe's control connection answering each call with `answer(call)` (undefined = never answer). */
async function fakeProbe(
  app: RunningApp,
  probeId: string,
  answer: (call: Call) => { error?: string; value?: unknown } | undefined,
  localAddress?: string,
): Promise<{ ws: WebSocket; calls: Call[] }> {
  const ws = await openWs(wsUrl(app, 'api/control/ws'), { 'X-Scope-Probe-ID': probeId }, localAddress);
  const calls: Call[] = [];
  let header: { Request: { ServiceMethod: string; Seq: number } } | undefined;
  ws.on('message', (data: Buffer) => {
    const frame = JSON.parse(data.toString('utf8'));
    assert.deepEqual(Object.keys(frame).sort(), ['Request', 'Response', 'Value']);
    if (header === undefined) {
      header = frame;
      return;
    }
    assert.equal(header.Request.ServiceMethod, 'control.Handle');
    const call: Call = { seq: header.Request.Seq, value: frame.Value };
    header = undefined;
    calls.push(call);
    const reply = answer(call);
    if (reply === undefined) return;
    ws.send(
      JSON.stringify({
        Request: null,
        Response: { ServiceMethod: 'control.Handle', Seq: call.seq, Error: reply.error ?? '' },
        Value: null,
      }),
    );
    ws.send(JSON.stringify({ Request: null, Response: null, Value: reply.error ? {} : reply.value }));
  });
  return { ws, calls };
}

async function postControl(app: RunningApp, path: string, body?: string) {
  const res = await fetch(`${app.url}api/control/${path}`, {
    method: 'POST',
    ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, body: JSON.parse(await res.text()) as unknown };
}

describe('control routing', SUITE, () => {
  let app: RunningApp;
  const sockets: WebSocket[] = [];

  before(async () => {
    app = await startTestApp({ controlTimeoutMillis: 2000 });
  });
  after(async () => {
    for (const ws of sockets) ws.terminate();
    await app.close();
  });

  test('round trip: POST reaches the probe with the decoded node id and args; its value comes back', async () => {
    const probe = await fakeProbe(app, 'probe-1', (call) => ({ value: { value: { echo: call.value } } }));
    sockets.push(probe.ws);
    const nodeId = 'abc/def;<container>';
    const res = await postControl(
      app,
      `probe-1/${encodeURIComponent(nodeId)}/docker_stop_container`,
      JSON.stringify({ height: '24', width: '80' }),
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, {
      value: {
        echo: {
          AppID: '',
          NodeID: nodeId,
          Control: 'docker_stop_container',
          ControlArgs: { height: '24', width: '80' },
        },
      },
    });
    // Empty body → null args, as Scope sends them.
    const res2 = await postControl(app, `probe-1/${encodeURIComponent(nodeId)}/x`);
    assert.equal(res2.status, 200);
    assert.equal((res2.body as { value: { echo: Call['value'] } }).value.echo.ControlArgs, null);
  });

  test('pipe replies pass through with Scope field names', async () => {
    const probe = await fakeProbe(app, 'probe-pipe', () => ({
      value: { pipe: 'pipe-42', raw_tty: true, resize_tty_control: 'docker_resize_exec_tty', junk: 1 },
    }));
    sockets.push(probe.ws);
    const res = await postControl(app, 'probe-pipe/n;<container>/docker_exec_container');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { pipe: 'pipe-42', raw_tty: true, resize_tty_control: 'docker_resize_exec_tty' });
  });

  test('an error answer becomes 400 with the error as a JSON string', async () => {
    const probe = await fakeProbe(app, 'probe-err', (call) =>
      call.value.Control === 'rpc' ? { error: 'rpc broke' } : { value: { error: 'Control "nope" not recognised' } },
    );
    sockets.push(probe.ws);
    let res = await postControl(app, 'probe-err/n/nope');
    assert.deepEqual(res, { status: 400, body: 'Control "nope" not recognised' });
    res = await postControl(app, 'probe-err/n/rpc');
    assert.deepEqual(res, { status: 400, body: 'rpc broke' });
  });

  test('unknown probe → 400 "probe X is not connected right now"', async () => {
    const res = await postControl(app, 'nope/n/c');
    assert.deepEqual(res, { status: 400, body: 'probe nope is not connected right now' });
  });

  test('bad argument bodies → 400, the app keeps serving', async () => {
    for (const body of ['{', '[1]', '{"a": 1}', '"x"']) {
      const res = await postControl(app, 'probe-1/n/c', body);
      assert.equal(res.status, 400, body);
      assert.equal(typeof res.body, 'string');
    }
    assert.equal((await postControl(app, 'probe-1/n/c')).status, 200);
  });

  test('control websocket without X-Scope-Probe-ID → 400', async () => {
    assert.deepEqual(await wsRefusal(wsUrl(app, 'api/control/ws')), { status: 400, body: '"X-Scope-Probe-ID"' });
  });

  test('a silent probe → 504 after the control timeout', async () => {
    const probe = await fakeProbe(app, 'probe-silent', () => undefined);
    sockets.push(probe.ws);
    const res = await postControl(app, 'probe-silent/n/c');
    assert.equal(res.status, 504);
    assert.match(res.body as string, /did not answer/);
  });

  test('a probe that disconnects mid-call → 400, and is then not connected', async () => {
    const probe = await fakeProbe(app, 'probe-gone', () => {
      probe.ws.close();
      return undefined;
    });
    const res = await postControl(app, 'probe-gone/n/c');
    assert.equal(res.status, 400);
    await waitFor(() => probe.ws.readyState === probe.ws.CLOSED);
    // Deregistration happens on the server's close event; poll briefly.
    let last = await postControl(app, 'probe-gone/n/c');
    for (let i = 0; i < 50 && last.body !== 'probe probe-gone is not connected right now'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      last = await postControl(app, 'probe-gone/n/c');
    }
    assert.deepEqual(last, { status: 400, body: 'probe probe-gone is not connected right now' });
  });

  test('a new connection for the same probe id replaces the old; the old closing does not unregister it', async () => {
    const first = await fakeProbe(app, 'probe-r', () => ({ value: { value: 'first' } }));
    const second = await fakeProbe(app, 'probe-r', () => ({ value: { value: 'second' } }));
    sockets.push(second.ws);
    assert.deepEqual(await postControl(app, 'probe-r/n/c'), { status: 200, body: { value: 'second' } });
    first.ws.close();
    await waitFor(() => first.ws.readyState === first.ws.CLOSED);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await postControl(app, 'probe-r/n/c'), { status: 200, body: { value: 'second' } });
  });

  test('an unauthenticated connection from another address cannot take over a connected probe id', async () => {
    const owner = await fakeProbe(app, 'probe-h', () => ({ value: { value: 'owner' } }));
    sockets.push(owner.ws);
    // 127.0.0.2 is another source address on loopback: the "attacker" claims the same id.
    const intruder = await fakeProbe(app, 'probe-h', () => ({ value: { value: 'intruder' } }), '127.0.0.2');
    const code = await withTimeout(
      new Promise<number>((resolve) => intruder.ws.once('close', (c) => resolve(c))),
      10_000,
      'the intruding control channel to close',
    );
    assert.equal(code, 1008);
    assert.deepEqual(await postControl(app, 'probe-h/n/c'), { status: 200, body: { value: 'owner' } });
    assert.equal(intruder.calls.length, 0);
    // Once the owner is gone, the id is free again for anyone (probe ids are per process start).
    owner.ws.close();
    await waitFor(() => owner.ws.readyState === owner.ws.CLOSED);
    await new Promise((r) => setTimeout(r, 50));
    const next = await fakeProbe(app, 'probe-h', () => ({ value: { value: 'next' } }), '127.0.0.2');
    sockets.push(next.ws);
    assert.deepEqual(await postControl(app, 'probe-h/n/c'), { status: 200, body: { value: 'next' } });
  });

  test('garbage on the control channel closes only that connection', async () => {
    const probe = await fakeProbe(app, 'probe-garbage', () => undefined);
    const closed = new Promise<number>((resolve) => probe.ws.once('close', (code) => resolve(code)));
    probe.ws.send('this is not json');
    assert.equal(await withTimeout(closed, 10_000, 'the control channel to close'), 1002);
    assert.equal((await postControl(app, 'probe-1/n/c')).status, 200);
  });

  test('/metrics shows connected probes and control websockets', async () => {
    const text = await (await fetch(`${app.url}metrics`)).text();
    assert.match(text, /^openscope_app_connected_probes [1-9]/m);
    assert.match(text, /^openscope_app_websocket_clients\{kind="control"\} [1-9]/m);
  });
});
