import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { WebSocket } from 'ws';
import { silentLogger } from '../../src/common/log.js';
import { ControlDispatcher } from '../../src/probe/control/registry.js';
import { parseHeaderFrame, parseRequestBody, responseFrames } from '../../src/probe/control/rpc.js';
import { AppClient } from '../../src/probe/publish/app-client.js';
import { encodeReportBody } from '../../src/report/codec/index.js';
import { makeReport } from '../../src/report/model.js';
import { PipeClient } from '../../src/probe/publish/pipes.js';
import { registerHostExec } from '../../src/probe/host/exec.js';
import type { ProbeIdentity } from '../../src/probe/publish/http.js';
import type { ProbeContext } from '../../src/probe/types.js';
import { FakeApp } from './fake-app.js';
import { waitFor } from './helpers.js';

const identity: ProbeIdentity = { probeId: 'abc123', version: 'v', authorization: 'Scope-Probe token=', insecure: false };
const FAST = { initialMillis: 100, maxMillis: 200, jitter: 0 };
const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Collects JSON frames from a websocket. */
function frames(ws: WebSocket): unknown[] {
  const got: unknown[] = [];
  ws.on('message', (d: Buffer) => got.push(JSON.parse(d.toString('utf8'))));
  return got;
}

function call(ws: WebSocket, seq: number, value: unknown): void {
  ws.send(JSON.stringify({ Request: { ServiceMethod: 'control.Handle', Seq: seq }, Response: null, Value: null }));
  ws.send(JSON.stringify({ Request: null, Response: null, Value: value }));
}

async function setup(): Promise<{ app: FakeApp; client: AppClient; dispatcher: ControlDispatcher }> {
  const app = await new FakeApp('app-ctl').listen();
  cleanups.push(() => app.close());
  const dispatcher = new ControlDispatcher();
  const client = new AppClient({ url: app.url, identity, logger: silentLogger(), controls: dispatcher, backoff: FAST });
  client.start();
  cleanups.push(() => client.stop());
  return { app, client, dispatcher };
}

test('control websocket: RPC round trip in two frames, Seq matched, AppID set by the probe, unknown control', async () => {
  const { app, dispatcher } = await setup();
  dispatcher.register('echo', async (req) => ({ value: { app: req.appId, node: req.nodeId, args: req.args } }));
  const { ws, headers } = await waitFor('control connection', () => app.controlSockets[0], 5000);
  assert.equal(headers['x-scope-probe-id'], 'abc123');
  const got = frames(ws);
  call(ws, 7, { AppID: '', NodeID: 'h;<host>', Control: 'echo', ControlArgs: { a: 'b' } });
  call(ws, 8, { AppID: '', NodeID: 'x', Control: 'nope', ControlArgs: null });
  await waitFor('4 frames', () => (got.length >= 4 ? true : undefined), 5000);
  const bySeq = new Map<number, unknown>();
  for (let i = 0; i < got.length; i += 2) {
    const header = got[i] as { Response: { Seq: number; ServiceMethod: string; Error: string } };
    assert.equal(header.Response.ServiceMethod, 'control.Handle');
    assert.equal(header.Response.Error, '');
    bySeq.set(header.Response.Seq, (got[i + 1] as { Value: unknown }).Value);
  }
  assert.deepEqual(bySeq.get(7), { value: { app: 'app-ctl', node: 'h;<host>', args: { a: 'b' } } });
  assert.deepEqual(bySeq.get(8), { error: 'Control "nope" not recognised' });
});

test('control websocket reconnects after the app drops it', async () => {
  const { app, client } = await setup();
  const first = await waitFor('first connection', () => app.controlSockets[0], 5000);
  first.ws.terminate();
  await waitFor('reconnected', () => app.controlSockets[1], 5000);
  assert.ok(client.controlConnects >= 2);
});

test('rpc framing: validation of untrusted frames and response shape', () => {
  assert.deepEqual(parseHeaderFrame('{"Request":{"ServiceMethod":"control.Handle","Seq":3}}'), { ok: true, seq: 3, method: 'control.Handle' });
  assert.equal(parseHeaderFrame('nope').ok, false);
  assert.equal(parseHeaderFrame('{"Request":{"Seq":"x"}}').ok, false);
  assert.equal(typeof parseRequestBody('{"Value":{"NodeID":1}}', 'a'), 'string');
  assert.equal(typeof parseRequestBody('{"Value":{"NodeID":"n","Control":"c","ControlArgs":{"k":1}}}', 'a'), 'string');
  const [h, b] = responseFrames(5, 'control.Handle', { pipe: 'pipe-1', rawTty: true, resizeTtyControl: 'r' });
  assert.deepEqual(JSON.parse(h), { Request: null, Response: { ServiceMethod: 'control.Handle', Seq: 5, Error: '' }, Value: null });
  assert.deepEqual(JSON.parse(b), { Request: null, Response: null, Value: { pipe: 'pipe-1', raw_tty: true, resize_tty_control: 'r' } });
});

