/** Pipes (app §1.12, wire §4.4) between a UI websocket and a probe websocket through a real app. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import type { RunningApp } from '../../src/app/index.js';
import { openWs, startTestApp, wsRefusal, wsUrl, SUITE, withTimeout } from './helpers.js';

/** Collects binary frames from `ws` until `total` bytes arrived (one listener: frames come in bursts). */
function receiveBytes(ws: WebSocket, total: number, timeoutMillis = 5000): Promise<{ bytes: Buffer; frames: number[] }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const frames: number[] = [];
    let got = 0;
    const timer = setTimeout(() => {
      ws.off('message', onMessage);
      reject(new Error(`only ${got} of ${total} bytes arrived`));
    }, timeoutMillis);
    const onMessage = (data: Buffer, isBinary: boolean) => {
      if (!isBinary) {
        ws.off('message', onMessage);
        clearTimeout(timer);
        reject(new Error('pipe data must reach the other end as binary frames'));
        return;
      }
      chunks.push(data);
      frames.push(data.length);
      got += data.length;
      if (got >= total) {
        ws.off('message', onMessage);
        clearTimeout(timer);
        resolve({ bytes: Buffer.concat(chunks), frames });
      }
    };
    ws.on('message', onMessage);
  });
}

const closedOf = (ws: WebSocket) =>
  withTimeout(
    new Promise<void>((resolve) => {
      if (ws.readyState === ws.CLOSED) resolve();
      else ws.once('close', () => resolve());
    }),
    10_000,
    'the websocket to close',
  );

async function checkStatus(app: RunningApp, id: string): Promise<number> {
  const res = await fetch(`${app.url}api/pipe/${id}/check`, { signal: AbortSignal.timeout(5000) });
  await res.arrayBuffer();
  return res.status;
}

describe('pipes', SUITE, () => {
  let app: RunningApp;
  const sockets: WebSocket[] = [];
  const open = async (path: string) => {
    const ws = await openWs(wsUrl(app, path));
    sockets.push(ws);
    return ws;
  };

  before(async () => {
    app = await startTestApp({ pipeIdleMillis: 1500, pipeSweepIntervalMillis: 100 });
  });
  after(async () => {
    for (const ws of sockets) ws.terminate();
    await app.close();
  });

  test('relays bytes both ways, as ≤1024-byte binary frames', async () => {
    const ui = await open('api/pipe/pipe-1');
    const probe = await open('api/pipe/pipe-1/probe');
    ui.send('ls -l\n'); // the UI sends keystrokes as text frames
    const got = await receiveBytes(probe, 6);
    assert.equal(got.bytes.toString(), 'ls -l\n');

    const output = randomBytes(5000);
    probe.send(output);
    const back = await receiveBytes(ui, output.length);
    assert.ok(back.bytes.equals(output));
    assert.ok(back.frames.every((n) => n <= 1024), `frames ${back.frames.join(',')}`);
    assert.equal(await checkStatus(app, 'pipe-1'), 204);
  });

  test('bytes sent before the other end attaches are delivered when it does', async () => {
    const probe = await open('api/pipe/pipe-early/probe');
    probe.send('$ prompt');
    await new Promise((r) => setTimeout(r, 50));
    // Listen before the socket opens: the waiting bytes may arrive with the upgrade answer.
    const ui = new WebSocket(wsUrl(app, 'api/pipe/pipe-early'));
    sockets.push(ui);
    assert.equal((await receiveBytes(ui, 8)).bytes.toString(), '$ prompt');
  });

  test('/check: 204 for unknown and open pipes, 404 once closed; DELETE closes both ends', async () => {
    assert.equal(await checkStatus(app, 'never-seen'), 204);
    const ui = await open('api/pipe/pipe-del');
    const probe = await open('api/pipe/pipe-del/probe');
    const res = await fetch(`${app.url}api/pipe/pipe-del`, { method: 'DELETE' });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '');
    await Promise.all([closedOf(ui), closedOf(probe)]);
    assert.equal(await checkStatus(app, 'pipe-del'), 404);
    const refused = await wsRefusal(wsUrl(app, 'api/pipe/pipe-del'));
    assert.equal(refused.status, 404);
    assert.equal(refused.body, '404 page not found\n');
    // Closing again, or closing an unknown pipe, is fine; POST closes too.
    assert.equal((await fetch(`${app.url}api/pipe/pipe-del`, { method: 'POST' })).status, 200);
    assert.equal((await fetch(`${app.url}api/pipe/unknown-pipe`, { method: 'DELETE' })).status, 200);
  });

  test('a pipe whose other end never attaches is closed after the idle time', async () => {
    const ui = await open('api/pipe/pipe-idle');
    await closedOf(ui);
    assert.equal(await checkStatus(app, 'pipe-idle'), 404);
  });

  test('a plain GET on a pipe websocket route is a 400, not a crash', async () => {
    const res = await fetch(`${app.url}api/pipe/x`);
    assert.equal(res.status, 400);
    assert.equal(typeof JSON.parse(await res.text()), 'string');
  });

  test('/metrics counts pipe websockets', async () => {
    await open('api/pipe/pipe-m');
    const text = await (await fetch(`${app.url}metrics`)).text();
    assert.match(text, /^openscope_app_websocket_clients\{kind="pipe"\} [1-9]/m);
    assert.match(text, /^openscope_app_pipes [1-9]/m);
  });
});
