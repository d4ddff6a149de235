/**
 * Starts the app: one fastify server with Scope's routes (app §1.2) over a collector, a control
 * router and a pipe router. Everything is per instance, so several apps can run in one process.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import fastifyCompress from '@fastify/compress';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyBodyParser, type FastifyReply, type FastifyRequest, type RouteOptions } from 'fastify';
import { createLogger, type Logger } from '../common/log.js';
import { createCollector } from './collector/index.js';
import { redact } from './collector/aws-url.js';
import { logAudit, openAuditLog } from './audit.js';
import { Authenticator } from './auth.js';
import { addSecurityHeaders } from './browser-safety.js';
import { AppConfigError, parseListenAddress, resolveAppConfig, type AppConfig, type ResolvedAppConfig } from './config.js';
import type { AppContext } from './context.js';
import { sendError, sendNotFound } from './http.js';
import { AppMetrics } from './metrics.js';
import { RenderCache } from './render-cache.js';
import { createRouting, type Routing } from './router/index.js';
import { registerApiRoutes } from './routes/api.js';
import { registerControlRoutes } from './routes/control.js';
import { registerPipeRoutes } from './routes/pipe.js';
import { registerReportRoutes } from './routes/report.js';
import { registerTopologyRoutes } from './routes/topology.js';
import { registerStatic, resolveUiDir, UI_MISSING_PAGE } from './static.js';
import { WebsocketTracker } from './ws.js';

/** A started app. */
export interface RunningApp {
  /** `host:port` actually bound (port resolved when 0 was asked for). */
  readonly address: string;
  readonly port: number;
  /** Base URL of the UI and API, e.g. `http://127.0.0.1:4040/` (ends with `/`). */
  readonly url: string;
  /** This app's random id, as `GET /api` reports it. */
  readonly appId: string;
  /** Stops accepting, closes websockets and pipes, waits for requests in flight (≤5 s). */
  close(): Promise<void>;
}

/** The TLS certificate and key, read once at start; a clear error names the file that failed. */
async function readTls(files: { certFile: string; keyFile: string }): Promise<{ cert: Buffer; key: Buffer }> {
  const read = async (path: string, what: string) => {
    try {
      return await readFile(path);
    } catch (err) {
      throw new AppConfigError(`cannot read the TLS ${what} ${path}: ${(err as Error).message}`);
    }
  };
  return { cert: await read(files.certFile, 'certificate'), key: await read(files.keyFile, 'key') };
}

async function openAudit(path: string) {
  try {
    return await openAuditLog(path);
  } catch (err) {
    throw new AppConfigError(`cannot open the audit log ${path}: ${(err as Error).message}`);
  }
}

/** Random hex of an int63, like Scope's app id. */
function randomAppId(): string {
  const bytes = randomBytes(8);
  bytes[0] = bytes[0]! & 0x7f;
  return BigInt(`0x${bytes.toString('hex')}`).toString(16);
}

