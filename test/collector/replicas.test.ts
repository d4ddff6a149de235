/**
 * Two app replicas on one real Redis (issue #8): probes split between them, both serve the same
 * nodes; a control and a pipe for a probe connected to the other replica work through Redis.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import type { RunningApp } from '../../src/app/index.js';
import { eventually, getJson, openWs, postReport, startTestApp, wsUrl } from '../app/helpers.js';
import { fakeProbeBody, redisAvailable, startRedis, type TestRedis } from './helpers.js';

const available = await redisAvailable();
if (!available && process.env.CI === 'true') throw new Error('redis-server is required in CI');

/** A probe's control channel that answers `echo` with its args and `exec` with a pipe that echoes. */
async function fakeProbe(app: RunningApp, probeId: string): Promise<{ ws: WebSocket; pipes: WebSocket[] }> {
  const ws = await openWs(wsUrl(app, 'api/control/ws'), { 'X-Scope-Probe-ID': probeId });
  const pipes: WebSocket[] = [];
  let seq: number | undefined;
  ws.on('message', (data: Buffer) => {
    const frame = JSON.parse(data.toString()) as { Request: { Seq: number } | null; Value: { Control?: string; ControlArgs?: unknown } | null };
    if (seq === undefined) {
      seq = frame.Request?.Seq;
      return;
    }
    const s = seq;
    seq = undefined;
    const control = frame.Value?.Control;
    const answer = (value: unknown) => {
      ws.send(JSON.stringify({ Request: null, Response: { ServiceMethod: 'control.Handle', Seq: s, Error: '' }, Value: null }));
      ws.send(JSON.stringify({ Request: null, Response: null, Value: value }));
    };
    if (control === 'exec') {
      const pipeId = `pipe-${s}-${probeId}`;
      void openWs(wsUrl(app, `api/pipe/${pipeId}/probe`)).then((p) => {
        pipes.push(p);
        p.send(Buffer.from('$ ')); // a prompt before the UI end is attached
        p.on('message', (d: Buffer) => p.send(Buffer.from(`echo:${d.toString()}`)));
        answer({ pipe: pipeId, raw_tty: true });
      });
    } else {
      answer({ value: { probe: probeId, args: frame.Value?.ControlArgs ?? null } });
    }
  });
  return { ws, pipes };
}

const hostIds = (body: unknown): string[] => Object.keys((body as { nodes: Record<string, unknown> }).nodes).sort();

describe('two app replicas on one Redis', { skip: available ? false : 'redis-server not installed' }, () => {
  let redis: TestRedis;
  let a: RunningApp;
  let b: RunningApp;
  const sockets: WebSocket[] = [];
  before(async () => {
    redis = await startRedis();
    a = await startTestApp({ collector: redis.url });
    b = await startTestApp({ collector: redis.url });
  });
  after(async () => {
    for (const s of sockets) s.terminate();
    await Promise.all([a?.close(), b?.close()]);
    await redis.kill();
  });

  test('probes split between replicas: both show the same hosts', async () => {
    for (const [app, host] of [[a, 'hosta'], [b, 'hostb']] as const) {
      const { body, headers } = fakeProbeBody(3, host);
      assert.equal((await postReport(app, body, headers)).status, 200);
    }
    let fromA: string[] = [];
    let fromB: string[] = [];
    await eventually(async () => {
      fromA = hostIds((await getJson(a, 'api/topology/hosts')).body);
      fromB = hostIds((await getJson(b, 'api/topology/hosts')).body);
      return fromA.length === 2 && fromA.join() === fromB.join();
    }, 5000, 'the same two hosts on both replicas').catch(() => undefined);
    assert.equal(fromA.length, 2, `hosts on A: ${fromA.join(', ')}`);
    assert.deepEqual(fromB, fromA);
    const api = (await getJson(a, 'api')).body as { capabilities: Record<string, boolean> };
    assert.equal(api.capabilities.historic_reports, true);
  });

  test('a control for a probe connected to the other replica is answered', async () => {
    const probe = await fakeProbe(b, 'probe-on-b');
    sockets.push(probe.ws);
    await eventually(async () => {
      const res = await fetch(`${a.url}api/control/probe-on-b/node1/echo`, { method: 'POST', body: '{"x":"1"}', signal: AbortSignal.timeout(5000) });
      if (res.status !== 200) return false;
      assert.deepEqual(await res.json(), { value: { probe: 'probe-on-b', args: { x: '1' } } });
      return true;
    }, 5000, 'the forwarded control');
    const unknown = await fetch(`${a.url}api/control/nobody/node1/echo`, { method: 'POST', signal: AbortSignal.timeout(5000) });
    assert.equal(unknown.status, 400, 'a probe connected nowhere: the local error');
  });

  test('a pipe (exec) through the other replica echoes', async () => {
    const probe = await fakeProbe(b, 'probe-pipe');
    sockets.push(probe.ws);
    let reply: { pipe?: string } = {};
    await eventually(async () => {
      const res = await fetch(`${a.url}api/control/probe-pipe/node1/exec`, { method: 'POST', signal: AbortSignal.timeout(5000) });
      if (res.status !== 200) return false;
      reply = (await res.json()) as { pipe?: string };
      return true;
    }, 5000, 'the exec control');
    assert.ok(reply.pipe);
    // Messages are collected from the start: the first may arrive with the upgrade.
    const received: string[] = [];
    const ui = new WebSocket(wsUrl(a, `api/pipe/${reply.pipe}`));
    ui.on('message', (d: Buffer) => received.push(d.toString()));
    sockets.push(ui, ...probe.pipes);
    await eventually(async () => received.length >= 1, 5000, 'the prompt');
    assert.equal(received[0], '$ ', 'bytes the probe sent before the UI attached arrive');
    ui.send(Buffer.from('hello'));
    await eventually(async () => received.length >= 2, 5000, 'the echo');
    assert.equal(received[1], 'echo:hello');
    // Closing on A closes the probe end on B.
    const closed = new Promise<void>((resolve) => probe.pipes[0]!.once('close', () => resolve()));
    await fetch(`${a.url}api/pipe/${reply.pipe}`, { method: 'DELETE', signal: AbortSignal.timeout(5000) });
    await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error('probe end not closed')), 5000))]);
  });
});
