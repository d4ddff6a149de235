/**
 * Issue #3 acceptance on the real machine: `openscope` (app + probe in one process) sees a real
 * TCP server and client, draws the edge client → server, lists the connection in both nodes'
 * details, and streams a `remove` when the client exits. Short-lived connections (a new one every
 * second) still give the server an edge. This host shows up with CPU and memory metrics.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import WebSocket from 'ws';
import { freePort, getJson, startOpenScope, waitFor, type OpenScopeProcess } from '../helpers/openscope-process.js';

const HOST = `ostest-${process.pid}`;
let app: OpenScopeProcess;
const children: ChildProcess[] = [];

interface Summary { id: string; label?: string; adjacency?: string[]; metrics?: Array<{ id: string; samples?: unknown[] | null; value?: number }> }
type Nodes = Record<string, Summary>;

before(async () => {
  app = await startOpenScope([], { env: { SCOPE_HOSTNAME: HOST } });
});
after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await app?.stop();
});

function spawnNode(code: string): ChildProcess {
  const child = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
  children.push(child);
  return child;
}

const processes = async (): Promise<Nodes> => (await getJson<{ nodes: Nodes | null }>(`${app.url}/api/topology/processes`)).nodes ?? {};

test('a long-lived connection is an edge client → server with both processes in each other\'s details, and a remove when the client exits', async () => {
  const port = await freePort();
  const server = spawnNode(`require('net').createServer((s) => s.on('data', () => {})).listen(${port}, '127.0.0.1'); setInterval(() => {}, 1000);`);
  await new Promise((r) => setTimeout(r, 300));
  const client = spawnNode(`const s = require('net').connect(${port}, '127.0.0.1'); setInterval(() => s.write('x'), 500);`);
  const serverId = `${HOST};${server.pid}`;
  const clientId = `${HOST};${client.pid}`;

  const nodes = await waitFor('client and server nodes with the edge', async () => {
    const n = await processes();
    return n[serverId] && n[clientId]?.adjacency?.includes(serverId) ? n : undefined;
  }, 10_000);
  assert.ok(nodes[clientId]);

  const details = async (id: string): Promise<string> => JSON.stringify(await getJson(`${app.url}/api/topology/processes/${encodeURIComponent(id)}`));
  const clientDetails = await details(clientId);
  const serverDetails = await details(serverId);
  assert.match(clientDetails, /outgoing-connections/);
  assert.ok(clientDetails.includes(serverId), 'client details list the server in its outbound connections');
  assert.match(serverDetails, /incoming-connections/);
  assert.ok(serverDetails.includes(clientId), 'server details list the client in its inbound connections');

  // The websocket streams a remove for the client within app.window (15 s) + 3 s of its exit.
  const ws = new WebSocket(`${app.url.replace('http', 'ws')}/api/topology/processes/ws?t=1s`);
  const removed = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no remove for the client within 18 s')), 18_000 + 4_000);
    let killedAt = 0;
    ws.on('message', (data: Buffer) => {
      const diff = JSON.parse(data.toString()) as { remove?: string[] | null };
      if (!killedAt) {
        killedAt = Date.now();
        client.kill('SIGKILL');
      }
      if (diff.remove?.includes(clientId)) {
        clearTimeout(timer);
        resolve(Date.now() - killedAt);
      }
    });
    ws.on('error', reject);
  });
  try {
    const elapsed = await removed;
    assert.ok(elapsed <= 18_000, `remove came after ${elapsed} ms`);
  } finally {
    ws.close();
  }
});

test('short-lived connections (a new one every second) give the server process an edge', async () => {
  const port = await freePort();
  const server = spawnNode(`require('net').createServer((s) => s.end('hi')).listen(${port}, '127.0.0.1'); setInterval(() => {}, 1000);`);
  spawnNode(`setInterval(() => { const s = require('net').connect(${port}, '127.0.0.1'); s.on('data', () => s.destroy()); s.on('error', () => {}); }, 1000);`);
  const serverId = `${HOST};${server.pid}`;
  await waitFor('an edge into the server process', async () => {
    const n = await processes();
    return Object.values(n).some((s) => s.adjacency?.includes(serverId)) ? true : undefined;
  }, 15_000);
});

test('this host is in the hosts topology with CPU and memory metrics and their samples', async () => {
  const host = await waitFor('the host node with metrics', async () => {
    const n = (await getJson<{ nodes: Nodes | null }>(`${app.url}/api/topology/hosts`)).nodes ?? {};
    const h = n[`${HOST};<host>`];
    return h?.metrics?.some((m) => m.id === 'host_cpu_usage_percent') ? h : undefined;
  }, 10_000);
  const ids = (host.metrics ?? []).map((m) => m.id);
  assert.ok(ids.includes('host_mem_usage_bytes'));
  const details = await getJson<{ node: { metrics?: Array<{ id: string; samples?: unknown[] | null }> } }>(
    `${app.url}/api/topology/hosts/${encodeURIComponent(`${HOST};<host>`)}`,
  );
  const cpu = details.node.metrics?.find((m) => m.id === 'host_cpu_usage_percent');
  assert.ok(cpu?.samples && cpu.samples.length > 0, 'CPU metric has samples in details');
});