test('pipes: bytes both ways over /api/pipe/<id>/probe, DELETE on close, 404 closes the local end', async () => {
  const app = await new FakeApp('app-pipe').listen();
  cleanups.push(() => app.close());
  const pipes = new PipeClient({ locate: (id) => (id === 'app-pipe' ? app.url : undefined), identity, logger: silentLogger(), backoff: FAST });
  cleanups.push(() => pipes.closeAll());
  const { pipeId, stream } = pipes.openPipe('app-pipe');
  assert.match(pipeId, /^pipe-\d+$/);
  stream.write('hello');
  const ws = await waitFor('probe end connected', () => app.pipeSockets.get(pipeId), 5000);
  await waitFor('hello at the app', () => (app.pipeData.get(pipeId) === 'hello' ? true : undefined), 5000);
  const received = once(stream, 'data', { signal: AbortSignal.timeout(5000) });
  ws.send('world');
  const [chunk] = (await received) as [Buffer];
  assert.equal(chunk.toString(), 'world');
  stream.destroy();
  await waitFor('DELETE', () => (app.deletedPipes.includes(pipeId) ? true : undefined), 5000);

  const other = pipes.openPipe('app-pipe');
  app.closedPipes.add(other.pipeId);
  await waitFor('closed after 404', () => (other.stream.destroyed ? true : undefined), 5000);
});

test('host_exec: a real shell on a PTY over a pipe, resize, and the shell dies when the pipe closes', async () => {
  const app = await new FakeApp('app-exec').listen();
  cleanups.push(() => app.close());
  const dispatcher = new ControlDispatcher();
  const pipes = new PipeClient({ locate: () => app.url, identity, logger: silentLogger(), backoff: FAST });
  cleanups.push(() => pipes.closeAll());
  const ctx: ProbeContext = { hostId: 'h', probeId: 'p', controls: dispatcher, pipes, publishShortcut: () => undefined, controlsEnabled: true };
  registerHostExec(ctx, silentLogger());
  const res = await dispatcher.handle({ appId: 'app-exec', nodeId: 'h;<host>', control: 'host_exec', args: {} });
  assert.equal(res.error, undefined);
  assert.equal(res.rawTty, true);
  assert.equal(res.resizeTtyControl, 'host_resize_exec_tty');
  const ws = await waitFor('pipe connected', () => app.pipeSockets.get(res.pipe!), 5000);
  const output = (): string => app.pipeData.get(res.pipe!) ?? '';
  ws.send('echo "sum=$((40+2))"; stty size\n');
  const resize = await dispatcher.handle({ appId: 'app-exec', nodeId: 'h;<host>', control: 'host_resize_exec_tty', args: { pipeID: res.pipe!, height: '30', width: '100' } });
  assert.deepEqual(resize, {});
  await waitFor('shell output', () => (output().includes('sum=42') ? true : undefined), 10_000);
  ws.send('stty size\n');
  await waitFor('resized PTY', () => (output().includes('30 100') ? true : undefined), 10_000);
  const bad = await dispatcher.handle({ appId: 'app-exec', nodeId: 'h;<host>', control: 'host_resize_exec_tty', args: { pipeID: res.pipe!, height: 'x', width: '1' } });
  assert.ok(bad.error);
  ws.send('exit\n');
  await waitFor('pipe deleted when the shell exits', () => (app.deletedPipes.includes(res.pipe!) ? true : undefined), 10_000);
});

test('after an outage, the first loop to reach the app again brings the others back at once', async () => {
  // Backoffs of 0.1, 0.4, 1.6, 6.4 s (no jitter). The app goes down at t0: the control websocket
  // fails from t0 (retries at +0.1, +0.5, +2.1, then +8.5); reports, queued every 200 ms from
  // t0+1 s, fail from then (retries at +1.1, +1.5, +3.1). The app is back at t0+2.4 s: a report
  // goes through at +3.1, and the control websocket reconnects then, not at +8.5 on its own timer.
  const first = await new FakeApp('app-outage').listen();
  const port = first.port;
  const client = new AppClient({
    url: first.url, identity, logger: silentLogger(), controls: new ControlDispatcher(),
    backoff: { initialMillis: 100, factor: 4, maxMillis: 60_000, jitter: 0 },
  });
  client.start();
  cleanups.push(() => client.stop());
  await waitFor('control websocket', () => (client.controlConnects === 1 ? true : undefined), 5000);
  const t0 = performance.now();
  await first.close();
  await new Promise((r) => setTimeout(r, 1000));
  const body = await encodeReportBody(makeReport(), 'msgpack');
  const publishing = setInterval(() => client.enqueue(body, 'application/msgpack', false), 200);
  cleanups.push(() => clearInterval(publishing));
  await new Promise((r) => setTimeout(r, Math.max(0, 2400 - (performance.now() - t0))));
  const again = await new FakeApp('app-outage').listen(port);
  cleanups.push(() => again.close());
  const back = performance.now();
  await waitFor('a report', () => (again.posts.length > 0 ? true : undefined), 10_000);
  await waitFor('control websocket again', () => (client.controlConnects === 2 ? true : undefined), 10_000);
  const waited = performance.now() - back;
  // On its own timer the websocket would come back at t0+8.5 s, ~6 s after the app.
  assert.ok(waited < 4000, `control websocket back ${waited.toFixed(0)} ms after the app`);
});
