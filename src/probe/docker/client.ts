/**
 * The Docker Engine API connection (dockerode): where to connect (`DOCKER_HOST` or an explicit
 * host), and the calls the plugin makes, each with a deadline so a hung dockerd never hangs a
 * report or a control.
 */
import Docker from 'dockerode';

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
 */
export function createDockerClient(dockerHost?: string): Docker {
  // docker-modem reads DOCKER_HOST itself, with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH for TLS.
  if (dockerHost === undefined) return new Docker();
  const host = dockerHost;
  if (host.startsWith('unix://')) return new Docker({ socketPath: host.slice('unix://'.length) });
  if (host.startsWith('/')) return new Docker({ socketPath: host });
  const url = new URL(host.replace(/^tcp:\/\//, 'http://'));
  const protocol = url.protocol === 'https:' ? 'https' : 'http';
  return new Docker({ host: url.hostname, port: url.port || (protocol === 'https' ? 2376 : 2375), protocol });
}

/** Whether an error from dockerode means "no such container". */
export function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { statusCode?: unknown }).statusCode === 404;
}

/** Whether an error from dockerode means "already in that state" (304 Not Modified). */
export function isNotModified(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { statusCode?: unknown }).statusCode === 304;
}
