/**
 * App identity and status routes: `GET /api` (app §1.3), `GET /api/probes` (§1.9) and our
 * `GET /api/health` (liveness and readiness for Kubernetes probes; Scope had none), and Scope's
 * operator page `GET /admin/summary` (§1.13).
 */
import type { FastifyInstance } from 'fastify';
import type { PluginSpec, Report } from '../../report/types.js';
import type { AppContext } from '../context.js';
import { sendJson } from '../http.js';

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
