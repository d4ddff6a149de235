/**
 * Topology routes (app §1.4–§1.7): the list, one topology's node summaries, its websocket diff
 * stream, and node details. Renders go through the shared cache, so N viewers cost one render
 * per report change.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import {
  diffTopology,
  isKnownTopology,
  listTopologies,
  renderNodeDetails,
  releaseRenders,
  renderTopology,
  serialiseJson,
  type ApiTopologyResponse,
  type NodeSummary,
  type TopologyQuery,
} from '../../render/index.js';
import type { Report } from '../../report/types.js';
import type { AppContext } from '../context.js';
import { parseGoDuration, parseTimestampMillis } from '../duration.js';
import { BadPathError, flatQuery, rawSegments, sendError, sendJsonBytes, sendNotFound } from '../http.js';
import { GZIP_MIN_BYTES, queryKey } from '../render-cache.js';
import { withControlsFor } from '../roles-render.js';
import { LiveViews } from './live-views.js';

/** Shortest push interval accepted on the websocket, in ms: protects the app from `t=1ns`. */
const MIN_INTERVAL_MILLIS = 100;
/** Default push interval (Scope's server default), in ms. */
const DEFAULT_INTERVAL_MILLIS = 1000;
/** A viewer with this much unsent data skips ticks until it catches up. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** What a tick with nothing new sends (Scope still sends it: the UI counts any message as life). */
const EMPTY_DIFF = JSON.stringify({ add: null, update: null, remove: null });

const serialise = (value: unknown): Buffer => serialiseJson(value);

/**
 * Whether the request accepts gzip (RFC 9110 §12.5.3: `gzip`, `x-gzip` or `*` with a non-zero
 * q-value); other clients get what the compress plugin gives them.
 */
export function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined || header === '') return false;
  let star = false;
  for (const item of header.toLowerCase().split(',')) {
    const semi = item.indexOf(';');
    const name = (semi < 0 ? item : item.slice(0, semi)).trim();
    if (name !== 'gzip' && name !== 'x-gzip' && name !== '*') continue;
    const q = semi < 0 ? undefined : /(?:^|;)\s*q\s*=\s*([0-9.]+)/.exec(item.slice(semi))?.[1];
    const accepted = q === undefined || Number(q) > 0;
    if (name === '*') star = accepted;
    else return accepted;
  }
  return star;
}

/** Whether `request` gets the cached gzip body (it accepts gzip and did not opt out). */
function wantsGzip(request: FastifyRequest): boolean {
  return request.headers['x-no-compression'] === undefined && acceptsGzip(request.headers['accept-encoding']);
}

/**
 * Answers a cached JSON body, gzip-compressed once per body for every client that accepts it
 * (instead of once per request by the compress plugin, which leaves bodies that already carry a
 * Content-Encoding alone); other requests go through the plugin as before.
 */
function sendCachedJson(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, body: Buffer): FastifyReply {
  if (body.length < GZIP_MIN_BYTES || !wantsGzip(request)) {
    return sendJsonBytes(reply, body);
  }
  void reply.header('Vary', 'accept-encoding').header('Content-Encoding', 'gzip');
  return sendJsonBytes(reply, ctx.renders.gzipped(body));
}

/** The report a request asks for: `timestamp` if given (historic collectors), else now. */
async function reportFor(ctx: AppContext, query: TopologyQuery): Promise<Report> {
  const ts = query.timestamp;
  return ctx.collector.report(ts === undefined ? undefined : parseTimestampMillis(ts));
}

/**
 * The answer object for `report` when a websocket viewer already made it, else made here and not
 * kept: an HTTP answer needs only its bytes, and the object (~3x the JSON's size on the heap: 430
 * KiB for 150 processes, 780 KiB for 530) would otherwise stay alive as long as the report, to be
 * copied by every young-generation GC meanwhile.
 */
function renderForBody(ctx: AppContext, report: Report, topologyId: string, query: TopologyQuery): ApiTopologyResponse | undefined {
  return ctx.renders.peek<ApiTopologyResponse>(report, 'topology', renderKey(topologyId, query)) ?? renderTopology(report, topologyId, query);
}

/** RenderCache key of a topology's render for `query` (kind 'topology'); its JSON body's is `topology:` + this. */
function renderKey(topologyId: string, query: TopologyQuery): string {
  return `${topologyId}?${queryKey(query)}`;
}

/** A topology's render for `report`, or (under heavy load) a recent one: see RenderCache.recent. */
function renderCached(ctx: AppContext, report: Report, topologyId: string, query: TopologyQuery) {
  return ctx.renders.recent(report, 'topology', renderKey(topologyId, query), (r) => renderTopology(r, topologyId, query));
}

