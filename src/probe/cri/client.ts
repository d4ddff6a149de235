/**
 * A CRI (`runtime.v1`) client over a unix socket (wire §5.8), on @grpc/grpc-js. Every call has a
 * deadline; every reply is read field by field into small typed records here (the trust boundary),
 * so a broken or hostile runtime costs an error, never a crash.
 */
import { existsSync } from 'node:fs';
import { posix } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import { CRI_V1 } from './proto.js';

/** Scope's default `--probe.cri.endpoint` (dockershim is gone since Kubernetes 1.24). */
export const SCOPE_DEFAULT_CRI_ENDPOINT = 'unix///var/run/dockershim.sock';

/** Sockets of today's CRI runtimes, tried in order when the endpoint is Scope's default and absent. */
export const WELL_KNOWN_CRI_SOCKETS: readonly string[] = [
  '/run/containerd/containerd.sock',
  '/var/run/containerd/containerd.sock',
  '/run/crio/crio.sock',
  '/var/run/crio/crio.sock',
  '/run/cri-dockerd.sock',
  '/var/run/cri-dockerd.sock',
];

/** A bad `--probe.cri.endpoint`. */
export class CriEndpointError extends Error {
  override readonly name = 'CriEndpointError';
}

/**
 * The socket path of a CRI endpoint, as Scope parses it: `unix://<path>`, or a bare string taken as
 * a path (so Scope's default `unix///var/run/dockershim.sock` means `/var/run/dockershim.sock`).
 * `tcp://` and every other scheme are refused, as in Scope.
 */
export function criSocketPath(endpoint: string): string {
  let path: string;
  if (endpoint.startsWith('unix://')) path = endpoint.slice('unix://'.length);
  else if (endpoint.startsWith('unix///')) path = endpoint.slice('unix//'.length);
  else if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(endpoint)) throw new CriEndpointError(`CRI endpoint ${JSON.stringify(endpoint)}: only unix sockets are supported`);
  else path = endpoint;
  if (path === '') throw new CriEndpointError('CRI endpoint is empty');
  return posix.normalize(path.startsWith('/') ? path : `/${path}`);
}

/**
 * The socket to use: the endpoint's; but when that is Scope's default (a dockershim socket that no
 * longer exists anywhere) and absent, the first well-known runtime socket present.
 */
export function resolveCriSocket(endpoint: string, exists: (path: string) => boolean = existsSync): string {
  const path = criSocketPath(endpoint);
  if (endpoint !== SCOPE_DEFAULT_CRI_ENDPOINT || exists(path)) return path;
  return WELL_KNOWN_CRI_SOCKETS.find((p) => exists(p)) ?? path;
}

// ---- typed replies ----

export interface CriVersion {
  version: string;
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}

/** `ContainerState` enum names. */
export type CriContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';

export interface CriContainer {
  id: string;
  podSandboxId: string;
  name: string;
  attempt: number;
  /** `image.image`: what the container was created from (a name, or an image id). */
  image: string;
  /** `image.user_specified_image` (newer runtimes), else ''. */
  userSpecifiedImage: string;
  imageRef: string;
  state: CriContainerState;
  /** Creation time, nanoseconds since the epoch, as a decimal string ('' if unknown). */
  createdAtNanos: string;
  labels: ReadonlyMap<string, string>;
  annotations: ReadonlyMap<string, string>;
}

export interface CriSandbox {
  id: string;
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
  state: 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
  createdAtNanos: string;
  labels: ReadonlyMap<string, string>;
}

export interface CriImage {
  id: string;
  repoTags: readonly string[];
  repoDigests: readonly string[];
}

export interface CriContainerStats {
  id: string;
  /** Cumulative CPU time, nanoseconds (undefined when the runtime gave none). */
  cpuCoreNanos: number | undefined;
  cpuTimestampNanos: number;
  /** Working-set memory, bytes. */
  memoryWorkingSetBytes: number | undefined;
  memoryTimestampNanos: number;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : '');
const num = (v: unknown): number => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isFinite(n) ? n : 0;
};
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const strings = (v: unknown): string[] => arr(v).filter((s): s is string => typeof s === 'string');
function stringMap(v: unknown): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, x] of Object.entries(obj(v))) if (typeof x === 'string') out.set(k, x);
  return out;
}
const CONTAINER_STATES: readonly CriContainerState[] = ['CONTAINER_CREATED', 'CONTAINER_RUNNING', 'CONTAINER_EXITED', 'CONTAINER_UNKNOWN'];
function containerState(v: unknown): CriContainerState {
  return CONTAINER_STATES.find((s) => s === v) ?? 'CONTAINER_UNKNOWN';
}
const wrapped = (v: unknown): number | undefined => {
  const o = obj(v);
  return 'value' in o ? num(o.value) : undefined;
};

/** Reads one `Container`; undefined without an id. */
export function parseContainer(v: unknown): CriContainer | undefined {
  const c = obj(v);
  const id = str(c.id);
  if (id === '') return undefined;
  const meta = obj(c.metadata);
  const image = obj(c.image);
  return {
    id,
    podSandboxId: str(c.pod_sandbox_id),
    name: str(meta.name),
    attempt: num(meta.attempt),
    image: str(image.image),
    userSpecifiedImage: str(image.user_specified_image),
    imageRef: str(c.image_ref),
    state: containerState(c.state),
    createdAtNanos: /^\d+$/.test(str(c.created_at)) ? str(c.created_at) : '',
    labels: stringMap(c.labels),
    annotations: stringMap(c.annotations),
  };
}

