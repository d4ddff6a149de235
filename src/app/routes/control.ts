/**
 * Control routes (app §1.11, wire §4.3): probes hold a websocket on `/api/control/ws`; the UI's
 * `POST /api/control/{probeID}/{nodeID}/{control}` becomes a `control.Handle` call on it.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { ControlCallError, ProbeConnection } from '../control/rpc.js';
import { ProbeIdTakenError } from '../control/router.js';
import { BadPathError, rawSegments, sendError, sendJson, sendNotFound } from '../http.js';

/** Largest JSON argument body of a control POST, in bytes (the UI sends ~50). */
export const MAX_CONTROL_BODY_BYTES = 64 * 1024;

/** A control POST body → its string arguments; a message for the 400 otherwise. */
export function parseControlArgs(body: Buffer): Record<string, string> | null | string {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    return `invalid control arguments: ${(err as Error).message}`;
  }
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) return 'control arguments must be a JSON object of strings';
  const args = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') return `control argument "${k}" must be a string`;
    args[k] = v;
  }
  return args;
}

export function registerControlRoutes(app: FastifyInstance, ctx: AppContext): void {
  const base = ctx.config.basePath;

  app.route({
    method: 'GET',
    url: '/api/control/ws',
    preValidation: async (request, reply) => {
      const probeId = request.headers['x-scope-probe-id'];
      if (typeof probeId !== 'string' || probeId === '') return sendError(reply, 400, 'X-Scope-Probe-ID');
      if (ctx.state.shuttingDown || !ctx.websockets.hasRoom()) {
        return sendError(reply, 503, 'too many websocket connections, try again later');
      }
      return undefined;
    },
    handler: (_request, reply) => sendError(reply, 400, 'websocket: the client is not using the websocket protocol'),
    wsHandler: (socket, request) => {
      const probeId = request.headers['x-scope-probe-id'] as string;
      ctx.websockets.track(socket, 'control');
      const conn = new ProbeConnection(probeId, socket, (message) =>
        ctx.logger.warn({ probeId }, `control channel: ${message}`),
      );
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      const authenticated = ctx.auth.caller(request).principal !== 'anonymous';
      try {
        ctx.controls.register(conn, closed, request.ip, authenticated);
      } catch (err) {
        if (!(err instanceof ProbeIdTakenError)) throw err;
        ctx.logger.warn({ probeId, remote: request.ip }, `control channel refused: ${err.message}`);
        socket.close(1008, 'probe id already connected');
        return;
      }
      ctx.logger.info({ probeId, remote: request.ip }, 'probe control channel connected');
      void closed.then(() => ctx.logger.info({ probeId }, 'probe control channel closed'));
    },
  });

  const routeOptions = {
    bodyLimit: MAX_CONTROL_BODY_BYTES,
    // The control's own timeout (controlTimeoutMillis) answers first, 504 with a reason, and is
    // what bounds this route. fastify's backstop fires only for a control POSTed without a body:
    // node closes a request once its body is read, which clears fastify's timer (see
    // handlerTimeouts in server.ts).
    handlerTimeout: ctx.config.controlTimeoutMillis + 5000,
  };
  app.post('/api/control/:probeId/:nodeId/:control', routeOptions, async (request, reply) => {
    let segments: string[] | undefined;
    try {
      segments = rawSegments(request, `${base}/api/control/`);
    } catch (err) {
      if (err instanceof BadPathError) return sendError(reply, 400, err.message);
      throw err;
    }
    if (!segments || segments.length !== 3) return sendNotFound(reply);
    const [probeId, nodeId, control] = segments as [string, string, string];
    let args: Record<string, string> | null = null;
    const caller = ctx.auth.caller(request);
    const audit = (status: number, error?: string) =>
      ctx.audit.record({
        event: 'control',
        remote: request.ip,
        principal: caller.principal,
        user: caller.user,
        ...(caller.role === undefined ? {} : { role: caller.role }),
        probeId,
        nodeId,
        control,
        args,
        status,
        result: status === 200 ? 'ok' : 'failed',
        ...(error === undefined ? {} : { error }),
      });
    const body = request.body;
    if (Buffer.isBuffer(body) && body.length > 0) {
      const parsed = parseControlArgs(body);
      if (typeof parsed === 'string') {
        audit(400, parsed);
        return sendError(reply, 400, parsed);
      }
      args = parsed;
    }
    try {
      const result = await ctx.controls.handle(probeId, { nodeId, control, args }, ctx.config.controlTimeoutMillis);
      if (result.error !== undefined) {
        audit(400, result.error);
        return sendError(reply, 400, result.error);
      }
      audit(200);
      return sendJson(reply, 200, result);
    } catch (err) {
      if (err instanceof ControlCallError) {
        audit(err.httpStatus, err.message);
        return sendError(reply, err.httpStatus, err.message);
      }
      audit(500, (err as Error).message);
      throw err;
    }
  });
}