/** `GET /api/topology/{id}`'s JSON body for `report` (or a recent one), undefined for no such topology. */
function topologyJson(ctx: AppContext, report: Report, topologyId: string, query: TopologyQuery): Buffer | undefined {
  return ctx.renders.recent(report, 'json', `topology:${renderKey(topologyId, query)}`, (r) => {
    const rendered = renderForBody(ctx, r, topologyId, query);
    return rendered && serialise(rendered);
  });
}

/**
 * The live answer (no `timestamp=`) of {@link renderCached} or {@link topologyJson}: the recent
 * costly render when it may be served without the collector's newest merge (see
 * RenderCache.servedWithoutReport: with hundreds of probes the merge alone costs ~150 ms), else
 * `render` of the collector's current report.
 */
async function liveAnswer<T>(ctx: AppContext, kind: 'topology' | 'json', key: string, render: (report: Report) => T): Promise<T> {
  return ctx.renders.servedWithoutReport<T>(kind, key) ?? render(await ctx.collector.report());
}

export function registerTopologyRoutes(app: FastifyInstance, ctx: AppContext): void {
  const base = ctx.config.basePath;
  // A shortcut report (wire §4.5) must show at once: no recent render is served after one.
  ctx.collector.subscribe((change) => {
    if (change.shortcut) ctx.renders.forgetRecent();
  });
  // Subscribed after the line above, so a shortcut's views are prepared from a fresh render.
  // After a pass, the views' answers are cached (bodies, websocket renders): the intermediate
  // stages memoised for the report (~0.7-0.8 MiB for 530 processes or 55 containers) are let go
  // rather than kept alive, and copied by young-generation GCs, until the next report. A later
  // request of another view of the same report renders them again.
  const live = new LiveViews(ctx.collector, ctx.logger, Date.now, async () => releaseRenders(await ctx.collector.report()));

  app.get('/api/topology', async (request, reply) => {
    const query = flatQuery(request);
    const report = await reportFor(ctx, query);
    const body = ctx.renders.get(report, 'json', `list?${queryKey(query)}`, () =>
      serialise(ctx.renders.get(report, 'list', queryKey(query), () => listTopologies(report, undefined, query))),
    );
    return sendCachedJson(ctx, request, reply, body);
  });

  app.get('/api/topology/:topology', async (request, reply) => {
    const segments = segmentsOr404(request, reply, `${base}/api/topology/`, 1);
    if (!segments) return reply;
    const [topologyId] = segments as [string];
    if (!isKnownTopology(topologyId)) return sendNotFound(reply);
    const query = flatQuery(request);
    const jsonKey = `topology:${renderKey(topologyId, query)}`;
    const renderJson = (report: Report) => topologyJson(ctx, report, topologyId, query);
    const body =
      query.timestamp === undefined
        ? await liveAnswer(ctx, 'json', jsonKey, renderJson)
        : renderJson(await reportFor(ctx, query));
    if (body === undefined) return sendNotFound(reply);
    if (query.timestamp === undefined) {
      const gzip = wantsGzip(request);
      live.requested(`json:${renderKey(topologyId, query)}`, async () => {
        const b = await liveAnswer(ctx, 'json', jsonKey, renderJson);
        if (b !== undefined && gzip && b.length >= GZIP_MIN_BYTES) ctx.renders.gzipped(b);
      });
    }
    return sendCachedJson(ctx, request, reply, body);
  });

  app.get('/api/topology/:topology/:id', async (request, reply) => {
    const segments = segmentsOr404(request, reply, `${base}/api/topology/`, 2);
    if (!segments) return reply;
    const [topologyId, nodeId] = segments as [string, string];
    if (!isKnownTopology(topologyId) || nodeId === '') return sendNotFound(reply);
    const query = flatQuery(request);
    const report = await reportFor(ctx, query);
    // The UI shows only the controls this caller may run (the control route enforces it too).
    const role = ctx.auth.caller(request).role ?? 'viewer';
    const body = ctx.renders.get(report, 'node', `${topologyId}\u0000${nodeId}?${queryKey(query)}\u0000${role}`, () => {
      const details = renderNodeDetails(report, topologyId, nodeId, query);
      return details && serialise(role === 'admin' ? details : withControlsFor(details, role));
    });
    return body ? sendCachedJson(ctx, request, reply, body) : sendNotFound(reply);
  });

  app.route({
    method: 'GET',
    url: '/api/topology/:topology/ws',
    // Checks before upgrading, so a bad request gets a proper HTTP answer (Scope upgraded first).
    preValidation: async (request, reply) => {
      const segments = segmentsOr404(request, reply, `${base}/api/topology/`, 2);
      if (!segments) return reply;
      if (!isKnownTopology(segments[0]!)) return sendNotFound(reply);
      const t = flatQuery(request).t;
      if (t !== undefined && parseGoDuration(t) === undefined) return sendError(reply, 400, t);
      if (ctx.state.shuttingDown || !ctx.websockets.hasRoom()) {
        return sendError(reply, 503, 'too many websocket connections, try again later');
      }
      return undefined;
    },
    handler: (_request, reply) => sendError(reply, 400, 'websocket: the client is not using the websocket protocol'),
    wsHandler: (socket, request) => {
      const topologyId = rawSegments(request, `${base}/api/topology/`)![0]!;
      const query = flatQuery(request);
      const t = query.t === undefined ? DEFAULT_INTERVAL_MILLIS : parseGoDuration(query.t)!;
      ctx.websockets.track(socket, 'topology');
      streamTopology(ctx, live, socket, topologyId, query, Math.max(MIN_INTERVAL_MILLIS, t));
    },
  });
}

