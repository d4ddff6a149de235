/**
 * Traffic figures per edge of a rendered view (issue #10, docs/edge-metrics.md): the probe puts
 * per-connection figures on the *client* endpoint node of each TCP connection (latest keys
 * `openscope_*`, metric `openscope_rtt_us`); an edge A→B of any view stands for the connections
 * whose client endpoint is an endpoint child of A and whose server endpoint is one of B's, the
 * same attribution the details connections tables use (connections.ts). Pure; memoised per view.
 */
import type { ApiEdgeMetrics } from './api-types.js';
import type { RenderResult, RNode } from './rnode.js';

/** Latest keys the probe sets on client endpoints (docs/edge-metrics.md, "In the report"). */
export const EDGE_KEYS = {
  bytesSent: 'openscope_bytes_sent',
  bytesReceived: 'openscope_bytes_received',
  bytesSentPerSecond: 'openscope_bytes_sent_per_s',
  bytesReceivedPerSecond: 'openscope_bytes_received_per_s',
  rttMicros: 'openscope_rtt_us',
  retransmits: 'openscope_retransmits',
  resets: 'openscope_resets',
  connectionsPerSecond: 'openscope_connections_per_s',
  /** Scope's own key: how many connections one endpoint node stands for. */
  connCount: 'conn_count',
} as const;

const FIGURE_KEYS: readonly string[] = [
  EDGE_KEYS.bytesSent,
  EDGE_KEYS.bytesReceived,
  EDGE_KEYS.bytesSentPerSecond,
  EDGE_KEYS.bytesReceivedPerSecond,
  EDGE_KEYS.rttMicros,
  EDGE_KEYS.retransmits,
  EDGE_KEYS.resets,
  EDGE_KEYS.connectionsPerSecond,
];

const NUMBER = /^\d+(\.\d+)?$/;

/** A non-negative decimal latest value of `n`, or undefined (absent or malformed). */
export function latestNumber(n: RNode | undefined, key: string): number | undefined {
  const v = n?.latest.get(key)?.value;
  return v !== undefined && NUMBER.test(v) ? Number(v) : undefined;
}

/** How many connections endpoint `ep` stands for (Scope's `conn_count`, default 1). */
export function connectionWeight(ep: RNode | undefined): number {
  const w = latestNumber(ep, EDGE_KEYS.connCount);
  return w === undefined || !Number.isInteger(w) ? 1 : w;
}

/** Whether a (client) endpoint carries any of the probe's per-connection figures. */
export function hasFigures(ep: RNode): boolean {
  if (ep.metrics.has(EDGE_KEYS.rttMicros)) return true;
  for (const k of FIGURE_KEYS) if (ep.latest.has(k)) return true;
  return false;
}

/** The direct endpoint children of a rendered node (where every view keeps its connections). */
export function endpointChildren(n: RNode): RNode[] {
  const out: RNode[] = [];
  if (n.children !== null) for (const c of n.children.values()) if (c.topology === 'endpoint') out.push(c);
  return out;
}

/** Smoothed RTT samples of a client endpoint over the window, µs; the latest value when no samples. */
export function rttSamples(ep: RNode): number[] {
  const m = ep.metrics.get(EDGE_KEYS.rttMicros);
  if (m !== undefined && m.samples.length > 0) return m.samples.map((s) => s.value);
  const last = latestNumber(ep, EDGE_KEYS.rttMicros);
  return last === undefined ? [] : [last];
}

