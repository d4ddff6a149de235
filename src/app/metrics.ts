/**
 * The app's Prometheus figures (`/metrics`). One registry per running app, so several apps in one
 * process (tests, the all-in-one mode) never share or clash.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { renderTopology, type ApiEdgeMetrics } from '../render/index.js';
import type { Report } from '../report/types.js';

/** Default of {@link AppMetricsOptions.edgeTopK}. */
export const DEFAULT_EDGE_TOP_K = 200;
/** Topologies whose edges get Prometheus series: few, long-lived nodes (bounded cardinality). */
export const EDGE_TOPOLOGIES = ['containers', 'hosts'] as const;

/** Options of {@link AppMetrics}. */
export interface AppMetricsOptions {
  /**
   * Edges per topology exported as `openscope_edge_*` series: the K with the most bytes/s (both
   * directions). Default {@link DEFAULT_EDGE_TOP_K}; 0 exports none.
   */
  edgeTopK?: number;
}

/** One edge with figures, as exported. */
export interface EdgeSeries {
  topology: string;
  sourceId: string;
  targetId: string;
  source: string;
  target: string;
  figures: ApiEdgeMetrics;
}

const bytesPerSecond = (f: ApiEdgeMetrics): number => (f.bytes_sent_per_s ?? 0) + (f.bytes_received_per_s ?? 0);

/**
 * The `k` edges of `topology` with the most bytes/s (ties: more connections first, then ids), from
 * the API render (all nodes, no option filters), with the nodes' labels for readable series.
 */
export function topEdges(report: Report, topology: string, k: number): EdgeSeries[] {
  const nodes = renderTopology(report, topology, {})?.nodes;
  if (nodes === undefined || k <= 0) return [];
  const all: EdgeSeries[] = [];
  for (const n of Object.values(nodes)) {
    if (n.edge_metrics === undefined) continue;
    for (const [targetId, figures] of Object.entries(n.edge_metrics)) {
      all.push({ topology, sourceId: n.id, targetId, source: n.label, target: nodes[targetId]?.label ?? targetId, figures });
    }
  }
  all.sort(
    (a, b) =>
      bytesPerSecond(b.figures) - bytesPerSecond(a.figures) ||
      b.figures.connections - a.figures.connections ||
      (a.sourceId < b.sourceId ? -1 : a.sourceId > b.sourceId ? 1 : a.targetId < b.targetId ? -1 : a.targetId > b.targetId ? 1 : 0),
  );
  return all.slice(0, k);
}

const EDGE_LABELS = ['topology', 'source', 'target', 'source_id', 'target_id'] as const;
/** How long one computation of the edge series serves scrapes (all edge gauges of one scrape share it). */
const EDGE_SNAPSHOT_MILLIS = 1000;

/** Most request-histogram label combinations whose child series is kept for quick lookup. */
const MAX_REQUEST_CHILDREN = 1024;
/** Sampling interval of the event-loop delay histogram (nodejs_eventloop_lag_*), ms. */
const EVENT_LOOP_SAMPLE_MILLIS = 100;

/** Every metric the app updates. */
export class AppMetrics {
  readonly registry = new Registry();

