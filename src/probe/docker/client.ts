/**
 * The Docker Engine API connection: where to connect (`DOCKER_HOST` or an explicit host), and the
 * calls the plugin makes, each with a deadline so a hung dockerd never hangs a report or a control.
 * The registry and metrics use the plain HTTP client of engine.ts; dockerode (controls, and every
 * call when DOCKER_HOST is `ssh://`) is loaded on first use only: see engine.ts for why.
 */
import type Docker from 'dockerode';
import { engineEndpoint, HttpEngine, type EngineApi } from './engine.js';

/** A Docker call did not answer in time. */
export class DockerTimeoutError extends Error {
  constructor(what: string, millis: number) {
    super(`Docker ${what} did not answer within ${millis} ms`);
    this.name = 'DockerTimeoutError';
  }
}

/** Default deadline of one Docker API call, milliseconds. */
export const DOCKER_CALL_TIMEOUT_MILLIS = 10_000;

/** Rejects with {@link DockerTimeoutError} when `p` takes longer than `millis`. */
export function withTimeout<T>(what: string, p: Promise<T>, millis = DOCKER_CALL_TIMEOUT_MILLIS): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DockerTimeoutError(what, millis)), millis);
    timer.unref();
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/**
 * A dockerode client for `dockerHost` (`unix:///var/run/docker.sock`, `/path/to.sock`,
 * `tcp://host:2375`, `http(s)://host:port`); undefined means `DOCKER_HOST` or the default socket.
 * An explicit host is parsed by engine.ts's {@link engineEndpoint}, so the controls, `launch`
 * and the registry's plain HTTP client always agree on where the engine is.
 */
export async function createDockerClient(dockerHost?: string): Promise<Docker> {
  const { default: Docker } = await import('dockerode');
  // docker-modem reads DOCKER_HOST itself, with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH for TLS
  // (and ssh://, which has no plain HTTP endpoint).
  const endpoint = dockerHost === undefined ? undefined : engineEndpoint(dockerHost);
  if (!endpoint) return new Docker();
  if (endpoint.kind === 'socket') return new Docker({ socketPath: endpoint.socketPath });
  return new Docker({ host: endpoint.host, port: endpoint.port, protocol: endpoint.protocol, ...endpoint.tls });
}

/** A dockerode client made on first call and shared by later ones. */
export function lazyDockerClient(dockerHost?: string): () => Promise<Docker> {
  let client: Promise<Docker> | undefined;
  return () => {
    client ??= createDockerClient(dockerHost);
    return client;
  };
}

/** {@link EngineApi} through dockerode, for engines engine.ts cannot reach (an `ssh://` DOCKER_HOST). */
function dockerodeEngine(docker: () => Promise<Docker>): EngineApi {
  return {
    ping: async () => (await docker()).ping() as Promise<unknown>,
    events: async (filters) => (await docker()).getEvents({ filters }),
    listContainers: async () => (await docker()).listContainers({ all: true }),
    listImages: async () => (await docker()).listImages(),
    listNetworks: async () => (await docker()).listNetworks(),
    inspectContainer: async (id) => (await docker()).getContainer(id).inspect(),
    statsOnce: async (id) => (await docker()).getContainer(id).stats({ stream: false, 'one-shot': true }),
  };
}

/** The engine client for `dockerHost` (see engine.ts), falling back to `docker` where HTTP cannot reach it. */
export function createEngine(dockerHost: string | undefined, docker: () => Promise<Docker>): EngineApi & { close(): void } {
  const endpoint = engineEndpoint(dockerHost);
  if (endpoint) return new HttpEngine(endpoint);
  return { ...dockerodeEngine(docker), close: () => undefined };
}

/** Whether an error from dockerode means "no such container". */
export function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { statusCode?: unknown }).statusCode === 404;
}

/** Whether an error from dockerode means "already in that state" (304 Not Modified). */
export function isNotModified(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { statusCode?: unknown }).statusCode === 304;
}
