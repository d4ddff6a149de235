/**
 * The few Docker Engine API calls the probe makes all the time (ping, events, container / image /
 * network lists, inspect, one-shot stats), as plain HTTP requests over the engine's socket.
 *
 * Why not dockerode for these: loading dockerode loads docker-modem, ssh2 (with a WebAssembly
 * Poly1305 whose memory is a 16 MiB ArrayBuffer) and @grpc/grpc-js with protobufjs. That is
 * about 27 MiB of resident memory in a probe whose whole budget (issue #4) is about twice that,
 * for code that only the controls (exec / attach hijacking) need. The controls still use
 * dockerode, loaded when the first control runs (client.ts).
 *
 * The endpoint is resolved as docker-modem resolves it, so both talk to the same engine:
 * an explicit host, else `DOCKER_HOST` (`unix://`, `tcp://`, `http(s)://`; TLS with
 * `DOCKER_TLS_VERIFY=1` or port 2376, certificates from `DOCKER_CERT_PATH`), else
 * `~/.docker/run/docker.sock` when it exists, else `/var/run/docker.sock`. An `ssh://` host has
 * no plain HTTP endpoint: {@link engineEndpoint} returns undefined and the caller uses dockerode.
 */
import { accessSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where the engine listens. */
export type EngineEndpoint =
  | { readonly kind: 'socket'; readonly socketPath: string }
  | {
      readonly kind: 'tcp';
      readonly protocol: 'http' | 'https';
      readonly host: string;
      readonly port: number;
      readonly pathPrefix: string;
      readonly tls?: { readonly ca?: Buffer; readonly cert?: Buffer; readonly key?: Buffer };
    };

/** An Engine API call answered with a status outside 2xx; `statusCode` as dockerode's errors have it. */
export class EngineHttpError extends Error {
  constructor(
    readonly statusCode: number,
    what: string,
    detail: string,
  ) {
    super(`Docker ${what}: HTTP ${statusCode}${detail ? ` ${detail}` : ''}`);
    this.name = 'EngineHttpError';
  }
}

function defaultSocket(): string {
  const user = join(homedir(), '.docker', 'run', 'docker.sock');
  try {
    accessSync(user);
    return user;
  } catch {
    return '/var/run/docker.sock';
  }
}

function tcpEndpoint(hostUrl: URL, env: NodeJS.ProcessEnv, tlsFromEnv: boolean): EngineEndpoint {
  const https = hostUrl.protocol === 'https:' || (tlsFromEnv && (env.DOCKER_TLS_VERIFY === '1' || hostUrl.port === '2376'));
  const certDir = tlsFromEnv ? env.DOCKER_CERT_PATH : undefined;
  return {
    kind: 'tcp',
    protocol: https ? 'https' : 'http',
    host: hostUrl.hostname,
    port: Number(hostUrl.port || (https ? 2376 : 2375)),
    pathPrefix: (tlsFromEnv ? env.DOCKER_PATH_PREFIX : undefined) ?? '',
    ...(https && certDir
      ? { tls: { ca: readFileSync(join(certDir, 'ca.pem')), cert: readFileSync(join(certDir, 'cert.pem')), key: readFileSync(join(certDir, 'key.pem')) } }
      : {}),
  };
}

/**
 * The endpoint for `dockerHost` (`unix:///…`, `/path.sock`, `tcp://host:port`, `http(s)://…`;
 * undefined: `DOCKER_HOST` or the default socket), or undefined for an `ssh://` DOCKER_HOST.
 */
export function engineEndpoint(dockerHost?: string, env: NodeJS.ProcessEnv = process.env): EngineEndpoint | undefined {
  if (dockerHost !== undefined) {
    // As createDockerClient has always read an explicit host: TLS only with an https:// URL.
    if (dockerHost.startsWith('unix://')) return { kind: 'socket', socketPath: dockerHost.slice('unix://'.length) };
    if (dockerHost.startsWith('/')) return { kind: 'socket', socketPath: dockerHost };
    return tcpEndpoint(new URL(dockerHost.replace(/^tcp:\/\//, 'http://')), env, false);
  }
  const fromEnv = env.DOCKER_HOST;
  if (!fromEnv) return { kind: 'socket', socketPath: defaultSocket() };
  if (fromEnv.startsWith('unix://')) return { kind: 'socket', socketPath: fromEnv.slice('unix://'.length) || defaultSocket() };
  const url = new URL(fromEnv.includes('//') ? fromEnv : `tcp://${fromEnv}`);
  if (url.protocol === 'ssh:' || url.protocol === 'npipe:') return undefined;
  return tcpEndpoint(new URL(`${url.protocol === 'https:' ? 'https' : 'http'}://${url.host}`), env, true);
}

/** The calls the registry and the metrics fallback make; each resolves to the parsed JSON reply. */
export interface EngineApi {
  ping(): Promise<unknown>;
  /** The event stream (newline-separated JSON); destroy it to unsubscribe. */
  events(filters: Record<string, string[]>): Promise<NodeJS.ReadableStream>;
  listContainers(): Promise<unknown>;
  listImages(): Promise<unknown>;
  listNetworks(): Promise<unknown>;
  inspectContainer(id: string): Promise<unknown>;
  statsOnce(id: string): Promise<unknown>;
}

/** Replies larger than this are refused (a container list of thousands is a few MiB). */
const MAX_REPLY_BYTES = 64 * 1024 * 1024;

/** {@link EngineApi} over HTTP to `endpoint`, with one keep-alive agent. */
export class HttpEngine implements EngineApi {
  private readonly agent: http.Agent;

  constructor(private readonly endpoint: EngineEndpoint) {
    const opts = { keepAlive: true, maxFreeSockets: 2 };
    this.agent = endpoint.kind === 'tcp' && endpoint.protocol === 'https' ? new https.Agent({ ...opts, ...endpoint.tls }) : new http.Agent(opts);
  }

  ping(): Promise<unknown> {
    return this.json('ping', '/_ping', true);
  }

  async events(filters: Record<string, string[]>): Promise<NodeJS.ReadableStream> {
    const res = await this.request('events', `/events?filters=${encodeURIComponent(JSON.stringify(filters))}`);
    res.setEncoding('utf8');
    return res;
  }

  listContainers(): Promise<unknown> {
    return this.json('container list', '/containers/json?all=true');
  }

  listImages(): Promise<unknown> {
    return this.json('image list', '/images/json');
  }

  listNetworks(): Promise<unknown> {
    return this.json('network list', '/networks');
  }

  inspectContainer(id: string): Promise<unknown> {
    return this.json('inspect', `/containers/${encodeURIComponent(id)}/json`);
  }

  statsOnce(id: string): Promise<unknown> {
    return this.json('stats', `/containers/${encodeURIComponent(id)}/stats?stream=false&one-shot=true`);
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  private async json(what: string, path: string, text = false): Promise<unknown> {
    const res = await this.request(what, path);
    const body = await readBody(res, what);
    if (text) return body.toString('utf8');
    return body.length === 0 ? undefined : (JSON.parse(body.toString('utf8')) as unknown);
  }

  /** GET `path`; resolves with the response once its status is 2xx, else rejects with {@link EngineHttpError}. */
  private request(what: string, path: string): Promise<http.IncomingMessage> {
    const ep = this.endpoint;
    const options: http.RequestOptions =
      ep.kind === 'socket'
        ? { socketPath: ep.socketPath, path, agent: this.agent }
        : { host: ep.host, port: ep.port, path: `${ep.pathPrefix.replace(/\/$/, '')}${path}`, agent: this.agent };
    const lib = ep.kind === 'tcp' && ep.protocol === 'https' ? https : http;
    return new Promise((resolve, reject) => {
      const req = lib.get(options, (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          resolve(res);
          return;
        }
        readBody(res, what).then(
          (b) => reject(new EngineHttpError(status, what, errorMessage(b))),
          (err: unknown) => reject(err instanceof Error ? err : new Error(String(err))),
        );
      });
      req.on('error', reject);
    });
  }
}

function errorMessage(body: Buffer): string {
  const text = body.toString('utf8').trim();
  try {
    const m = (JSON.parse(text) as { message?: unknown }).message;
    if (typeof m === 'string') return m;
  } catch {
    // not JSON: the text itself
  }
  return text.slice(0, 200);
}

function readBody(res: http.IncomingMessage, what: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_REPLY_BYTES) {
        res.destroy(new Error(`Docker ${what} reply larger than ${MAX_REPLY_BYTES} bytes`));
        return;
      }
      chunks.push(c);
    });
    res.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    res.on('error', reject);
    res.on('aborted', () => reject(new Error(`Docker ${what} reply aborted`)));
  });
}