  readonly reportsReceived = new Counter({
    name: 'openscope_app_reports_received_total',
    help: 'Reports accepted on POST /api/report.',
    registers: [this.registry],
  });
  readonly reportsRefused = new Counter({
    name: 'openscope_app_reports_refused_total',
    help: 'Reports refused on POST /api/report, by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly reportBytes = new Counter({
    name: 'openscope_app_report_bytes_total',
    help: 'Bytes of report bodies received as sent on the wire (often gzip-compressed).',
    registers: [this.registry],
  });
  readonly mergeSeconds = new Histogram({
    name: 'openscope_app_merge_duration_seconds',
    help: 'Time to merge the reports of the window into one.',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly renderSeconds = new Histogram({
    name: 'openscope_app_render_duration_seconds',
    help: 'Time to render an API answer from the merged report, by kind (list, topology, node).',
    labelNames: ['kind'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly connectedProbes = new Gauge({
    name: 'openscope_app_connected_probes',
    help: 'Probes with an open control websocket.',
    registers: [this.registry],
  });
  readonly websocketClients = new Gauge({
    name: 'openscope_app_websocket_clients',
    help: 'Open websockets, by kind (topology, control, pipe).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly openPipes = new Gauge({
    name: 'openscope_app_pipes',
    help: 'Pipes known to the app (open, not yet closed).',
    registers: [this.registry],
  });
  /** Scope's own request histogram (app §1.13), so existing dashboards keep working. */
  readonly requestSeconds = new Histogram({
    name: 'scope_request_duration_seconds',
    help: 'Time spent serving HTTP requests.',
    labelNames: ['method', 'route', 'status_code', 'ws'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  /** {@link AppMetrics.requestSeconds}' children by label values (see {@link AppMetrics.observeRequest}). */
  private readonly requestChildren = new Map<string, Histogram.Internal<'method' | 'route' | 'status_code' | 'ws'>>();

  /**
   * Records one request in {@link AppMetrics.requestSeconds}. Each label combination's child is
   * looked up once and kept (routes, methods and statuses are few), instead of hashing a label
   * object on every request; past {@link MAX_REQUEST_CHILDREN} combinations the rest go through
   * the labels object as before.
   */
  observeRequest(method: string, route: string, statusCode: number, ws: boolean, seconds: number): void {
    const key = `${method} ${statusCode} ${ws ? 1 : 0} ${route}`;
    let child = this.requestChildren.get(key);
    if (child === undefined) {
      const labels = { method, route, status_code: String(statusCode), ws: String(ws) };
      if (this.requestChildren.size >= MAX_REQUEST_CHILDREN) {
        this.requestSeconds.observe(labels, seconds);
        return;
      }
      child = this.requestSeconds.labels(labels);
      this.requestChildren.set(key, child);
    }
    child.observe(seconds);
  }

  /** Per-edge traffic (docs/edge-metrics.md, "In /metrics"); filled at scrape time once {@link watchEdges} is called. */
  readonly edgeBytes = new Gauge({
    name: 'openscope_edge_bytes_per_second',
    help: 'Bytes per second on an edge, direction sent (source to target) or received (target to source); top K edges by bytes/s per topology.',
    labelNames: [...EDGE_LABELS, 'direction'] as const,
    registers: [this.registry],
    collect: () => this.refreshEdges(),
  });
  readonly edgeRtt = new Gauge({
    name: 'openscope_edge_rtt_seconds',
    help: 'Smoothed TCP round-trip time of the connections of an edge over the app window, by quantile (0.5, 0.95).',
    labelNames: [...EDGE_LABELS, 'quantile'] as const,
    registers: [this.registry],
    collect: () => this.refreshEdges(),
  });
  readonly edgeConnections = new Gauge({
    name: 'openscope_edge_connections',
    help: 'Connections an edge stands for.',
    labelNames: EDGE_LABELS,
    registers: [this.registry],
    collect: () => this.refreshEdges(),
  });
  readonly edgeConnectionRate = new Gauge({
    name: 'openscope_edge_connections_per_second',
    help: 'New connections per second on an edge.',
    labelNames: EDGE_LABELS,
    registers: [this.registry],
    collect: () => this.refreshEdges(),
  });
  readonly edgeRetransmits = new Gauge({
    name: 'openscope_edge_retransmits',
    help: 'Retransmitted TCP segments of the connections of an edge (per connection since first seen, summed).',
    labelNames: EDGE_LABELS,
    registers: [this.registry],
    collect: () => this.refreshEdges(),
  });
  readonly edgeResets = new Gauge({
    name: 'openscope_edge_resets',
    help: 'TCP resets sent or received by the connections of an edge.',
    labelNames: EDGE_LABELS,
    registers: [this.registry],
    collect: () => this.refreshEdges(),
  });
  readonly edgesWithFigures = new Gauge({
    name: 'openscope_edge_metrics_edges',
    help: 'Edges with traffic figures per topology, before the top-K cut (compare with the exported series).',
    labelNames: ['topology'] as const,
    registers: [this.registry],
    collect: () => this.refreshEdges(),
  });

  private readonly edgeTopK: number;
  private edgeReport: (() => Promise<Report>) | undefined;
  private edgeSnapshot: { atMillis: number; done: Promise<void> } | undefined;

  constructor(options: AppMetricsOptions = {}) {
    this.edgeTopK = Math.max(0, Math.floor(options.edgeTopK ?? DEFAULT_EDGE_TOP_K));
    // prom-client samples event-loop delay with a 10-ms timer by default: 100 wake-ups a second
    // of an otherwise idle app. Every 100 ms still shows any lag a scrape interval would.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MILLIS });
    // Present from the start, so dashboards see 0 rather than no series.
    for (const kind of ['topology', 'control', 'pipe']) this.websocketClients.labels(kind).set(0);
  }

  /** Exports per-edge series from the report `current()` returns (the collector's merged report) at each scrape. */
  watchEdges(current: () => Promise<Report>): void {
    this.edgeReport = current;
  }

  /** One computation per scrape: every edge gauge's collect waits for the same one. */
  private refreshEdges(): Promise<void> {
    const now = Date.now();
    if (this.edgeSnapshot !== undefined && now - this.edgeSnapshot.atMillis < EDGE_SNAPSHOT_MILLIS) return this.edgeSnapshot.done;
    const done = this.computeEdges();
    this.edgeSnapshot = { atMillis: now, done };
    return done;
  }

  private async computeEdges(): Promise<void> {
    const gauges = [this.edgeBytes, this.edgeRtt, this.edgeConnections, this.edgeConnectionRate, this.edgeRetransmits, this.edgeResets, this.edgesWithFigures];
    let report: Report | undefined;
    try {
      report = this.edgeReport === undefined ? undefined : await this.edgeReport();
    } catch {
      report = undefined; // a failing collector costs the edge series, never the scrape
    }
    // Reset first: series of edges that went away or fell out of the top K disappear.
    for (const g of gauges) g.reset();
    if (report === undefined) return;
    for (const topology of EDGE_TOPOLOGIES) {
      const edges = topEdges(report, topology, Number.MAX_SAFE_INTEGER);
      this.edgesWithFigures.set({ topology }, edges.length);
      for (const e of edges.slice(0, this.edgeTopK)) {
        const labels = { topology, source: e.source, target: e.target, source_id: e.sourceId, target_id: e.targetId };
        const f = e.figures;
        if (f.bytes_sent_per_s !== undefined) this.edgeBytes.set({ ...labels, direction: 'sent' }, f.bytes_sent_per_s);
        if (f.bytes_received_per_s !== undefined) this.edgeBytes.set({ ...labels, direction: 'received' }, f.bytes_received_per_s);
        if (f.rtt_us_median !== undefined) this.edgeRtt.set({ ...labels, quantile: '0.5' }, f.rtt_us_median / 1e6);
        if (f.rtt_us_p95 !== undefined) this.edgeRtt.set({ ...labels, quantile: '0.95' }, f.rtt_us_p95 / 1e6);
        this.edgeConnections.set(labels, f.connections);
        if (f.connections_per_s !== undefined) this.edgeConnectionRate.set(labels, f.connections_per_s);
        if (f.retransmits !== undefined) this.edgeRetransmits.set(labels, f.retransmits);
        if (f.resets !== undefined) this.edgeResets.set(labels, f.resets);
      }
    }
  }
}
