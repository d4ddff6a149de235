/**
 * Pipe routes (app §1.12, wire §4.4): the UI end and the probe end of a pipe are websockets; the
 * router relays bytes between them. `/check` tells the UI whether to keep reconnecting.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import type { PipeEnd } from '../pipe/router.js';
import { sendError, sendNotFound } from '../http.js';

/** Longest pipe id accepted (Scope's are `pipe-` and a decimal int63). */
const MAX_PIPE_ID_LENGTH = 256;

interface PipeParams {
  id: string;
}

export function registerPipeRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get<{ Params: PipeParams }>('/api/pipe/:id/check', async (request, reply) => {
    if (ctx.pipes.check(request.params.id) === 'closed') return sendNotFound(reply);
    return reply.code(204).send();
  });

  const close = async (request: FastifyRequest<{ Params: PipeParams }>, reply: FastifyReply) => {
    ctx.audit.record({
      event: 'pipe-close',
      remote: request.ip,
      principal: ctx.auth.principal(request),
      pipeId: request.params.id,
    });
    ctx.pipes.close(request.params.id);
    return reply.code(200).send();
  };
  app.delete<{ Params: PipeParams }>('/api/pipe/:id', close);

  for (const [url, end] of [
    ['/api/pipe/:id', 'ui'],
    ['/api/pipe/:id/probe', 'probe'],
  ] as const) {
    app.route<{ Params: PipeParams }>({
      method: 'GET',
      url,
      preValidation: async (request, reply) => {
        const id = request.params.id;
        if (id === '' || id.length > MAX_PIPE_ID_LENGTH) return sendError(reply, 400, 'invalid pipe id');
        const refusal = ctx.pipes.canAttach(id);
        if (refusal === 'closed') return sendNotFound(reply);
        if (refusal === 'full' || ctx.state.shuttingDown || !ctx.websockets.hasRoom()) {
          return sendError(reply, 503, 'too many pipes or websockets, try again later');
        }
        return undefined;
      },
      handler: (_request, reply) =>
        sendError(reply, 400, 'websocket: the client is not using the websocket protocol'),
      wsHandler: (socket, request) => {
        ctx.websockets.track(socket, 'pipe');
        ctx.audit.record({
          event: 'pipe-attach',
          remote: request.ip,
          principal: ctx.auth.principal(request),
          pipeId: request.params.id,
          end,
        });
        const refusal = ctx.pipes.attach(request.params.id, end satisfies PipeEnd, socket);
        // The pipe may have closed between the check and the upgrade.
        if (refusal) socket.close(1000, 'pipe closed');
      },
    });
  }
  // POST also closes (Scope registers both methods); after the GET routes so it shares their path.
  app.post<{ Params: PipeParams }>('/api/pipe/:id', close);
}
