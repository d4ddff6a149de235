/**
 * A small Kubernetes API server for tests (a real one cannot run here): serves real-shaped objects
 * (`kubectl get -o json` output under `objects/`) with discovery (`/api`, `/apis`, resource lists),
 * list (with `spec.nodeName` field selectors), watch (resourceVersion, streamed JSON-line events),
 * get, delete, the scale subresource (GET/PUT) and PATCH. Every request is recorded. Tests mutate
 * objects through `upsert`/`remove` (which stream watch events), deny resources (403), and restart
 * the server on the same port.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ResourceInfo {
  groupVersion: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

/** Resources this server knows, keyed by `groupVersion/plural`. */
export const RESOURCES: readonly ResourceInfo[] = [
  { groupVersion: 'v1', plural: 'pods', kind: 'Pod', namespaced: true },
  { groupVersion: 'v1', plural: 'services', kind: 'Service', namespaced: true },
  { groupVersion: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false },
  { groupVersion: 'v1', plural: 'nodes', kind: 'Node', namespaced: false },
  { groupVersion: 'v1', plural: 'persistentvolumes', kind: 'PersistentVolume', namespaced: false },
  { groupVersion: 'v1', plural: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', namespaced: true },
  { groupVersion: 'apps/v1', plural: 'deployments', kind: 'Deployment', namespaced: true },
  { groupVersion: 'apps/v1', plural: 'replicasets', kind: 'ReplicaSet', namespaced: true },
  { groupVersion: 'apps/v1', plural: 'daemonsets', kind: 'DaemonSet', namespaced: true },
  { groupVersion: 'apps/v1', plural: 'statefulsets', kind: 'StatefulSet', namespaced: true },
  { groupVersion: 'batch/v1', plural: 'jobs', kind: 'Job', namespaced: true },
  { groupVersion: 'batch/v1', plural: 'cronjobs', kind: 'CronJob', namespaced: true },
  { groupVersion: 'storage.k8s.io/v1', plural: 'storageclasses', kind: 'StorageClass', namespaced: false },
];

/** The CSI snapshot CRD's resource, served only by servers made with `{ snapshotCrd: true }`. */
export const SNAPSHOT_RESOURCE: ResourceInfo = { groupVersion: 'snapshot.storage.k8s.io/v1', plural: 'volumesnapshots', kind: 'VolumeSnapshot', namespaced: true };

type Json = Record<string, unknown>;

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  contentType: string;
}

interface WatchEvent {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  plural: string;
  object: Json;
}

interface Watcher {
  plural: string;
  nodeName: string;
  res: ServerResponse;
}

const OBJECTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'objects');

/** Items of `objects/<plural>.json` (a `kubectl get -o json` List), or none. */
export function loadObjects(plural: string): Json[] {
  try {
    const list = JSON.parse(readFileSync(join(OBJECTS_DIR, `${plural}.json`), 'utf8')) as { items: Json[] };
    return list.items;
  } catch {
    return [];
  }
}

function metaOf(o: Json): Json {
  return (o.metadata ?? {}) as Json;
}

/** `namespace/name` of an object (namespace empty when cluster-scoped). */
function keyOf(o: Json): string {
  const m = metaOf(o);
  const s = (v: unknown): string => (typeof v === 'string' ? v : '');
  return `${s(m.namespace)}/${s(m.name)}`;
}

export class FakeApiServer {
  private server: Server | undefined;
  private port = 0;
  /** plural → key (`ns/name`) → object. */
  private readonly objects = new Map<string, Map<string, Json>>();
  private readonly events: WatchEvent[] = [];
  private readonly watchers = new Set<Watcher>();
  private rv = 1000;
  readonly requests: RecordedRequest[] = [];
  /** Plurals answered with 403 Forbidden. */
  readonly denied = new Set<string>();

  /** The resources this server serves (RESOURCES, plus the snapshot CRD when asked). */
  private readonly resources: readonly ResourceInfo[];