export function parseSandbox(v: unknown): CriSandbox | undefined {
  const s = obj(v);
  const id = str(s.id);
  if (id === '') return undefined;
  const meta = obj(s.metadata);
  return {
    id,
    name: str(meta.name),
    uid: str(meta.uid),
    namespace: str(meta.namespace),
    attempt: num(meta.attempt),
    state: s.state === 'SANDBOX_READY' ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY',
    createdAtNanos: /^\d+$/.test(str(s.created_at)) ? str(s.created_at) : '',
    labels: stringMap(s.labels),
  };
}

export function parseImage(v: unknown): CriImage | undefined {
  const i = obj(v);
  const id = str(i.id);
  return id === '' ? undefined : { id, repoTags: strings(i.repo_tags), repoDigests: strings(i.repo_digests) };
}

export function parseContainerStats(v: unknown): CriContainerStats | undefined {
  const s = obj(v);
  const id = str(obj(s.attributes).id);
  if (id === '') return undefined;
  const cpu = obj(s.cpu);
  const mem = obj(s.memory);
  return {
    id,
    cpuCoreNanos: wrapped(cpu.usage_core_nano_seconds),
    cpuTimestampNanos: num(cpu.timestamp),
    memoryWorkingSetBytes: wrapped(mem.working_set_bytes),
    memoryTimestampNanos: num(mem.timestamp),
  };
}

// ---- the client ----

/** Options of {@link CriClient}. */
export interface CriClientOptions {
  /** Deadline of each call, milliseconds. Default 5000. */
  timeoutMillis?: number;
}

type Callback = (err: grpc.ServiceError | null, reply: unknown) => void;
type Unary = (req: unknown, meta: grpc.Metadata, opts: grpc.CallOptions, cb: Callback) => grpc.ClientUnaryCall;

const PACKAGE = grpc.loadPackageDefinition(fromJSON(CRI_V1, { keepCase: true, longs: String, enums: String, defaults: true }));

function serviceConstructor(name: 'RuntimeService' | 'ImageService'): grpc.ServiceClientConstructor {
  const v1 = obj(obj(PACKAGE.runtime).v1);
  return v1[name] as grpc.ServiceClientConstructor;
}

/** gRPC status codes as numbers, for callers that branch on them. */
export const GrpcStatus = grpc.status;

export class CriClient {
  private readonly runtime: grpc.Client;
  private readonly images: grpc.Client;
  private readonly timeoutMillis: number;

  /** `socketPath`: an absolute unix socket path (see {@link criSocketPath}). Connects lazily. */
  constructor(
    readonly socketPath: string,
    opts: CriClientOptions = {},
  ) {
    this.timeoutMillis = opts.timeoutMillis ?? 5000;
    const target = `unix:${socketPath}`;
    const creds = grpc.credentials.createInsecure();
    const options = { 'grpc.max_receive_message_length': 16 * 1024 * 1024 };
    this.runtime = new (serviceConstructor('RuntimeService'))(target, creds, options);
    this.images = new (serviceConstructor('ImageService'))(target, creds, options);
  }

  /** One unary call with a deadline; rejects with the gRPC error (with `code`). */
  call(service: 'runtime' | 'image', method: string, request: unknown): Promise<unknown> {
    const client = service === 'runtime' ? this.runtime : this.images;
    const fn = (client as unknown as Record<string, Unary | undefined>)[method];
    if (typeof fn !== 'function') return Promise.reject(new Error(`CRI method ${method} unknown`));
    return new Promise((resolve, reject) => {
      // grpc-js keeps its deadline timer unref'd and, against a socket that is not gRPC, can leave
      // a call pending with nothing else alive; our own timer guarantees an answer.
      const guard = setTimeout(() => {
        call.cancel();
        reject(new Error(`CRI ${method}: no answer within ${this.timeoutMillis} ms`));
      }, this.timeoutMillis + 250);
      const call = fn.call(client, request, new grpc.Metadata(), { deadline: Date.now() + this.timeoutMillis }, (err, reply) => {
        clearTimeout(guard);
        if (err) reject(err);
        else resolve(reply);
      });
    });
  }

  async version(): Promise<CriVersion> {
    const r = obj(await this.call('runtime', 'Version', { version: 'v1' }));
    return { version: str(r.version), runtimeName: str(r.runtime_name), runtimeVersion: str(r.runtime_version), runtimeApiVersion: str(r.runtime_api_version) };
  }

  async listContainers(): Promise<CriContainer[]> {
    const r = obj(await this.call('runtime', 'ListContainers', { filter: {} }));
    return arr(r.containers).flatMap((c) => parseContainer(c) ?? []);
  }

  async listPodSandboxes(): Promise<CriSandbox[]> {
    const r = obj(await this.call('runtime', 'ListPodSandbox', { filter: {} }));
    return arr(r.items).flatMap((s) => parseSandbox(s) ?? []);
  }

  async listImages(): Promise<CriImage[]> {
    const r = obj(await this.call('image', 'ListImages', { filter: {} }));
    return arr(r.images).flatMap((i) => parseImage(i) ?? []);
  }

  async listContainerStats(): Promise<CriContainerStats[]> {
    const r = obj(await this.call('runtime', 'ListContainerStats', { filter: {} }));
    return arr(r.stats).flatMap((s) => parseContainerStats(s) ?? []);
  }

  close(): void {
    this.runtime.close();
    this.images.close();
  }
}
