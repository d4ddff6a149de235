/**
 * The app's configuration: what `openscope --mode=app` flags (wire §1.6) become, plus the limits
 * and timeouts a server facing untrusted probes and browsers needs.
 */
import { hostname as osHostname } from 'node:os';
import type { LevelWithSilent } from 'pino';
import type { AuthConfig } from './auth.js';
import { isRole } from './roles.js';

/** Collectors that exist today (`local` is Scope's name, `memory` ours; they are the same one). */
export const COLLECTOR_KINDS = ['local', 'memory'] as const;
export type CollectorKind = (typeof COLLECTOR_KINDS)[number];

/** Configuration of {@link startApp}. Only the first block is required; see the defaults below. */
export interface AppConfig {
  /** `host:port` to listen on; `:4040` = every interface (Scope's `app.http.address`). Port 0 picks one. */
  listenAddress: string;
  /** How long reports count, by arrival time, in milliseconds (Scope's `app.window`). Default 15000. */
  windowMillis: number;
  /** Largest accepted report after decompression, in bytes. Default 64 MiB. */
  maxReportBytes: number;
  /**
   * Collector: `local` or `memory` (the same in-memory collector), `file:///dir` (history on disk)
   * or `redis://host:port/db` (shared by replicas). Others are refused at start.
   */
  collector: string;
  /** Minimum log level. Default `info`. */
  logLevel: LevelWithSilent;
  /** Hostname shown in `GET /api`. Default: this machine's hostname. */
  hostname: string;
  /** Version shown in `GET /api`. Default `dev`. */
  version: string;

  /** How long the file and Redis collectors keep reports, in ms (`--app.collector.retention`). Default 24 h. */
  collectorRetentionMillis?: number;
  /** S3 bucket of the DynamoDB collector, `s3://[key:secret@]<region-or-host>/<bucket>` (`--app.collector.s3`). Default `local` (none). */
  collectorS3?: string;
  /** Create the DynamoDB table and S3 bucket when missing (`--app.aws.create.tables`). Default false. */
  awsCreateTables?: boolean;
  /**
   * Cross-replica control routing (`--app.control.router`): `local`, or `redis://host:port/db` to
   * route controls through Redis with any collector. Default `local` (with a Redis collector,
   * routing goes through that Redis anyway).
   */
  controlRouter?: string;
  /** Cross-replica pipe routing (`--app.pipe.router`): `local` or `redis://…`, as `controlRouter`. Default `local`. */
  pipeRouter?: string;
  /** Path prefix the UI and API are mounted under, e.g. `/scope`. Default '' (root). */
  basePath?: string;
  /** Directory of the built web UI. Default `<repo>/web/dist` when it exists; else a built-in page. */
  uiDir?: string;
  /** Largest accepted request body on the wire for `POST /api/report`, in bytes. Default `maxReportBytes`. */
  maxReportBodyBytes?: number;
  /** How long `POST /api/control/…` waits for the probe, in milliseconds. Default 90000 (Scope's write timeout). */
  controlTimeoutMillis?: number;
  /**
   * Edges per topology (containers, hosts) exported as `openscope_edge_*` series on `/metrics`: the
   * K with the most bytes/s (docs/edge-metrics.md). Default 200; 0 exports none.
   */
  edgeMetricsTopK?: number;
  /** Most websockets open at once (UI topology streams, pipes, probe control channels). Default 1000. */
  maxWebsockets?: number;
  /** Most pipes known at once (open or tombstoned). Default 1000. */
  maxPipes?: number;
  /** Largest websocket message accepted, in bytes. Default 4 MiB. */
  maxWebsocketMessageBytes?: number;
  /** Websocket ping interval, in milliseconds. Default 33333 (Scope's `xfer.Ping`). */
  wsPingIntervalMillis?: number;
  /** A websocket with no pong for this long is dropped, in milliseconds. Default 60000. */
  wsPongTimeoutMillis?: number;
  /** A pipe with one end unattached for this long is closed, in milliseconds. Default 60000. */
  pipeIdleMillis?: number;
  /** How often idle pipes are looked for, in milliseconds. Default 30000. */
  pipeSweepIntervalMillis?: number;
  /** How long a closed pipe stays known (so `/check` answers 404), in milliseconds. Default 600000. */
  pipeTombstoneMillis?: number;
  /** Whole-request timeout for plain HTTP requests, in milliseconds. Default 90000 (Scope's). */
  requestTimeoutMillis?: number;
  /** How long close() waits for requests in flight before dropping connections, in ms. Default 5000. */
  gracefulStopMillis?: number;
  /** Log every HTTP request at info (`--app.log.http`). Default false (debug only). */
  logHttp?: boolean;
  /** With `logHttp`, log request headers too (Authorization and Cookie redacted). Default false. */
  logHttpHeaders?: boolean;
  /** Who may call what (basic auth, bearer tokens, probe token); see auth.ts. Default: open. */
  auth?: AuthConfig;
  /** Serve HTTPS with this PEM certificate and key (file paths). Default: plain HTTP. */
  tls?: { certFile: string; keyFile: string };
  /** Append a JSON line per control call and pipe attach/close to this file. Default: none. */
  auditLogFile?: string;
}

/** {@link AppConfig} with every default filled in. */
export type ResolvedAppConfig = Required<Omit<AppConfig, 'uiDir' | 'tls' | 'auditLogFile'>> & {
  uiDir: string | undefined;
  tls: AppConfig['tls'];
  auditLogFile: string | undefined;
};