/**
 * The raw-URI segments below `prefix` when there are exactly `count` of them; otherwise answers
 * 404 (an unescaped `/` in a node id matches no route in Scope either) or 400 (bad escaping).
 */
function segmentsOr404(
  request: FastifyRequest,
  reply: FastifyReply,
  prefix: string,
  count: number,
): string[] | undefined {
  let segments: string[] | undefined;
  try {
    segments = rawSegments(request, prefix);
  } catch (err) {
    if (err instanceof BadPathError) {
      void sendError(reply, 400, err.message);
      return undefined;
    }
    throw err;
  }
  if (!segments || segments.length !== count) {
    void sendNotFound(reply);
    return undefined;
  }
  return segments;
}

/**
 * Sends a diff at once, then every `intervalMillis` and on every shortcut report (app §1.6).
 * Ticks never overlap: one arriving while a render runs is folded into a single follow-up.
 */
function streamTopology(
  ctx: AppContext,
  live: LiveViews,
  socket: WebSocket,
  topologyId: string,
  query: TopologyQuery,
  intervalMillis: number,
): void {
  const openedAtMillis = Date.now();
  const startMillis = query.timestamp === undefined ? undefined : parseTimestampMillis(query.timestamp);
  // What each tick would render, prepared on report changes while ticks keep asking for it.
  const liveKey = `topology:${renderKey(topologyId, query)}`;
  const renderLive = (): Promise<ApiTopologyResponse | undefined> =>
    liveAnswer(ctx, 'topology', renderKey(topologyId, query), (r) => renderCached(ctx, r, topologyId, query));
  const prepareLive = async (): Promise<void> => {
    await renderLive();
  };
  let previous: Record<string, NodeSummary> | undefined;
  let busy = false;
  let again = false;
  let closed = false;

  const tick = async (): Promise<void> => {
    if (closed) return;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      if (socket.bufferedAmount > MAX_BUFFERED_BYTES) return; // slow viewer: the next diff covers it
      const at = startMillis === undefined ? undefined : startMillis + (Date.now() - openedAtMillis);
      if (startMillis === undefined) live.requested(liveKey, prepareLive);
      const rendered: ApiTopologyResponse | undefined =
        at === undefined ? await renderLive() : renderCached(ctx, await ctx.collector.report(at), topologyId, query);
      if (closed) return;
      if (!rendered) {
        socket.close(1011, 'cannot render topology');
        return;
      }
      const prev = previous;
      const next = rendered.nodes;
      // Unchanged render (same cached object): the empty diff, without comparing anything.
      const text =
        prev === next
          ? EMPTY_DIFF
          : ctx.renders.diff(prev, next, () => {
              const diff = diffTopology(prev, next);
              if (prev === undefined) diff.reset = true;
              return JSON.stringify(diff);
            });
      previous = next;
      socket.send(text);
    } catch (err) {
      ctx.logger.warn({ err, topologyId }, 'topology websocket render failed');
      socket.close(1011, 'render failed');
    } finally {
      busy = false;
      if (again && !closed) {
        again = false;
        void tick();
      }
    }
  };

  const timer = setInterval(() => void tick(), intervalMillis);
  const unsubscribe = ctx.collector.subscribe((change) => {
    if (change.shortcut) void tick();
  });
  socket.once('close', () => {
    closed = true;
    clearInterval(timer);
    unsubscribe();
  });
  // The UI reads nothing from this socket's messages; they are discarded.
  void tick();
}
