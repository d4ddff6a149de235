/**
 * Issue #4 acceptance against the real Docker engine: a chain of containers A → B → C talking
 * through 1-s wget loops shows as edges in the containers view; two containers sharing a hostname
 * are one node; controls change real containers; exec opens a working terminal pipe; logs stream.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadavg } from 'node:os';
import WebSocket from 'ws';
import { getJson, startOpenScope, waitFor, type OpenScopeProcess } from '../helpers/openscope-process.js';
import { cleanupDocker, docker, dockerUnavailable, retryingFreezeFailures } from '../helpers/docker.js';

const P = `ostest${process.pid}`;
const A = `${P}-a`, B = `${P}-b`, C = `${P}-c`, H1 = `${P}-h1`, H2 = `${P}-h2`;
let app: OpenScopeProcess | undefined;
let skip: string | undefined;

interface Summary { id: string; label?: string; labelMinor?: string; adjacency?: string[] }
interface Control { probeId: string; nodeId: string; id: string }
interface Details { node: { id: string; controls?: Control[] | null; metadata?: Array<{ id: string; value: string }>; connections?: unknown } }

const serveAndLoop = (target?: string): string =>
  `mkdir -p /www && echo hello > /www/index.html && httpd -p 80 -h /www; ` +
  (target ? `while true; do wget -q -O /dev/null http://${target}/ ; sleep 1; done` : 'while true; do sleep 1; done');

before(async () => {
  skip = await dockerUnavailable();
  if (skip) return;
  await cleanupDocker(P);
  await docker('network', 'create', `${P}-net`);
  await docker('run', '-d', '--name', C, '--network', `${P}-net`, 'localbb:latest', 'sh', '-c', serveAndLoop());
  await docker('run', '-d', '--name', B, '--network', `${P}-net`, 'localbb:latest', 'sh', '-c', serveAndLoop(C));
  await docker('run', '-d', '--name', A, '--network', `${P}-net`, 'localbb:latest', 'sh', '-c', serveAndLoop(B));
  // Exits promptly on SIGTERM: busybox sh as PID 1 ignores it, so each stop and restart waited
  // Docker's 10-s timeout (a restart then ran past the control's 30-s answer deadline at load 70).
  for (const h of [H1, H2]) await docker('run', '-d', '--name', h, '--hostname', `${P}-shared`, 'localbb:latest', 'sh', '-c', 'trap "exit 0" TERM; while true; do echo tick; sleep 1; done');
  app = await startOpenScope(['--probe.docker=true']);
});
after(async () => {
  await app?.stop();
  await cleanupDocker(P);
});

const containers = async (q = ''): Promise<Record<string, Summary>> =>
  (await getJson<{ nodes: Record<string, Summary> | null }>(`${app!.url}/api/topology/containers${q}`)).nodes ?? {};
const byLabel = (nodes: Record<string, Summary>, label: string): Summary | undefined => Object.values(nodes).find((n) => n.label === label);

test('the chain A → B → C shows as container nodes and edges within 15 s', async (t) => {
  if (skip) return t.skip(skip);
  const started = Date.now();
  await waitFor('edges A → B → C', async () => {
    const n = await containers();
    const [a, b, c] = [byLabel(n, A), byLabel(n, B), byLabel(n, C)];
    return a && b && c && a.adjacency?.includes(b.id) && b.adjacency?.includes(c.id) ? true : undefined;
  }, 15_000); // on a machine with spare cores; waitFor stretches it on an overloaded one
  t.diagnostic(`edges after ${Date.now() - started} ms (load ${loadavg()[0]!.toFixed(1)})`);
});

test('two containers sharing a hostname are one node in containers-by-hostname; by-image groups by image name', async (t) => {
  if (skip) return t.skip(skip);
  const node = await waitFor('the shared hostname node', async () => {
    const n = (await getJson<{ nodes: Record<string, Summary> | null }>(`${app!.url}/api/topology/containers-by-hostname`)).nodes ?? {};
    return Object.values(n).find((s) => s.label === `${P}-shared` && s.labelMinor === '2 containers');
  }, 15_000);
  assert.equal(node.labelMinor, '2 containers');
  const images = (await getJson<{ nodes: Record<string, Summary> | null }>(`${app!.url}/api/topology/containers-by-image`)).nodes ?? {};
  assert.ok(Object.values(images).some((s) => s.label === 'localbb'), 'an image node named localbb');
});

async function details(id: string): Promise<Details> {
  return getJson<Details>(`${app!.url}/api/topology/containers/${encodeURIComponent(id)}`);
}
async function control(c: Control, id: string, args?: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${app!.url}/api/control/${encodeURIComponent(c.probeId)}/${encodeURIComponent(c.nodeId)}/${id}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(args ?? {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}
async function controlOf(name: string, controlId: string): Promise<Control> {
  return waitFor(`control ${controlId} on ${name}`, async () => {
    const node = byLabel(await containers('?stopped=both'), name);
    if (!node) return undefined;
    return (await details(node.id)).node.controls?.find((c) => c.id === controlId);
  }, 15_000);
}
const state = async (name: string): Promise<string> => docker('inspect', '-f', '{{.State.Status}}', name);

test('stop / start / restart / pause / unpause / remove change the real container and its node within 5 s', async (t) => {
  if (skip) return t.skip(skip);
  const steps: Array<[string, string]> = [
    ['docker_stop_container', 'exited'],
    ['docker_start_container', 'running'],
    ['docker_restart_container', 'running'],
    ['docker_pause_container', 'paused'],
    ['docker_unpause_container', 'running'],
  ];
  for (const [id, expected] of steps) {
    const c = await controlOf(H2, id);
    const res = await retryingFreezeFailures(() => control(c, id), (r) => JSON.stringify(r.body));
    assert.equal(res.status, 200, `${id}: ${JSON.stringify(res.body)}`);
    assert.equal(await state(H2), expected, id);
    await waitFor(`node state after ${id}`, async () => {
      const node = byLabel(await containers('?stopped=both'), H2);
      const meta = node && (await details(node.id)).node.metadata?.find((m) => m.id === 'docker_container_state');
      return meta && meta.value === expected ? true : undefined;
    }, 5_000);
  }
  await docker('stop', '-t', '1', H2);
  const rm = await controlOf(H2, 'docker_remove_container');
  assert.equal((await control(rm, 'docker_remove_container')).status, 200);
  await assert.rejects(docker('inspect', H2));
});

function pipeSocket(pipeId: string): Promise<{ ws: WebSocket; text: () => string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${app!.url.replace('http', 'ws')}/api/pipe/${encodeURIComponent(pipeId)}`);
    let out = '';
    ws.on('message', (d: Buffer) => (out += d.toString()));
    ws.once('open', () => resolve({ ws, text: () => out }));
    ws.once('error', reject);
  });
}

test('exec opens a pipe where `echo hi` answers hi, and resize works', async (t) => {
  if (skip) return t.skip(skip);
  const c = await controlOf(A, 'docker_exec_container');
  const res = await control(c, 'docker_exec_container');
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const pipeId = String(res.body.pipe);
  assert.match(pipeId, /^pipe-/);
  const { ws, text } = await pipeSocket(pipeId);
  try {
    ws.send('echo h""i\n');
    await waitFor('hi in the terminal', async () => (/\bhi\b/.test(text().replace(/echo h""i/g, '')) ? true : undefined), 10_000);
    const resizeId = String(res.body.resize_tty_control);
    const resized = await control(c, resizeId, { pipeID: pipeId, width: '100', height: '30' });
    assert.equal(resized.status, 200, JSON.stringify(resized.body));
  } finally {
    ws.close();
    await fetch(`${app!.url}/api/pipe/${encodeURIComponent(pipeId)}`, { method: 'DELETE' });
  }
});

test('logs stream through a pipe', async (t) => {
  if (skip) return t.skip(skip);
  const c = await controlOf(H1, 'docker_logs_container');
  const res = await control(c, 'docker_logs_container');
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const { ws, text } = await pipeSocket(String(res.body.pipe));
  try {
    await waitFor('log lines', async () => ((text().match(/tick/g) ?? []).length >= 2 ? true : undefined), 10_000);
  } finally {
    ws.close();
  }
});