  constructor(load = true, opts: { snapshotCrd?: boolean } = {}) {
    this.resources = opts.snapshotCrd === true ? [...RESOURCES, SNAPSHOT_RESOURCE] : RESOURCES;
    for (const r of this.resources) {
      const m = new Map<string, Json>();
      this.objects.set(r.plural, m);
      if (load) for (const o of loadObjects(r.plural)) this.put(r.plural, o);
    }
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Stops listening and drops every connection (watches end abruptly, as in an API server crash). */
  async stop(): Promise<void> {
    for (const w of this.watchers) w.res.destroy();
    this.watchers.clear();
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** An API server restart: down for `downMillis`, then back on the same port with the same objects. */
  async restart(downMillis = 200): Promise<void> {
    await this.stop();
    await new Promise((r) => setTimeout(r, downMillis));
    await this.start();
  }

  private put(plural: string, o: Json): Json {
    const m = metaOf(o);
    const key = keyOf(o);
    m.resourceVersion = String(++this.rv);
    o.metadata = m;
    this.objects.get(plural)!.set(key, o);
    return o;
  }

  /** Adds or replaces an object and streams ADDED / MODIFIED to watchers. */
  upsert(plural: string, o: Json): void {
    const exists = this.objects.get(plural)!.has(keyOf(o));
    const stored = this.put(plural, structuredClone(o));
    this.emit({ rv: this.rv, type: exists ? 'MODIFIED' : 'ADDED', plural, object: stored });
  }

  /** Removes an object and streams DELETED. */
  remove(plural: string, namespace: string, name: string): boolean {
    const map = this.objects.get(plural)!;
    const o = map.get(`${namespace}/${name}`);
    if (!o) return false;
    map.delete(`${namespace}/${name}`);
    metaOf(o).resourceVersion = String(++this.rv);
    this.emit({ rv: this.rv, type: 'DELETED', plural, object: o });
    return true;
  }

  get(plural: string, namespace: string, name: string): Json | undefined {
    return this.objects.get(plural)?.get(`${namespace}/${name}`);
  }

  private emit(e: WatchEvent): void {
    this.events.push(e);
    for (const w of this.watchers) this.send(w, e);
  }

  private send(w: Watcher, e: WatchEvent): void {
    if (w.plural !== e.plural) return;
    if (w.nodeName !== '' && ((e.object.spec ?? {}) as Json).nodeName !== w.nodeName) return;
    w.res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = text;
    }
    this.requests.push({ method: req.method ?? '', path: url.pathname, query: url.searchParams, body, contentType: req.headers['content-type'] ?? '' });
    try {
      this.route(req.method ?? 'GET', url, body, res);
    } catch (err) {
      this.status(res, 500, 'InternalError', String(err));
    }
  }

  private json(res: ServerResponse, code: number, o: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(o));
  }

