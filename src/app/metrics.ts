/**
 * The app's Prometheus figures (`/metrics`). One registry per running app, so several apps in one
 * process (tests, the all-in-one mode) never share or clash.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Present from the start, so dashboards see 0 rather than no series.
    for (const kind of ['topology', 'control', 'pipe']) this.websocketClients.labels(kind).set(0);
  }
}
