/**
 * App identity and status routes: `GET /api` (app §1.3), `GET /api/probes` (§1.9) and our
 * `GET /api/health` (liveness and readiness for Kubernetes probes; Scope had none), and Scope's
 * operator page `GET /admin/summary` (§1.13).
 */
import type { FastifyInstance } from 'fastify';
import type { PluginSpec, Report } from '../../report/types.js';
import type { AppContext } from '../context.js';
import { parseTimestampMillis } from '../duration.js';
import { flatQuery, sendError, sendJson } from '../http.js';

/** PluginSpec in Scope's JSON (description, api_version and status omit-empty). */
export function pluginSpecJson(p: PluginSpec): Record<string, unknown> {
  const out: Record<string, unknown> = { id: p.id, label: p.label };
  if (p.description !== '') out.description = p.description;
  out.interfaces = p.interfaces;
  if (p.apiVersion !== '') out.api_version = p.apiVersion;
  if (p.status !== '') out.status = p.status;
  return out;
}

/** Canonical Time → Go's RFC3339Nano (trailing fractional zeros trimmed), as Scope's JSON has it. */
export function goTimeJson(t: string): string {
  return t.replace(/\.?0+Z$/, 'Z');
}

/** One entry of `GET /api/probes` (app §1.9). */
export interface ProbeInfo {
  id: string;
  hostname: string;
  version: string;
  lastSeen: string;
}

/** Probes of a merged report: one per Host node, as Scope lists them. */
export function probesOf(report: Report): ProbeInfo[] {
  const out: ProbeInfo[] = [];
  for (const node of report.topologies.host.nodes.values()) {
    const version = node.latest.get('host_scope_version');
    out.push({
      id: node.latest.get('control_probe_id')?.value ?? '',
      hostname: node.latest.get('host_name')?.value ?? '',
      version: version?.value ?? '',
      lastSeen: goTimeJson(version?.timestamp ?? '0001-01-01T00:00:00.000000000Z'),
    });
  }
  return out;
}

export function registerApiRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/api', async (_request, reply) => {
    const report = await ctx.collector.report();
    return sendJson(reply, 200, {
      id: ctx.appId,
      version: ctx.config.version,
      hostname: ctx.config.hostname,
      plugins: report.plugins.map(pluginSpecJson),
      capabilities: { historic_reports: ctx.collector.historic },
    });
  });

  app.get('/api/probes', async (request, reply) => {
    const url = request.raw.url ?? '';
    const query = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
    if (query.has('sparse')) return sendJson(reply, 200, await ctx.collector.hasRecentReports());
    return sendJson(reply, 200, probesOf(await ctx.collector.report()));
  });

  // Ours (Scope's hosted timeline had its own service): where the history changes, for the UI's
  // timeline. `from`/`to` are RFC 3339 (default: the last 24 h up to now). Times in the reply are
  // RFC 3339 UTC with milliseconds.
  app.get('/api/history', async (request, reply) => {
    const history = ctx.collector.history?.bind(ctx.collector);
    if (!ctx.collector.historic || !history) return sendError(reply, 404, 'this collector keeps no history (use file:// or redis://)');
    const query = flatQuery(request);
    const nowMillis = Date.now();
    const to = query.to === undefined ? nowMillis : parseTimestampMillis(query.to);
    const from = query.from === undefined ? to - 24 * 3_600_000 : parseTimestampMillis(query.from);
    if (to < 0 || from < 0 || from > to) return sendError(reply, 400, 'from and to must be RFC 3339 times with from ≤ to');
    const h = await history(from, to);
    const iso = (ms: number) => new Date(ms).toISOString();
    return sendJson(reply, 200, {
      now: iso(nowMillis),
      from: iso(from),
      to: iso(to),
      oldest: h.oldestMillis === null ? null : iso(h.oldestMillis),
      probes: h.probes.map((p) => ({ id: p.id, first: iso(p.firstMillis), last: iso(p.lastMillis), reports: p.reports })),
      changes: h.changes.map((c) => ({ at: iso(c.atMillis), probeId: c.probeId, kind: c.kind })),
      truncated: h.truncated,
    });
  });

  app.get('/admin/summary', async (_request, reply) => {
    const lines = (await ctx.collector.summary?.()) ?? [];
    return reply
      .header('Cache-Control', 'no-cache')
      .type('text/plain; charset=utf-8')
      .send(lines.map((l) => `${l}\n`).join(''));
  });

  app.get('/api/health', async (_request, reply) => {
    if (ctx.state.shuttingDown) return sendJson(reply, 503, { status: 'shutting down' });
    return sendJson(reply, 200, {
      status: 'ok',
      uptimeSeconds: Math.round((Date.now() - ctx.state.startedAtMillis) / 1000),
      connectedProbes: ctx.controls.connectedProbeIds().length,
      recentReports: await ctx.collector.hasRecentReports(),
      websockets: ctx.websockets.size,
    });
  });
}
