/**
 * Development server for the UI without a running app: serves web/dist and answers the API
 * from the recorded Scope fixtures (../shared/fixtures/scope), with a live websocket diff stream
 * (metric updates, a node coming and going), a fake shell behind exec/attach controls, and
 * stop/start controls that change the container's state. Not used in production.
 *
 *   node --import tsx web/dev/fixture-server.ts [--port 4041] [--synthetic N]
 *   POST /__dev/down and /__dev/up simulate the app becoming unreachable and recovering.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { join, extname, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';

type Json = Record<string, unknown>;
interface Summary extends Json {
  id: string;
  label: string;
  labelMinor: string;
  rank: string;
  adjacency?: string[];
  metrics?: { id: string; label: string; value: number; min: number; max: number; samples: unknown }[];
  metadata?: { id: string; label: string; value: string }[];
}

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const fixtures = resolve(repo, '../shared/fixtures/scope');
const dist = resolve(repo, 'web/dist');

const args = process.argv.slice(2);
const argVal = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const port = Number(argVal('--port') ?? process.env['PORT'] ?? 4041);
const synthetic = Number(argVal('--synthetic') ?? 0);

const readJson = (p: string): unknown => JSON.parse(readFileSync(p, 'utf8'));

const topologyIds = ['containers', 'containers-by-hostname', 'containers-by-image', 'processes', 'processes-by-name', 'hosts'];
const views = new Map<string, Map<string, Summary>>();
for (const t of topologyIds) {
  const raw = readJson(join(fixtures, 'rendered', `${t}.json`)) as { nodes: Record<string, Summary> };
  views.set(t, new Map(Object.entries(raw.nodes)));
}
views.set('weave', new Map());
// Processes: use the unconnected-shown sample so the processes view is not empty.
const procSample = readJson(join(fixtures, 'samples', 'api-topology-processes.json')) as { nodes: Record<string, Summary> };
views.set('processes', new Map(Object.entries(procSample.nodes)));

if (synthetic > 0) views.set('containers', syntheticGraph(synthetic));
if (args.includes('--showcase')) {
  // Every shape Scope can draw, the Internet clouds and a stacked group, wired into the chain.
  const c = views.get('containers')!;
  const first = [...c.values()][0]!;
  const shapes = ['circle', 'triangle', 'square', 'pentagon', 'heptagon', 'octagon', 'cylinder', 'dottedcylinder', 'sheet', 'dottedtriangle'];
  shapes.forEach((shape, i) => {
    const id = `shape-${shape}`;
    c.set(id, { id, label: shape, labelMinor: 'showcase', rank: `r${i}`, shape, adjacency: i + 1 < shapes.length ? [`shape-${shapes[i + 1]}`] : [] });
  });
  c.set('in-theinternet', { id: 'in-theinternet', label: 'The Internet', labelMinor: 'Inbound connections', rank: 'in-theinternet', shape: 'cloud', pseudo: true, adjacency: [first.id] });
  c.set('out-theinternet', { id: 'out-theinternet', label: 'The Internet', labelMinor: 'Outbound connections', rank: 'out-theinternet', shape: 'cloud', pseudo: true });
  c.set('group-web', { id: 'group-web', label: 'web-group', labelMinor: '3 containers', rank: 'web', shape: 'hexagon', stack: true, adjacency: ['out-theinternet'] });
}

function syntheticGraph(n: number): Map<string, Summary> {
  let seed = 7;
  const rnd = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const out = new Map<string, Summary>();
  for (let i = 0; i < n; i++) {
    const id = `c${i};<container>`;
    out.set(id, {
      id, label: `svc-${i}`, labelMinor: `host-${i % 7}`, rank: `img${i % 23}`, shape: 'hexagon', adjacency: [],
      metrics: [
        { id: 'docker_cpu_total_usage', label: 'CPU', format: 'percent', value: rnd() * 100, min: 0, max: 100, samples: null },
        { id: 'docker_memory_usage', label: 'Memory', format: 'filesize', value: rnd() * 5e8, min: 0, max: 1e9, samples: null },
      ],
      parents: [{ id: `host-${i % 7};<host>`, label: `host-${i % 7}`, topologyId: 'hosts' }],
    });
  }
  const ids = [...out.keys()];
  for (let e = 0; e < n * 2; e++) {
    const a = out.get(ids[Math.floor(rnd() * n)]!)!;
    const b = ids[Math.floor(rnd() * n)]!;
    if (a.id !== b && !a.adjacency!.includes(b)) a.adjacency!.push(b);
  }
  return out;
}

const topologyList = readJson(join(fixtures, 'rendered', 'topology.json')) as Json[];
const apiDetails = readJson(join(fixtures, 'rendered', 'api.json'));
const containerDetail = readJson(join(fixtures, 'samples', 'api-topology-containers-node-api.json')) as { node: Summary };

let down = false;
const stopped = new Set<string>();
const sockets = new Set<WebSocket>();
const pipes = new Map<string, { closed: boolean }>();

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-cache' });
  res.end(typeof body === 'string' && type !== 'application/json' ? body : JSON.stringify(body));
}

function withStats(list: Json[]): Json[] {
  return list.map((t) => {
    const id = String(t['url']).split('/').pop() ?? '';
    const nodes = views.get(id);
    const copy: Json = { ...t };
    if (nodes) {
      const edges = [...nodes.values()].reduce((s, n) => s + (n.adjacency?.length ?? 0), 0);
      copy['stats'] = { node_count: nodes.size, nonpseudo_node_count: nodes.size, edge_count: edges, filtered_nodes: 0 };
    }
    if (Array.isArray(t['sub_topologies'])) copy['sub_topologies'] = withStats(t['sub_topologies'] as Json[]);
    return copy;
  });
}

function currentNodes(topology: string): Map<string, Summary> {
  const nodes = views.get(topology) ?? new Map<string, Summary>();
  if (topology !== 'containers') return nodes;
  const out = new Map<string, Summary>();
  for (const [id, n] of nodes) {
    if (!stopped.has(id)) {
      out.set(id, n);
      continue;
    }
    out.set(id, { ...n, metadata: (n.metadata ?? []).map((m) => (m.id === 'docker_container_state_human' ? { ...m, value: 'Exited (0) 1 second ago' } : m)), labelMinor: `${n.labelMinor} (stopped)`, metrics: [] });
  }
  return out;
}

function details(topology: string, id: string): Json | null {
  const nodes = currentNodes(topology);
  const n = nodes.get(id);
  if (!n) return null;
  const isContainer = topology === 'containers';
  const base: Json = id === containerDetail.node.id ? { ...containerDetail.node } : { ...n };
  base['metrics'] = (n.metrics ?? []).map((m) => ({ ...m, samples: Array.from({ length: 30 }, (_, i) => ({ date: new Date(Date.now() - (30 - i) * 1000).toISOString(), value: m.value * (0.6 + 0.4 * Math.abs(Math.sin(i / 3))) })) }));
  base['metadata'] = n.metadata;
  base['labelMinor'] = n.labelMinor;
  const probeId = 'fixture-probe';
  const running = !stopped.has(id);
  base['controls'] = isContainer
    ? running
      ? [
          { probeId, nodeId: id, id: 'docker_attach_container', human: 'Attach', icon: 'fa fa-desktop', rank: 1 },
          { probeId, nodeId: id, id: 'docker_exec_container', human: 'Exec shell', icon: 'fa fa-terminal', rank: 2 },
          { probeId, nodeId: id, id: 'docker_restart_container', human: 'Restart', icon: 'fa fa-redo', rank: 4 },
          { probeId, nodeId: id, id: 'docker_pause_container', human: 'Pause', icon: 'fa fa-pause', rank: 5 },
          { probeId, nodeId: id, id: 'docker_stop_container', human: 'Stop', icon: 'fa fa-stop', rank: 7 },
        ]
      : [{ probeId, nodeId: id, id: 'docker_start_container', human: 'Start', icon: 'fa fa-play', rank: 3 }]
    : topology === 'hosts'
      ? [{ probeId, nodeId: id, id: 'host_exec', human: 'Exec shell', icon: 'fa fa-terminal', rank: 1 }]
      : [];
  const inbound = [...nodes.values()].filter((x) => x.adjacency?.includes(id));
  const row = (x: Summary, port: string): Json => ({ id: `${x.id}---${port}`, nodeId: x.id, label: x.label, labelMinor: x.labelMinor, metadata: [{ id: 'port', label: '', value: port }, { id: 'count', label: '', value: '3' }] });
  const cols = [{ id: 'port', label: 'Port', dataType: 'number' }, { id: 'count', label: 'Count', dataType: 'number', defaultSort: true }];
  base['connections'] = [
    { id: 'incoming-connections', topologyId: topology, label: 'Inbound', columns: cols, connections: inbound.map((x) => row(x, '8080')) },
    { id: 'outgoing-connections', topologyId: topology, label: 'Outbound', columns: cols, connections: (n.adjacency ?? []).flatMap((t) => { const x = nodes.get(t); return x ? [row(x, '5432')] : []; }) },
  ];
  return { node: base };
}

function fakeShell(ws: WebSocket): void {
  let line = '';
  ws.send(Buffer.from('fixture shell — try `echo hi`\r\n$ '));
  ws.on('message', (data: Buffer) => {
    for (const ch of data.toString('utf8')) {
      if (ch === '\r' || ch === '\n') {
        const m = /^echo (.*)$/.exec(line.trim());
        ws.send(Buffer.from(`\r\n${m ? m[1] : line ? `sh: ${line}: not found` : ''}${m || line ? '\r\n' : ''}$ `));
        line = '';
      } else if (ch === '\u007f') {
        if (line) {
          line = line.slice(0, -1);
          ws.send(Buffer.from('\b \b'));
        }
      } else {
        line += ch;
        ws.send(Buffer.from(ch));
      }
    }
  });
}

function serveStatic(req: IncomingMessage, res: ServerResponse, path: string): void {
  let file = join(dist, path === '/' ? 'index.html' : path);
  if (!file.startsWith(dist) || !existsSync(file) || statSync(file).isDirectory()) file = join(dist, 'index.html');
  if (!existsSync(file)) return send(res, 404, 'build the UI first: npm run build:web', 'text/plain');
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json', '.woff2': 'font/woff2' };
  res.writeHead(200, { 'Content-Type': types[extname(file)] ?? 'application/octet-stream' });
  res.end(readFileSync(file));
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  // Allow serving under a prefix (/scope/...) to check relative URLs.
  const path = url.pathname.replace(/^\/scope(?=\/)/, '');
  const parts = path.split('/').map(decodeURIComponent);
  if (path === '/__dev/down') {
    down = true;
    for (const s of sockets) s.terminate();
    return send(res, 200, 'down', 'text/plain');
  }
  if (path === '/__dev/up') {
    down = false;
    return send(res, 200, 'up', 'text/plain');
  }
  if (path.startsWith('/api') && down) {
    res.socket?.destroy();
    return;
  }
  if (path === '/api') return send(res, 200, apiDetails);
  if (path === '/api/topology') return send(res, 200, withStats(topologyList));
  if (parts[1] === 'api' && parts[2] === 'topology' && parts.length === 4) {
    const nodes = currentNodes(parts[3] ?? '');
    if (!views.has(parts[3] ?? '')) return send(res, 404, '404 page not found', 'text/plain');
    return send(res, 200, { nodes: Object.fromEntries(nodes) });
  }
  if (parts[1] === 'api' && parts[2] === 'topology' && parts.length === 5) {
    const d = details(parts[3] ?? '', parts[4] ?? '');
    return d ? send(res, 200, d) : send(res, 404, '404 page not found', 'text/plain');
  }
  if (parts[1] === 'api' && parts[2] === 'control' && req.method === 'POST') {
    const nodeId = parts[4] ?? '';
    const control = parts[5] ?? '';
    setTimeout(() => {
      if (control === 'docker_stop_container') stopped.add(nodeId);
      if (control === 'docker_start_container' || control === 'docker_restart_container') stopped.delete(nodeId);
      if (control.includes('exec') || control.includes('attach')) {
        const pipe = `pipe-${Math.floor(Math.random() * 1e15)}`;
        pipes.set(pipe, { closed: false });
        return send(res, 200, { pipe, raw_tty: true, resize_tty_control: 'docker_resize_exec_tty' });
      }
      if (control === 'docker_pause_container') return send(res, 400, 'pausing is not supported by the fixture server');
      return send(res, 200, {});
    }, 400);
    return;
  }
  if (parts[1] === 'api' && parts[2] === 'pipe') {
    const p = pipes.get(parts[3] ?? '');
    if (parts[4] === 'check') return send(res, p?.closed ? 404 : 204, '', 'text/plain');
    if (req.method === 'DELETE' || req.method === 'POST') {
      if (p) p.closed = true;
      return send(res, 200, '', 'text/plain');
    }
  }
  if (path === '/api/report') return send(res, 200, {});
  return serveStatic(req, res, path);
});

const wss = new WebSocketServer({ noServer: true });
server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const parts = url.pathname.replace(/^\/scope(?=\/)/, '').split('/').map(decodeURIComponent);
  if (down) return socket.destroy();
  wss.handleUpgrade(req, socket, head, (ws) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    if (parts[2] === 'pipe') return fakeShell(ws);
    const topology = parts[3] ?? '';
    let last = new Map<string, string>();
    let tick = 0;
    const push = (reset: boolean): void => {
      const nodes = currentNodes(topology);
      // Every 4th tick a short-lived node appears (and then goes) to exercise incremental layout.
      const cur = new Map(nodes);
      if (topology === 'containers' && !synthetic && tick % 8 >= 4) {
        const first = [...nodes.values()][0];
        if (first) cur.set('ephemeral;<container>', { id: 'ephemeral;<container>', label: 'ephemeral', labelMinor: 'vm', rank: 'localbb', shape: 'hexagon', adjacency: [first.id] });
      }
      for (const n of cur.values()) {
        for (const m of n.metrics ?? []) m.value = Math.max(0, m.value * (0.9 + Math.random() * 0.2));
      }
      const add: Summary[] = [];
      const update: Summary[] = [];
      const next = new Map<string, string>();
      for (const [id, n] of cur) {
        const json = JSON.stringify(n);
        next.set(id, json);
        if (!last.has(id)) add.push(n);
        else if (last.get(id) !== json) update.push(n);
      }
      const remove = [...last.keys()].filter((id) => !next.has(id));
      last = next;
      ws.send(JSON.stringify({ add: add.length ? add : null, update: update.length ? update : null, remove: remove.length ? remove : null, ...(reset ? { reset: true } : {}) }));
      tick++;
    };
    push(true);
    const timer = setInterval(() => push(false), 2000);
    ws.on('close', () => clearInterval(timer));
  });
});

server.listen(port, '127.0.0.1', () => {
  console.log(`fixture server on http://127.0.0.1:${port}/ (also under /scope/)`);
});