/** Thrown for a configuration the app cannot run with; the message is for the operator. */
export class AppConfigError extends Error {
  override name = 'AppConfigError';
}

/** Scope's defaults for the required fields. */
export function defaultAppConfig(): AppConfig {
  return {
    listenAddress: ':4040',
    windowMillis: 15_000,
    maxReportBytes: 64 * 1024 * 1024,
    collector: 'local',
    logLevel: 'info',
    hostname: osHostname(),
    version: 'dev',
  };
}

/** Fills defaults and checks values; throws {@link AppConfigError} with a clear message. */
export function resolveAppConfig(config: AppConfig): ResolvedAppConfig {
  if (!(COLLECTOR_KINDS as readonly string[]).includes(config.collector) && !/^(file|rediss?|dynamodb):\/\//.test(config.collector)) {
    throw new AppConfigError(
      `unsupported collector "${config.collector}": use ${COLLECTOR_KINDS.join(', ')}, file:///dir, redis://host:port/db or dynamodb://[key:secret@]region/table`,
    );
  }
  for (const [flag, value] of [['app.control.router', config.controlRouter], ['app.pipe.router', config.pipeRouter]] as const) {
    if (value !== undefined && value !== 'local' && !/^rediss?:\/\//.test(value)) {
      throw new AppConfigError(`unsupported --${flag} "${value}": use local or redis://host:port/db (Scope's sqs:// and consul:// routers are not supported)`);
    }
  }
  if (
    config.controlRouter !== undefined && config.pipeRouter !== undefined &&
    /^rediss?:/.test(config.controlRouter) && /^rediss?:/.test(config.pipeRouter) && config.controlRouter !== config.pipeRouter
  ) {
    throw new AppConfigError('--app.control.router and --app.pipe.router must name the same Redis (one bus carries both)');
  }
  positive('windowMillis', config.windowMillis);
  positive('maxReportBytes', config.maxReportBytes);
  parseListenAddress(config.listenAddress);
  const basePath = normaliseBasePath(config.basePath ?? '');
  const auth = config.auth ?? {};
  if (auth.basic && ((auth.tokens?.length ?? 0) > 0 || (auth.probeToken ?? '') !== '')) {
    throw new AppConfigError('basic auth cannot be combined with bearer or probe tokens: choose one scheme');
  }
  if (auth.tokens?.some((t) => t.token === '' || !isRole(t.role))) {
    throw new AppConfigError('every auth token needs a non-empty token and the role admin, operator or viewer');
  }
  const resolved: ResolvedAppConfig = {
    ...config,
    basePath,
    uiDir: config.uiDir,
    tls: config.tls,
    auditLogFile: config.auditLogFile === '' ? undefined : config.auditLogFile,
    auth,
    gracefulStopMillis: config.gracefulStopMillis ?? 5000,
    logHttp: config.logHttp ?? false,
    logHttpHeaders: config.logHttpHeaders ?? false,
    maxReportBodyBytes: config.maxReportBodyBytes ?? config.maxReportBytes,
    controlTimeoutMillis: config.controlTimeoutMillis ?? 90_000,
    edgeMetricsTopK: config.edgeMetricsTopK ?? 200,
    maxWebsockets: config.maxWebsockets ?? 1000,
    maxPipes: config.maxPipes ?? 1000,
    maxWebsocketMessageBytes: config.maxWebsocketMessageBytes ?? 4 * 1024 * 1024,
    wsPingIntervalMillis: config.wsPingIntervalMillis ?? 33_333,
    wsPongTimeoutMillis: config.wsPongTimeoutMillis ?? 60_000,
    pipeIdleMillis: config.pipeIdleMillis ?? 60_000,
    pipeSweepIntervalMillis: config.pipeSweepIntervalMillis ?? 30_000,
    pipeTombstoneMillis: config.pipeTombstoneMillis ?? 600_000,
    requestTimeoutMillis: config.requestTimeoutMillis ?? 90_000,
    collectorRetentionMillis: config.collectorRetentionMillis ?? 24 * 3_600_000,
    collectorS3: config.collectorS3 ?? 'local',
    awsCreateTables: config.awsCreateTables ?? false,
    controlRouter: config.controlRouter ?? 'local',
    pipeRouter: config.pipeRouter ?? 'local',
  };
  for (const key of [
    'maxReportBodyBytes',
    'controlTimeoutMillis',
    'maxWebsockets',
    'maxPipes',
    'maxWebsocketMessageBytes',
    'wsPingIntervalMillis',
    'wsPongTimeoutMillis',
    'pipeIdleMillis',
    'pipeSweepIntervalMillis',
    'pipeTombstoneMillis',
    'requestTimeoutMillis',
    'gracefulStopMillis',
    'collectorRetentionMillis',
  ] as const) {
    positive(key, resolved[key]);
  }
  return resolved;
}

function positive(name: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new AppConfigError(`${name} must be a positive number, got ${value}`);
  }
}

/** `host:port`, `:port`, `[::1]:port` → host ('' = every interface) and port. */
export function parseListenAddress(address: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d{1,5})$/.exec(address);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new AppConfigError(`listen address "${address}" is not host:port (e.g. ":4040", "127.0.0.1:4040")`);
  }
  return { host: m[1] ?? m[2] ?? '', port };
}

/** '' or '/x/y' (leading slash, no trailing slash). */
function normaliseBasePath(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return '';
  if (!/^\/[A-Za-z0-9._~\-/]*$/.test(trimmed)) {
    throw new AppConfigError(`base path "${path}" must look like /some/prefix`);
  }
  return trimmed;
}
