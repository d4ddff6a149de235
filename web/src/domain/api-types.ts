/**
 * Wire types of the OpenScope/Scope HTTP+WS API as the UI reads them (app spec §1, §4, §7.3).
 * These shapes arrive from the network and are checked once in `api/validate.ts`.
 *
 * They are derived from the app's own output types (src/render/api-types.ts, imported for types
 * only: nothing of the core is bundled) and loosened where the UI must also read Scope apps, which
 * send `null` for empty lists and leave out fields our app always writes. The check at the bottom
 * makes the compiler prove that everything our app serves is still accepted here.
 */
import type * as Served from '../../../src/render/api-types.js';

/** `T` with the fields `K` optional. */
type Optional<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;

/** `GET /api` (built inline by the app's route, so there is no served type to derive from). */
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

export type TopologyOption = Served.ApiTopologyOption;
export type TopologyOptionGroup = Served.ApiTopologyOptionGroup;
export type TopologyStats = Served.ApiTopologyStats;

/** One entry of `GET /api/topology`; Scope apps may leave out `stats`. */
export type TopologyDesc = Omit<Served.ApiTopologyDesc, 'sub_topologies' | 'stats'> & {
  sub_topologies?: TopologyDesc[];
  stats?: TopologyStats;
};

export type MetadataRow = Served.ApiMetadataRow;
export type MetricSample = Served.ApiSample;
/** Scope apps leave out the (always empty) metrics-graph `url`. */
export type MetricRow = Optional<Served.ApiMetricRow, 'url'>;
export type TableRow = Served.ApiTableRow;
/** A column of a node table, a children table or a connections table. */
export type TableColumn = Optional<Served.ApiColumn, 'dataType' | 'defaultSort'>;

export type Table = Omit<Served.ApiTable, 'columns' | 'rows'> & {
  columns: TableColumn[] | null;
  rows: TableRow[] | null;
};

export type ParentLink = Served.ApiParent;
/** Figures of one edge source → target ("sent" = source → target), §edge-metrics. */
export type EdgeMetrics = Served.ApiEdgeMetrics;

/** A node summary (`/api/topology/{t}` and websocket diffs), §4.1. */
export type NodeSummary = Omit<Served.NodeSummary, 'metrics' | 'tables'> & {
  metrics?: MetricRow[];
  tables?: Table[];
};

export type ControlInstance = Served.ApiControlInstance;

export type ConnectionRow = Omit<Served.ApiConnectionRow, 'metadata'> & {
  metadata?: Optional<Served.ApiConnectionMetadata, 'label'>[];
};

export type ConnectionsTable = Omit<Served.ApiConnectionsSummary, 'columns' | 'connections'> & {
  columns: TableColumn[] | null;
  connections: ConnectionRow[] | null;
};

export type NodeSummaryGroup = Omit<Served.NodeSummaryGroup, 'columns' | 'nodes'> & {
  columns: TableColumn[] | null;
  nodes: NodeSummary[] | null;
};

/** `GET /api/topology/{t}/{id}` → `{node}`, §4.6. */
export type DetailedNode = NodeSummary & {
  controls: ControlInstance[];
  children?: NodeSummaryGroup[];
  connections: ConnectionsTable[];
};

/** One websocket message, §1.6. */
export type TopologyDiff = Omit<Served.ApiTopologyDiff, 'add' | 'update'> & {
  add: NodeSummary[] | null;
  update: NodeSummary[] | null;
};

/**
 * Reply of `POST /api/control/...`, §1.11. The app's own type (ControlReply in
 * src/app/control/rpc.ts) lives beside Node-only code the UI cannot type-check against.
 */
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