  private status(res: ServerResponse, code: number, reason: string, message: string): void {
    this.json(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
  }

  private route(method: string, url: URL, body: unknown, res: ServerResponse): void {
    const segs = url.pathname.split('/').filter((s) => s !== '');
    if (url.pathname === '/api') return this.json(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '192.168.49.2:8443' }] });
    if (url.pathname === '/apis') {
      const groups = new Map<string, string[]>();
      for (const r of this.resources) {
        if (r.groupVersion === 'v1') continue;
        const [g, v] = r.groupVersion.split('/') as [string, string];
        const vs = groups.get(g) ?? [];
        if (!vs.includes(v)) vs.push(v);
        groups.set(g, vs);
      }
      return this.json(res, 200, {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [...groups].map(([name, vs]) => ({
          name,
          versions: vs.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
          preferredVersion: { groupVersion: `${name}/${vs[0]}`, version: vs[0] },
        })),
      });
    }
    let gv: string;
    let rest: string[];
    if (segs[0] === 'api' && segs[1] === 'v1') {
      gv = 'v1';
      rest = segs.slice(2);
    } else if (segs[0] === 'apis' && segs.length >= 3) {
      gv = `${segs[1]}/${segs[2]}`;
      rest = segs.slice(3);
    } else {
      return this.status(res, 404, 'NotFound', `the server could not find the requested resource`);
    }
    if (rest.length === 0) {
      const rs = this.resources.filter((r) => r.groupVersion === gv);
      if (rs.length === 0) return this.status(res, 404, 'NotFound', 'the server could not find the requested resource');
      return this.json(res, 200, {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: gv,
        resources: rs.map((r) => ({ name: r.plural, singularName: r.kind.toLowerCase(), namespaced: r.namespaced, kind: r.kind, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] })),
      });
    }
    let ns = '';
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      ns = rest[1]!;
      rest = rest.slice(2);
    }
    const [plural, name, sub] = rest as [string, string | undefined, string | undefined];
    const info = this.resources.find((r) => r.groupVersion === gv && r.plural === plural);
    if (!info) return this.status(res, 404, 'NotFound', `the server could not find the requested resource`);
    if (this.denied.has(plural)) {
      return this.status(res, 403, 'Forbidden', `${plural} is forbidden: User "system:serviceaccount:openscope:openscope" cannot ${method === 'GET' ? 'list' : method.toLowerCase()} resource "${plural}" in API group "${gv.includes('/') ? gv.split('/')[0] : ''}" at the cluster scope`);
    }
    const map = this.objects.get(plural)!;
    if (name === undefined && method === 'POST') return this.create(plural, info, ns, body, res);
    if (name === undefined) {
      if (method !== 'GET') return this.status(res, 405, 'MethodNotAllowed', 'method not allowed');
      const nodeName = /^spec\.nodeName=(.*)$/.exec(url.searchParams.get('fieldSelector') ?? '')?.[1] ?? '';
      if (url.searchParams.get('watch') === 'true') return this.watch(plural, nodeName, Number(url.searchParams.get('resourceVersion') ?? '0'), res);
      const items = [...map.values()].filter((o) => (ns === '' || metaOf(o).namespace === ns) && (nodeName === '' || ((o.spec ?? {}) as Json).nodeName === nodeName));
      return this.json(res, 200, { kind: `${info.kind}List`, apiVersion: gv, metadata: { resourceVersion: String(this.rv) }, items });
    }
    const key = `${ns}/${name}`;
    const obj = map.get(key);
    if (!obj) return this.status(res, 404, 'NotFound', `${plural} "${name}" not found`);
    if (sub === 'scale') {
      const spec = (obj.spec ?? {}) as Json;
      const scale = () => ({
        kind: 'Scale',
        apiVersion: 'autoscaling/v1',
        metadata: { name, namespace: ns, uid: metaOf(obj).uid, resourceVersion: metaOf(obj).resourceVersion, creationTimestamp: metaOf(obj).creationTimestamp },
        spec: { replicas: spec.replicas ?? 1 },
        status: { replicas: ((obj.status ?? {}) as Json).replicas ?? 0, selector: 'app=web' },
      });
      if (method === 'GET') return this.json(res, 200, scale());
      if (method === 'PUT' || method === 'PATCH') {
        const replicas = ((body as Json | undefined)?.spec as Json | undefined)?.replicas;
        if (typeof replicas !== 'number') return this.status(res, 400, 'BadRequest', 'spec.replicas required');
        const next = structuredClone(obj);
        next.spec = { ...spec, replicas };
        this.upsert(plural, next);
        return this.json(res, 200, scale());
      }
      return this.status(res, 405, 'MethodNotAllowed', 'method not allowed');
    }
    if (sub !== undefined) return this.status(res, 404, 'NotFound', 'the server could not find the requested resource');
    if (method === 'GET') return this.json(res, 200, obj);
    if (method === 'DELETE') {
      this.remove(plural, ns, name);
      return this.json(res, 200, obj);
    }
    if (method === 'PATCH') {
      const next = structuredClone(obj);
      const patch = (body ?? {}) as Json;
      for (const [k, v] of Object.entries(patch)) {
        next[k] = typeof v === 'object' && v !== null && !Array.isArray(v) ? { ...((next[k] ?? {}) as Json), ...(v as Json) } : v;
      }
      this.upsert(plural, next);
      return this.json(res, 200, this.get(plural, ns, name));
    }
    return this.status(res, 405, 'MethodNotAllowed', 'method not allowed');
  }

  /** POST on a collection: the object stored with a fresh uid, resourceVersion and creation time; 201. */
  private create(plural: string, info: ResourceInfo, ns: string, body: unknown, res: ServerResponse): void {
    const o = structuredClone((body ?? {}) as Json);
    const meta = (o.metadata ?? {}) as Json;
    const name = typeof meta.name === 'string' ? meta.name : '';
    if (name === '') return this.status(res, 422, 'Invalid', `${info.kind} is invalid: metadata.name: Required value`);
    if (info.namespaced && ns === '') return this.status(res, 404, 'NotFound', 'namespace required');
    if (this.objects.get(plural)!.has(`${ns}/${name}`)) return this.status(res, 409, 'AlreadyExists', `${plural} "${name}" already exists`);
    o.metadata = { ...meta, namespace: info.namespaced ? ns : undefined, uid: randomUUID(), creationTimestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') };
    this.upsert(plural, o);
    return this.json(res, 201, this.get(plural, ns, name));
  }

  private watch(plural: string, nodeName: string, fromRv: number, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const w: Watcher = { plural, nodeName, res };
    for (const e of this.events) if (e.rv > fromRv) this.send(w, e);
    this.watchers.add(w);
    res.on('close', () => this.watchers.delete(w));
  }
}
