/**
 * JSON shapes of Scope's topology API (app §1.4–§1.7, §4), exactly as Scope 1.13.2 emits them:
 * same field names, `null` where Go emits a nil slice, optional (`?`) where Go uses `omitempty`.
 * These objects are JSON-ready: `JSON.stringify` gives Scope's wire form.
 */

/** One metadata row of a node (app §4.2). */
export interface ApiMetadataRow {
  id: string;
  label: string;
  value: string;
  /** omit-empty */
  priority?: number;
  /** `number` | `ip` | `datetime` | `duration` | `link`; omit-empty */
  dataType?: string;
  /** Display truncation in characters; omit-empty. */
  truncate?: number;
}

/** One metric sample; `date` is RFC 3339 with nanoseconds. */
export interface ApiSample {
  date: string;
  value: number;
}

/** One metric row (app §4.3). `samples` is `null` in summaries, the full series in details. */
export interface ApiMetricRow {
  id: string;
  label: string;
  /** '' (omitted) | `percent` | `filesize` | `integer` */
  format?: string;
  group?: string;
  /** Last sample value truncated to 2 decimals. */
  value: number;
  valueEmpty?: boolean;
  priority?: number;
  samples: ApiSample[] | null;
  min: number;
  max: number;
  /** Metrics-graph link; always "" (feature not implemented, app §4.9). */
  url: string;
}

/** Column of a node table (`tables[].columns`). */
export interface ApiTableColumn {
  id: string;
  label: string;
  dataType: string;
}

export interface ApiTableRow {
  id: string;
  entries: Record<string, string>;
}

/** A node table (app §4.4). */
export interface ApiTable {
  id: string;
  label: string;
  /** `property-list` | `multicolumn-table` */
  type: string;
  columns: ApiTableColumn[] | null;
  rows: ApiTableRow[];
  truncationCount?: number;
}

/** Link to a parent node in its primary view (app §4.5). */
export interface ApiParent {
  id: string;
  label: string;
  topologyId: string;
}

/** A node as listed in `/api/topology/{t}`, websocket diffs and children tables (app §4.1). */
export interface NodeSummary {
  id: string;
  label: string;
  labelMinor: string;
  rank: string;
  shape?: string;
  tag?: string;
  stack?: boolean;
  pseudo?: boolean;
  metadata?: ApiMetadataRow[];
  parents?: ApiParent[];
  metrics?: ApiMetricRow[];
  tables?: ApiTable[];
  /** Directed edges from this node, sorted; omitted when none. */
  adjacency?: string[];
  /**
   * OpenScope addition (docs/edge-metrics.md): traffic figures of the edges in `adjacency`, by
   * target node id; only edges with figures are listed, and the field is omitted when none has any
   * (Scope-shaped answers stay unchanged). Topology lists and websocket diffs only.
   */
  edge_metrics?: Record<string, ApiEdgeMetrics>;
}

/**
 * Figures of one edge A→B, summed over the connections it stands for (client in A, server in B).
 * "sent" is A → B, "received" B → A. Fields other than `connections` are present only when at
 * least one of those connections reported them.
 */
export interface ApiEdgeMetrics {
  /** Connections the edge stands for (Scope's `conn_count`, default 1 each). */
  connections: number;
  /** Bytes per second A → B over the probes' last spy interval. */
  bytes_sent_per_s?: number;
  /** Bytes per second B → A. */
  bytes_received_per_s?: number;
  /** New connections per second. */
  connections_per_s?: number;
  /** Median of the smoothed-RTT samples of the window, µs. */
  rtt_us_median?: number;
  /** 95th percentile (nearest rank) of the smoothed-RTT samples of the window, µs. */
  rtt_us_p95?: number;
  /** Retransmitted segments (cumulative per connection, summed). */
  retransmits?: number;
  /** Resets sent or received (cumulative per connection, summed). */
  resets?: number;
  /** Bytes A → B since the connections were first seen. */
  bytes_sent?: number;
  /** Bytes B → A since the connections were first seen. */
  bytes_received?: number;
}

/** An active control of a node (app §4.6). */
export interface ApiControlInstance {
  probeId: string;
  nodeId: string;
  id: string;
  human: string;
  icon: string;
  confirmation?: string;
  rank: number;
}

/** Column of a children or connections table. */
export interface ApiColumn {
  id: string;
  label: string;
  defaultSort: boolean;
  dataType: string;
}

/** Children of a detailed node, grouped by topology (app §4.6). `id` is always "". */
export interface NodeSummaryGroup {
  id: string;
  label: string;
  nodes: NodeSummary[] | null;
  topologyId: string;
  columns: ApiColumn[];
}

export interface ApiConnectionMetadata {
  id: string;
  label: string;
  value: string;
}

export interface ApiConnectionRow {
  id: string;
  nodeId: string;
  label: string;
  labelMinor?: string;
  metadata: ApiConnectionMetadata[];
}

/** The inbound or outbound connections table of a detailed node (app §4.6). */
export interface ApiConnectionsSummary {
  /** `incoming-connections` | `outgoing-connections` */
  id: string;
  topologyId: string;
  label: string;
  columns: ApiColumn[];
  connections: ApiConnectionRow[];
}

/** `/api/topology/{t}/{id}` node (app §4.6): a summary with samples plus controls, children, connections. */
export interface DetailedNode extends NodeSummary {
  controls: ApiControlInstance[];
  children?: NodeSummaryGroup[];
  connections: ApiConnectionsSummary[];
}

/** `GET /api/topology/{t}` body. */
export interface ApiTopologyResponse {
  nodes: Record<string, NodeSummary>;
}

/** `GET /api/topology/{t}/{id}` body. */
export interface ApiNodeDetailsResponse {
  node: DetailedNode;
}

/** One websocket message (app §1.6). Empty arrays are sent as `null`; `reset` only when true. */
export interface ApiTopologyDiff {
  add: NodeSummary[] | null;
  update: NodeSummary[] | null;
  remove: string[] | null;
  reset?: boolean;
}

export interface ApiTopologyOption {
  value: string;
  label: string;
}

/** An option group of a topology (app §1.4); its `id` is the query parameter name. */
export interface ApiTopologyOptionGroup {
  id: string;
  defaultValue: string;
  options?: ApiTopologyOption[];
  /** `one` (default, omitted) | `union` */
  selectType?: string;
  noneLabel?: string;
}

export interface ApiTopologyStats {
  node_count: number;
  nonpseudo_node_count: number;
  edge_count: number;
  filtered_nodes: number;
}

/** One entry of `GET /api/topology` (app §1.4). */
export interface ApiTopologyDesc {
  name: string;
  rank: number;
  hide_if_empty: boolean;
  options: ApiTopologyOptionGroup[] | null;
  /** Always `/api/topology/<id>`; the UI takes the id from the last path segment. */
  url: string;
  sub_topologies?: ApiTopologyDesc[];
  stats: ApiTopologyStats;
}
