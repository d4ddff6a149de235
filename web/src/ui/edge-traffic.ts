/**
 * Traffic on edges (issue #10, docs/edge-metrics.md), pure: the figures of one edge from its
 * source node's `edge_metrics`, edge width on a log scale, the hover text, and per-node sums for
 * the table view.
 */
import type { EdgeMetrics, NodeSummary } from '../domain/api-types.js';

/** The figures of edge source → target, if the app sent any. */
export function edgeFigures(source: NodeSummary, targetId: string): EdgeMetrics | undefined {
  const m = source.edge_metrics;
  return m !== undefined && Object.hasOwn(m, targetId) ? m[targetId] : undefined;
}

/** Bytes per second both ways. */
export function edgeBytesPerSecond(f: EdgeMetrics | undefined): number {
  return f === undefined ? 0 : (f.bytes_sent_per_s ?? 0) + (f.bytes_received_per_s ?? 0);
}

/**
 * Extra stroke width of an edge (world units, 0..MAX_TRAFFIC_WIDTH) on a log scale of its bytes/s:
 * below 100 B/s nothing, then +1 per decade (1 kB/s → 1, 1 MB/s → 4), in whole steps so the
 * painter strokes a handful of widths, not one per edge.
 */
export const MAX_TRAFFIC_WIDTH = 7;
export function trafficWidth(bytesPerSecond: number): number {
  if (!(bytesPerSecond >= 100)) return 0;
  return Math.min(MAX_TRAFFIC_WIDTH, Math.round(Math.log10(bytesPerSecond) - 2));
}

/** Whether an edge had retransmits or resets (drawn red). */
export function edgeAlert(f: EdgeMetrics | undefined): boolean {
  return f !== undefined && ((f.retransmits ?? 0) > 0 || (f.resets ?? 0) > 0);
}

const UNITS = ['B/s', 'kB/s', 'MB/s', 'GB/s', 'TB/s'];

/** `1.5 kB/s`, `300 B/s` (decimal units, as network rates go). */
export function formatRate(bytesPerSecond: number): string {
  let x = bytesPerSecond;
  let i = 0;
  while (x >= 1000 && i < UNITS.length - 1) {
    x /= 1000;
    i++;
  }
  return `${i === 0 ? Math.round(x) : x.toFixed(x < 10 ? 2 : 1).replace(/\.?0+$/, '')} ${UNITS[i]!}`;
}

/** `850 µs`, `1.5 ms`, `2.1 s`. */
export function formatRtt(micros: number): string {
  if (micros < 1000) return `${Math.round(micros)} µs`;
  if (micros < 1_000_000) return `${(micros / 1000).toFixed(micros < 10_000 ? 2 : 1).replace(/\.?0+$/, '')} ms`;
  return `${(micros / 1_000_000).toFixed(2).replace(/\.?0+$/, '')} s`;
}

/** Lines of the hover tooltip of edge `sourceLabel → targetLabel`. */
export function edgeTooltipLines(sourceLabel: string, targetLabel: string, f: EdgeMetrics | undefined): string[] {
  const lines = [`${sourceLabel} → ${targetLabel}`];
  if (f === undefined) return lines;
  if (f.bytes_sent_per_s !== undefined || f.bytes_received_per_s !== undefined) {
    lines.push(`→ ${formatRate(f.bytes_sent_per_s ?? 0)}   ← ${formatRate(f.bytes_received_per_s ?? 0)}`);
  }
  if (f.rtt_us_median !== undefined) {
    lines.push(`RTT ${formatRtt(f.rtt_us_median)}${f.rtt_us_p95 !== undefined ? ` (p95 ${formatRtt(f.rtt_us_p95)})` : ''}`);
  }
  const counts = [`${f.connections} connection${f.connections === 1 ? '' : 's'}`];
  if (f.connections_per_s !== undefined && f.connections_per_s > 0) counts.push(`${f.connections_per_s}/s new`);
  if ((f.retransmits ?? 0) > 0) counts.push(`${f.retransmits} retransmit${f.retransmits === 1 ? '' : 's'}`);
  if ((f.resets ?? 0) > 0) counts.push(`${f.resets} reset${f.resets === 1 ? '' : 's'}`);
  lines.push(counts.join(' · '));
  return lines;
}

/** A node's traffic: sums over all its edges, both as source and as target, from its point of view. */
export interface NodeTraffic {
  /** Bytes/s the node sends (as client: sent; as server: received by the client side). */
  sentPerSecond: number;
  receivedPerSecond: number;
  /** Largest p95 RTT of its edges, µs; null without RTT figures. */
  rttP95Micros: number | null;
  retransmits: number;
  resets: number;
}

/** Traffic of every node with at least one edge with figures. */
export function nodeTraffic(nodes: Iterable<NodeSummary>): Map<string, NodeTraffic> {
  const out = new Map<string, NodeTraffic>();
  const of = (id: string): NodeTraffic => {
    let t = out.get(id);
    if (t === undefined) out.set(id, (t = { sentPerSecond: 0, receivedPerSecond: 0, rttP95Micros: null, retransmits: 0, resets: 0 }));
    return t;
  };
  for (const n of nodes) {
    if (n.edge_metrics === undefined) continue;
    for (const [target, f] of Object.entries(n.edge_metrics)) {
      const sent = f.bytes_sent_per_s ?? 0;
      const received = f.bytes_received_per_s ?? 0;
      // The source sends `sent` and receives `received`; the target the other way round. A self
      // edge is the node's own traffic, counted once.
      const ends = target === n.id ? ([[n.id, sent, received]] as const) : ([[n.id, sent, received], [target, received, sent]] as const);
      for (const [id, mine, theirs] of ends) {
        const t = of(id);
        t.sentPerSecond += mine;
        t.receivedPerSecond += theirs;
        if (f.rtt_us_p95 !== undefined) t.rttP95Micros = Math.max(t.rttP95Micros ?? 0, f.rtt_us_p95);
        t.retransmits += f.retransmits ?? 0;
        t.resets += f.resets ?? 0;
      }
    }
  }
  return out;
}

const RATE_UNITS: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 };

/** A typed rate: `500`, `10k`, `1.5M`, `2 MB/s` (decimal units); NaN when unreadable, 0 when blank. */
export function parseRate(text: string): number {
  const t = text.trim();
  if (t === '') return 0;
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)\s*(?:b(?:\/s)?)?$/i.exec(t);
  return m === null ? NaN : Number(m[1]) * RATE_UNITS[m[2]!.toLowerCase()]!;
}
