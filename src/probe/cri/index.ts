/**
 * The probe's CRI support (`--probe.cri`, `--probe.cri.endpoint`, wire §5.8): containers of
 * containerd / CRI-O nodes over the runtime's CRI socket. A runtime that is absent or failing costs
 * only its containers: one log line, and every report tries again.
 */
import { cpus, totalmem } from 'node:os';
import { errorFields, silentLogger, type Logger } from '../../common/log.js';
import type { Reporter } from '../types.js';
import { CriClient, resolveCriSocket } from './client.js';
import { CriReporter } from './reporter.js';

export { CriClient, CriEndpointError, criSocketPath, resolveCriSocket, SCOPE_DEFAULT_CRI_ENDPOINT, WELL_KNOWN_CRI_SOCKETS } from './client.js';
export type { CriContainer, CriImage, CriSandbox, CriVersion } from './client.js';
export { CriReporter } from './reporter.js';

/** Options of {@link createCriPlugin}. */
export interface CriOptions {
  /** `--probe.cri.endpoint`: `unix://<path>` or a path. Scope's dockershim default falls back to today's runtime sockets. */
  endpoint: string;
  /** Deadline of each CRI call, milliseconds. Default 5000. */
  timeoutMillis?: number;
}

/** The running CRI plugin. */
export interface CriPlugin {
  reporter: Reporter;
  client: CriClient;
  stop(): Promise<void>;
}

/**
 * Creates the client and reporter. Throws only for an endpoint that cannot be a unix socket
 * (`CriEndpointError`); the runtime is asked for its version in the background, for the log.
 */
export function createCriPlugin(opts: CriOptions, logger: Logger = silentLogger()): CriPlugin {
  const log = logger.child({ component: 'cri' });
  const socket = resolveCriSocket(opts.endpoint);
  const client = new CriClient(socket, opts.timeoutMillis !== undefined ? { timeoutMillis: opts.timeoutMillis } : {});
  const reporter = new CriReporter(client, log, { cpuCount: Math.max(1, cpus().length), hostMemoryBytes: totalmem() });
  client.version().then(
    (v) => log.info({ socket, runtime: v.runtimeName, runtimeVersion: v.runtimeVersion, apiVersion: v.runtimeApiVersion }, 'CRI runtime found'),
    (err: unknown) => log.warn({ socket, err: errorFields(err) }, 'CRI runtime not answering yet; its containers are missing until it does'),
  );
  return {
    reporter,
    client,
    stop: () => {
      client.close();
      return Promise.resolve();
    },
  };
}