/** Nearest-rank percentile `p` (0–100) of ascending `sorted` (non-empty). */
function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Median of ascending `sorted` (non-empty): mean of the two middle values for even lengths. */
function median(sorted: readonly number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** Sums over the connections of one edge; a field stays undefined until a connection has it. */
class EdgeAccumulator {
  readonly seen = new Set<string>();
  connections = 0;
  withFigures = false;
  sent?: number;
  received?: number;
  sentPerSecond?: number;
  receivedPerSecond?: number;
  connectionsPerSecond?: number;
  retransmits?: number;
  resets?: number;
  readonly rtt: number[] = [];

  add(connectionId: string, client: RNode): void {
    if (this.seen.has(connectionId)) return;
    this.seen.add(connectionId);
    this.connections += connectionWeight(client);
    if (!hasFigures(client)) return;
    this.withFigures = true;
    const sum = (key: string, acc: number | undefined): number | undefined => {
      const v = latestNumber(client, key);
      return v === undefined ? acc : (acc ?? 0) + v;
    };
    this.sent = sum(EDGE_KEYS.bytesSent, this.sent);
    this.received = sum(EDGE_KEYS.bytesReceived, this.received);
    this.sentPerSecond = sum(EDGE_KEYS.bytesSentPerSecond, this.sentPerSecond);
    this.receivedPerSecond = sum(EDGE_KEYS.bytesReceivedPerSecond, this.receivedPerSecond);
    this.connectionsPerSecond = sum(EDGE_KEYS.connectionsPerSecond, this.connectionsPerSecond);
    this.retransmits = sum(EDGE_KEYS.retransmits, this.retransmits);
    this.resets = sum(EDGE_KEYS.resets, this.resets);
    for (const v of rttSamples(client)) this.rtt.push(v);
  }

  result(): ApiEdgeMetrics {
    const out: ApiEdgeMetrics = { connections: this.connections };
    if (this.sentPerSecond !== undefined) out.bytes_sent_per_s = round2(this.sentPerSecond);
    if (this.receivedPerSecond !== undefined) out.bytes_received_per_s = round2(this.receivedPerSecond);
    if (this.connectionsPerSecond !== undefined) out.connections_per_s = round2(this.connectionsPerSecond);
    if (this.rtt.length > 0) {
      const sorted = this.rtt.sort((a, b) => a - b);
      out.rtt_us_median = round2(median(sorted));
      out.rtt_us_p95 = percentile(sorted, 95);
    }
    if (this.retransmits !== undefined) out.retransmits = this.retransmits;
    if (this.resets !== undefined) out.resets = this.resets;
    if (this.sent !== undefined) out.bytes_sent = this.sent;
    if (this.received !== undefined) out.bytes_received = this.received;
    return out;
  }
}

/** source node id → target node id → figures of that edge; only edges with figures. */
export type ViewEdgeMetrics = ReadonlyMap<string, ReadonlyMap<string, ApiEdgeMetrics>>;

const NONE: ViewEdgeMetrics = new Map();
const cache = new WeakMap<RenderResult, ViewEdgeMetrics>();

/**
 * The figures of every edge of `view` that stands for at least one connection with figures.
 * An edge A→B counts each connection (deduplicated through `copy_of`, as the connections tables
 * do) whose client endpoint is a child of A and whose server endpoint is a child of B; a node in
 * several groups (a pod in two services) lends its connections to each group's edges.
 */
export function edgeMetrics(view: RenderResult): ViewEdgeMetrics {
  let out = cache.get(view);
  if (out === undefined) {
    out = compute(view.nodes);
    cache.set(view, out);
  }
  return out;
}

/** Whether some node with edges has an endpoint child carrying figures (no allocation: run per view). */
function anyFigures(nodes: ReadonlyMap<string, RNode>): boolean {
  for (const n of nodes.values()) {
    if (n.adjacency.size === 0 || n.children === null) continue;
    for (const c of n.children.values()) if (c.topology === 'endpoint' && hasFigures(c)) return true;
  }
  return false;
}

function compute(nodes: ReadonlyMap<string, RNode>): ViewEdgeMetrics {
  // Cheap exit for Scope-only reports: no client endpoint with figures, nothing to aggregate.
  if (!anyFigures(nodes)) return NONE;
  const clients: Array<[RNode, RNode[]]> = [];
  for (const n of nodes.values()) {
    if (n.adjacency.size === 0) continue;
    const eps = endpointChildren(n);
    if (eps.length > 0) clients.push([n, eps]);
  }

  // endpoint id → the view nodes having it as a child.
  const owners = new Map<string, string[]>();
  for (const n of nodes.values()) {
    if (n.children === null) continue;
    for (const c of n.children.values()) {
      if (c.topology !== 'endpoint') continue;
      const list = owners.get(c.id);
      if (list === undefined) owners.set(c.id, [n.id]);
      else list.push(n.id);
    }
  }

  const edges = new Map<string, Map<string, EdgeAccumulator>>();
  for (const [source, eps] of clients) {
    for (const ep of eps) {
      if (ep.adjacency.size === 0) continue;
      const connectionId = ep.latest.get('copy_of')?.value ?? ep.id;
      for (const target of ep.adjacency) {
        const targetOwners = owners.get(target);
        if (targetOwners === undefined) continue;
        for (const targetId of targetOwners) {
          if (!source.adjacency.has(targetId)) continue;
          let bySource = edges.get(source.id);
          if (bySource === undefined) edges.set(source.id, (bySource = new Map<string, EdgeAccumulator>()));
          let acc = bySource.get(targetId);
          if (acc === undefined) bySource.set(targetId, (acc = new EdgeAccumulator()));
          acc.add(connectionId, ep);
        }
      }
    }
  }

  const result = new Map<string, Map<string, ApiEdgeMetrics>>();
  for (const [sourceId, bySource] of edges) {
    let perTarget: Map<string, ApiEdgeMetrics> | undefined;
    for (const [targetId, acc] of bySource) {
      if (!acc.withFigures) continue;
      (perTarget ??= new Map()).set(targetId, acc.result());
    }
    if (perTarget !== undefined) result.set(sourceId, perTarget);
  }
  return result.size === 0 ? NONE : result;
}

/** The `edge_metrics` field of node `id`'s summary: target id → figures, keys sorted; undefined when none. */
export function edgeMetricsField(metrics: ViewEdgeMetrics, id: string): Record<string, ApiEdgeMetrics> | undefined {
  const perTarget = metrics.get(id);
  if (perTarget === undefined) return undefined;
  const out: Record<string, ApiEdgeMetrics> = Object.create(null) as Record<string, ApiEdgeMetrics>;
  for (const target of [...perTarget.keys()].sort()) out[target] = perTarget.get(target)!;
  return out;
}