/** Starts an app listening on `config.listenAddress`. Rejects if the config is bad or the port is taken. */
export async function startApp(config: AppConfig, logger?: Logger): Promise<RunningApp> {
  const cfg = resolveAppConfig(config);
  const log = logger ?? createLogger({ level: cfg.logLevel, name: 'app' });
  const tls = cfg.tls ? await readTls(cfg.tls) : undefined;
  // Without a file, audit records go to the app's own log (one line each, `audit: true`).
  const audit = cfg.auditLogFile === undefined ? logAudit(log) : await openAudit(cfg.auditLogFile);
  const metrics = new AppMetrics({ edgeTopK: cfg.edgeMetricsTopK });
  const collector = createCollector(cfg.collector, {
    windowMillis: cfg.windowMillis,
    retentionMillis: cfg.collectorRetentionMillis,
    s3Url: cfg.collectorS3,
    awsCreateTables: cfg.awsCreateTables,
    logger: log,
    observer: {
      observeMergeSeconds: (s) => metrics.mergeSeconds.observe(s),
      reportDropped: (probeId, err) => {
        metrics.reportsRefused.inc({ reason: 'merge' });
        log.warn({ probeId, err }, 'dropped a stored report that could not be merged');
      },
    },
  });
  metrics.watchEdges(() => collector.report());
  let routing: Routing;
  try {
    // History loaded (restart recovery) and Redis reached before anything is served.
    await collector.ready?.();
    routing = await createRouting({
      // A Redis router named by --app.control.router / --app.pipe.router routes with any collector.
      collector: [cfg.controlRouter, cfg.pipeRouter].find((u) => u !== 'local') ?? cfg.collector,
      onProbeCountChange: (n) => metrics.connectedProbes.set(n),
      pipes: {
        idleMillis: cfg.pipeIdleMillis,
        sweepIntervalMillis: cfg.pipeSweepIntervalMillis,
        tombstoneMillis: cfg.pipeTombstoneMillis,
        maxPipes: cfg.maxPipes,
        onCountChange: (n) => metrics.openPipes.set(n),
      },
      logger: log,
    });
  } catch (err) {
    await collector.close();
    await audit.close();
    throw err;
  }
  const ctx: AppContext = {
    config: cfg,
    appId: randomAppId(),
    collector,
    metrics,
    renders: new RenderCache(metrics),
    controls: routing.controls,
    pipes: routing.pipes,
    websockets: new WebsocketTracker({
      maxWebsockets: cfg.maxWebsockets,
      pingIntervalMillis: cfg.wsPingIntervalMillis,
      pongTimeoutMillis: cfg.wsPongTimeoutMillis,
      metrics,
    }),
    logger: log,
    auth: new Authenticator(cfg.auth, cfg.basePath, tls !== undefined, audit),
    audit,
    state: { shuttingDown: false, startedAtMillis: Date.now() },
  };

  // Typed with the base logger so route modules take a plain FastifyInstance.
  const app: FastifyInstance = Fastify<Server, IncomingMessage, ServerResponse, FastifyBaseLogger>({
    loggerInstance: log,
    // Probes POST every 3 s; per-request lines would drown everything else.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    // Node ids (pod names, IPv6 endpoints) outgrow find-my-way's default 100 characters.
    routerOptions: { maxParamLength: 4096 },
    // Malformed URLs and such: Scope-style JSON string errors, not fastify's error objects.
    frameworkErrors: (err, _request, reply) => {
      void sendError(reply, err.statusCode ?? 400, err.message);
    },
    requestTimeout: cfg.requestTimeoutMillis,
    // No server-wide handlerTimeout: it is set route by route (see handlerTimeouts).
    return503OnClosing: true,
    // HTTPS: an https.Server is an http.Server for every request fastify handles.
    ...(tls ? { serverFactory: (handler) => createHttpsServer(tls, handler) } : {}),
  });
  try {
    await buildServer(app, ctx);
    const { host, port } = parseListenAddress(cfg.listenAddress);
    await listen(app, host, port);
  } catch (err) {
    ctx.pipes.stop();
    await app.close().catch(() => undefined);
    await routing.close();
    await collector.close();
    await audit.close();
    throw err;
  }

  const bound = app.server.address();
  const port = typeof bound === 'object' && bound ? bound.port : 0;
  const boundHost = typeof bound === 'object' && bound ? bound.address : '';
  const address = `${boundHost.includes(':') ? `[${boundHost}]` : boundHost}:${port}`;
  const urlHost = boundHost === '::' || boundHost === '0.0.0.0' ? 'localhost' : address.slice(0, address.lastIndexOf(':'));
  const url = `${tls ? 'https' : 'http'}://${urlHost}:${port}${cfg.basePath}/`;
  log.info({ address, url, appId: ctx.appId, collector: redact(cfg.collector) }, 'app listening');

  let closing: Promise<void> | undefined;
  return {
    address,
    port,
    url,
    appId: ctx.appId,
    close: () => (closing ??= shutdown(app, ctx).finally(() => routing.close())),
  };
}

