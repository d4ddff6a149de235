/**
 * Wire types of the OpenScope/Scope HTTP+WS API as the UI reads them (app spec §1, §4, §7.3).
 * Only the fields the client uses are typed; unknown extra fields are tolerated.
 * These shapes arrive from the network and are checked once in `api/validate.ts`.
 *
 * They are deliberately more tolerant than the app's own output types (src/render/api-types.ts):
 * the UI also talks to Scope apps and must survive `null`s and missing fields. The check at the
 * bottom of this file makes the compiler prove that everything our app serves is accepted here.
 */
import type * as Served from '../../../src/render/api-types.js';

/** `GET /api` */
export interface ApiDetails {
  id: string;
  version: string;
  hostname: string;
  plugins: PluginSpec[];
  capabilities: Record<string, boolean>;
  newVersion?: { version: string; downloadUrl: string };
}

export interface PluginSpec {
  id: string;
  label: string;
  description?: string;
  interfaces?: string[];
  status?: string;
}

export interface TopologyOption {
  value: string;
  label: string;
}

export interface TopologyOptionGroup {
  id: string;
  defaultValue: string;
  options?: TopologyOption[];
  /** `"one"` (default) or `"union"` (multi-select). */
  selectType?: string;
  noneLabel?: string;
}

export interface TopologyStats {
  node_count: number;
  nonpseudo_node_count: number;
  edge_count: number;
  filtered_nodes: number;
}

/** One entry of `GET /api/topology`. */
export interface TopologyDesc {
  name: string;
  rank: number;
  hide_if_empty: boolean;
  options: TopologyOptionGroup[] | null;
  /** Always `/api/topology/<id>`; the id is the last path segment. */
  url: string;
  sub_topologies?: TopologyDesc[];
  stats?: TopologyStats;
}

export interface MetadataRow {
  id: string;
  label: string;
  value: string;
  priority?: number;
  dataType?: string;
  truncate?: number;
}

export interface MetricSample {
  date: string;
  value: number;
}

export interface MetricRow {
  id: string;
  label: string;
  format?: string;
  group?: string;
  value: number;
  valueEmpty?: boolean;
  priority?: number;
  samples: MetricSample[] | null;
  min: number;
  max: number;
  url?: string;
}

export interface TableRow {
  id: string;
  entries: Record<string, string>;
}

export interface TableColumn {
  id: string;
  label: string;
  dataType?: string;
  defaultSort?: boolean;
}

export interface Table {
  id: string;
  label: string;
  type: string;
  columns: TableColumn[] | null;
  rows: TableRow[] | null;
  truncationCount?: number;
}

export interface ParentLink {
  id: string;
  label: string;
  topologyId: string;
}

/** A node summary (`/api/topology/{t}` and websocket diffs), §4.1. */
export interface NodeSummary {
  id: string;
  label: string;
  labelMinor: string;
  rank: string;
  shape?: string;
  tag?: string;
  stack?: boolean;
  pseudo?: boolean;
  metadata?: MetadataRow[];
  parents?: ParentLink[];
  metrics?: MetricRow[];
  tables?: Table[];
  adjacency?: string[];
  /** OpenScope: traffic figures per edge, by target id (docs/edge-metrics.md); absent from Scope apps. */
  edge_metrics?: Record<string, EdgeMetrics>;
}

/** Figures of one edge source → target ("sent" = source → target), §edge-metrics. */
export interface EdgeMetrics {
  connections: number;
  bytes_sent_per_s?: number;
  bytes_received_per_s?: number;
  connections_per_s?: number;
  rtt_us_median?: number;
  rtt_us_p95?: number;
  retransmits?: number;
  resets?: number;
  bytes_sent?: number;
  bytes_received?: number;
}

export interface ControlInstance {
  probeId: string;
  nodeId: string;
  id: string;
  human: string;
  icon: string;
  rank: number;
  confirmation?: string;
}

export interface ConnectionRow {
  id: string;
  nodeId: string;
  label: string;
  labelMinor?: string;
  metadata?: { id: string; label?: string; value: string }[];
}

export interface ConnectionsTable {
  id: string;
  topologyId: string;
  label: string;
  columns: TableColumn[] | null;
  connections: ConnectionRow[] | null;
}

export interface NodeSummaryGroup {
  id: string;
  label: string;
  topologyId: string;
  columns: TableColumn[] | null;
  nodes: NodeSummary[] | null;
}

/** `GET /api/topology/{t}/{id}` → `{node}`, §4.6. */
export interface DetailedNode extends NodeSummary {
  controls: ControlInstance[];
  children?: NodeSummaryGroup[];
  connections: ConnectionsTable[];
}

/** One websocket message, §1.6. */
export interface TopologyDiff {
  add: NodeSummary[] | null;
  update: NodeSummary[] | null;
  remove: string[] | null;
  reset?: boolean;
}

/** Reply of `POST /api/control/...`, §1.11. */
export interface ControlResponse {
  pipe?: string;
  raw_tty?: boolean;
  resize_tty_control?: string;
  removedNode?: string;
}

/** Compile-time contract check: `T` (what the app serves) must be assignable to `U` (what the UI reads). */
type Accepts<U, T extends U> = [U, T];
export type ServedContractCheck = [
  Accepts<NodeSummary, Served.NodeSummary>,
  Accepts<DetailedNode, Served.DetailedNode>,
  Accepts<TopologyDiff, Served.ApiTopologyDiff>,
  Accepts<TopologyDesc, Served.ApiTopologyDesc>,
];