async function shutdown(app: FastifyInstance, ctx: AppContext): Promise<void> {
  ctx.state.shuttingDown = true;
  ctx.websockets.closeAll();
  ctx.pipes.stop();
  const force = setTimeout(() => {
    ctx.websockets.terminateAll();
    app.server.closeAllConnections();
  }, ctx.config.gracefulStopMillis);
  try {
    await app.close();
  } finally {
    clearTimeout(force);
    await ctx.collector.close();
    await ctx.audit.close();
  }
}

/**
 * An onRoute hook giving every route that sets none fastify's `handlerTimeout` of `millis`: the
 * backstop that answers 503 when a handler waits too long on something outside the app (a
 * Redis, S3 or DynamoDB collector behind the GET routes, probes behind pipes and controls).
 *
 * Not on `POST /api/report`, the route every probe calls every 3 s (167 calls/s at 500 probes):
 * fastify's backstop costs each request an AbortController, a timer, a close listener and, when
 * the request closes, an abort that builds a DOMException (~0.07 ms a request in profiles, the
 * largest HTTP-layer cost of a report). And there it never worked: node closes a request once its
 * body has been read, and fastify's close listener then clears the timer, before the handler runs
 * (fastify 5.12, node 20; a hanging POST with a body is not answered 503). The report handler
 * waits only on the collector, which answers or fails on its own (the Redis collector keeps
 * serving through an outage), and the probe gives up after its own request timeout.
 */
export function handlerTimeouts(millis: number, basePath: string): (route: RouteOptions) => void {
  const report = `${basePath}/api/report`;
  return (route) => {
    if (route.handlerTimeout !== undefined) return;
    if (route.method === 'POST' && route.url === report) return;
    route.handlerTimeout = millis;
  };
}

/** Request headers for the log, without credentials. */
function redactHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...headers };
  for (const key of ['authorization', 'cookie']) if (key in out) out[key] = '[redacted]';
  return out;
}

/** '' means every interface: IPv6 `::` (dual stack) where available, else IPv4. */
async function listen(app: FastifyInstance, host: string, port: number): Promise<void> {
  if (host !== '') {
    await app.listen({ host, port });
    return;
  }
  try {
    await app.listen({ host: '::', port });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EAFNOSUPPORT' && (err as NodeJS.ErrnoException).code !== 'EADDRNOTAVAIL') {
      throw err;
    }
    await app.listen({ host: '0.0.0.0', port });
  }
}

async function buildServer(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { config: cfg, metrics } = ctx;

  // Bodies stay raw Buffers: the report codec decodes (and decompresses, with its own limits)
  // and the control route parses its tiny JSON itself.
  app.removeAllContentTypeParsers();
  const raw: FastifyBodyParser<Buffer> = (_request, body, done) => done(null, body);
  // The probes' type by name as well as '*': fastify keeps the parser it found for a named type,
  // while a type that falls through to '*' has its Content-Type header parsed on every request.
  app.addContentTypeParser(['application/msgpack', 'application/json'], { parseAs: 'buffer' }, raw);
  app.addContentTypeParser('*', { parseAs: 'buffer' }, raw);

  // Before any route is added: onRoute hooks see only routes added after them.
  app.addHook('onRoute', handlerTimeouts(cfg.requestTimeoutMillis, cfg.basePath));

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 ? err.statusCode : 500;
    if (request.method === 'POST' && request.routeOptions.url?.endsWith('/api/report')) {
      metrics.reportsRefused.inc({ reason: err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'too-large' : 'http' });
    }
    if (status >= 500) {
      request.log.error({ err, url: request.url }, 'request failed');
      return sendError(reply, status, 'internal error');
    }
    return sendError(reply, status, err.message);
  });

  // Callback-style hooks (here and below): an async hook costs each request a promise and a
  // microtask hop, for hooks that never wait for anything.
  app.addHook('onResponse', (request, reply, done) => {
    // The log line is built only when it is written: at the default level nothing is logged.
    if (cfg.logHttp || ctx.logger.isLevelEnabled('debug')) {
      const line = {
        method: request.method,
        url: request.url,
        status: reply.statusCode,
        millis: Math.round(reply.elapsedTime),
        remote: request.ip,
        ...(cfg.logHttpHeaders ? { headers: redactHeaders(request.headers) } : {}),
      };
      if (cfg.logHttp) request.log.info(line, 'request');
      else request.log.debug(line, 'request');
    }
    metrics.observeRequest(request.method, request.routeOptions.url ?? 'notfound', reply.statusCode, request.ws, reply.elapsedTime / 1000);
    done();
  });

  await app.register(fastifyCompress, { global: true, globalDecompression: false, encodings: ['gzip', 'deflate'] });
  await app.register(fastifyWebsocket, {
    options: { maxPayload: cfg.maxWebsocketMessageBytes },
    // A socket's own error ends that socket only.
    errorHandler: (err, socket, request) => {
      request.log.debug({ err }, 'websocket error');
      socket.terminate();
    },
  });

  // After @fastify/websocket's own onRequest hook, which marks upgrade requests so that a refused
  // upgrade's socket is destroyed once answered (otherwise it would hold close() forever).
  // Always on: without people auth it still refuses cross-origin websockets and controls.
  app.addHook('onRequest', ctx.auth.hook);
  // Synchronous, so an answer given in an earlier hook (a 401 from auth) is written at once.
  app.addHook('onSend', (_request, reply, payload, done) => {
    addSecurityHeaders(reply);
    done(null, payload);
  });

  app.all('/metrics', async (_request, reply) => {
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).header('Cache-Control', 'no-cache').send(body);
  });

  const uiDir = resolveUiDir(cfg.uiDir);
  if (uiDir === undefined) ctx.logger.info('no built web UI found; serving a placeholder page at /');
  await app.register(
    async (scoped) => {
      registerApiRoutes(scoped, ctx);
      registerTopologyRoutes(scoped, ctx);
      registerReportRoutes(scoped, ctx);
      registerControlRoutes(scoped, ctx);
      registerPipeRoutes(scoped, ctx);
      if (uiDir !== undefined) await registerStatic(scoped, uiDir);
      else {
        const page = async (_request: FastifyRequest, reply: FastifyReply) =>
          reply.type('text/html; charset=utf-8').send(UI_MISSING_PAGE);
        scoped.get('/', page);
        scoped.get('/index.html', page);
      }
      // Here rather than on the root so it can use @fastify/static's reply.sendFile.
      scoped.setNotFoundHandler(notFoundHandler(cfg, uiDir));
    },
    { prefix: cfg.basePath },
  );
  if (cfg.basePath !== '') app.setNotFoundHandler(notFoundHandler(cfg, undefined));

}

/** Browser paths the UI routes itself get index.html; API and other misses get Go's 404. */
function notFoundHandler(cfg: ResolvedAppConfig, uiDir: string | undefined) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const path = (request.raw.url ?? '').split('?')[0]!;
    const underBase = cfg.basePath === '' || path.startsWith(`${cfg.basePath}/`);
    const inApi = path.startsWith(`${cfg.basePath}/api/`) || path === `${cfg.basePath}/api`;
    if ((request.method === 'GET' || request.method === 'HEAD') && underBase && !inApi && uiDir !== undefined) {
      return reply.sendFile('index.html', uiDir);
    }
    if (path === cfg.basePath && cfg.basePath !== '') return reply.redirect(`${cfg.basePath}/`);
    return sendNotFound(reply);
  };
}
