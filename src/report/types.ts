/**
 * The report model: Weave Scope 1.13.2's report (wire §2) in domain form.
 *
 * The wire shapes (Go field names such as `TS`, `label_plural`, `Endpoint`) are translated to and
 * from these types in one place only: `codec/`. Everything else speaks this model.
 *
 * Conventions that hold everywhere in this model:
 * - A `Time` is a canonical RFC 3339 UTC string with exactly nine fractional digits
 *   (`2023-03-01T12:00:00.123456789Z`). Fixed width means string order is time order, so
 *   comparisons need no parsing, and Go's nanosecond precision survives a round trip.
 * - A `StringSet` is sorted ascending in UTF-16 code-unit order (equal to byte order for the ASCII ids Scope
 *   uses) and de-duplicated. Decoders sort; every producer must keep it so.
 * - Maps are `Map`s, never plain objects, so hostile keys such as `__proto__` are just keys.
 * - Empty strings mean "unset" for optional string fields, as Go's zero values do on the wire.
 */

/** Canonical RFC 3339 UTC time with nine fractional digits; see module comment. */
export type Time = string;

/** Go's zero `time.Time` in canonical form: what shortcut reports carry in `TS`. */
export const ZERO_TIME: Time = '0001-01-01T00:00:00.000000000Z';

/** Sorted, de-duplicated array of strings (wire §2.6). */
export type StringSet = readonly string[];

/** Map of set name → StringSet (wire §2.6). Empty sets are encoded as `null`. */
export type Sets = Map<string, StringSet>;

/** One entry of a node's latest map: the newest timestamp wins on merge (wire §2.5). */
export interface LatestEntry {
  readonly timestamp: Time;
  readonly value: string;
}

/** key → entry. Values are always strings on the wire. */
export type LatestMap = Map<string, LatestEntry>;

/** One metric sample (wire §2.7). */
export interface Sample {
  readonly date: Time;
  readonly value: number;
}

/** A metric: samples in ascending time order, with min and max (max often a capacity). */
export interface Metric {
  samples: Sample[];
  min: number;
  max: number;
}

/** A node of any topology (wire §2.4). */
export interface Node {
  /** Node id (wire §3); empty in the partial nodes of delta reports. */
  id: string;
  /** Topology name (`process`, `container`, …); empty in partial nodes. */
  topology: string;
  sets: Sets;
  /** Ids of nodes this node has an edge to, in the same topology. */
  adjacency: StringSet;
  latest: LatestMap;
  metrics: Map<string, Metric>;
  /** topology name → parent node ids. */
  parents: Sets;
  /** Children keyed by id (NodeSet). `null` when unset, which the wire distinguishes from empty. */
  children: Map<string, Node> | null;
}

/** A control a node may offer (wire §2.3). */
export interface Control {
  id: string;
  human: string;
  /** Font Awesome class, e.g. `fa fa-terminal`. */
  icon: string;
  confirmation: string;
  rank: number;
  /** Routes the control to this probe rather than the node's `control_probe_id`. */
  probeId: string;
}

/** `from`: which part of a node the value comes from; empty = latest, then sets, then counters. */
export type MetadataFrom = '' | 'latest' | 'sets' | 'counters';

export interface MetadataTemplate {
  id: string;
  label: string;
  truncate: number;
  /** `datetime` | `duration` | `ip` | `number` | ''. */
  dataType: string;
  priority: number;
  from: string;
}

export interface MetricTemplate {
  id: string;
  label: string;
  /** '' | `filesize` | `integer` | `percent`. */
  format: string;
  group: string;
  priority: number;
}

export interface TableColumn {
  id: string;
  label: string;
  dataType: string;
}

export interface TableTemplate {
  id: string;
  label: string;
  prefix: string;
  /** `property-list` (default when empty) | `multicolumn-table`. */
  type: string;
  columns: TableColumn[];
  /** latest key → row label. */
  fixedRows: Map<string, string>;
}

/** A topology: its presentation defaults, nodes and templates (wire §2.3). */
export interface Topology {
  shape: string;
  tag: string;
  label: string;
  labelPlural: string;
  /** Map key is authoritative: delta-report nodes may lack their `id`. */
  nodes: Map<string, Node>;
  controls: Map<string, Control>;
  metadataTemplates: Map<string, MetadataTemplate>;
  metricTemplates: Map<string, MetricTemplate>;
  tableTemplates: Map<string, TableTemplate>;
}

/** A plugin's self-description (wire §2.8). */
export interface PluginSpec {
  id: string;
  label: string;
  description: string;
  interfaces: string[];
  apiVersion: string;
  status: string;
}

/** Forward and reverse DNS names seen for one address (sorted sets). */
export interface DnsRecord {
  forward: StringSet;
  reverse: StringSet;
}

/**
 * Every topology of a report, in Scope's wire order (wire §2.2): `wire` is the report key,
 * `name` what nodes carry in `topology` and what `parents` are keyed by.
 */
export const TOPOLOGIES = [
  { wire: 'Endpoint', name: 'endpoint' },
  { wire: 'Process', name: 'process' },
  { wire: 'Container', name: 'container' },
  { wire: 'Pod', name: 'pod' },
  { wire: 'Service', name: 'service' },
  { wire: 'Deployment', name: 'deployment' },
  { wire: 'ReplicaSet', name: 'replica_set' },
  { wire: 'DaemonSet', name: 'daemon_set' },
  { wire: 'StatefulSet', name: 'stateful_set' },
  { wire: 'CronJob', name: 'cron_job' },
  { wire: 'Namespace', name: 'namespace' },
  { wire: 'ContainerImage', name: 'container_image' },
  { wire: 'Host', name: 'host' },
  { wire: 'ECSTask', name: 'ecs_task' },
  { wire: 'ECSService', name: 'ecs_service' },
  { wire: 'SwarmService', name: 'swarm_service' },
  { wire: 'Overlay', name: 'overlay' },
  { wire: 'PersistentVolume', name: 'persistent_volume' },
  { wire: 'PersistentVolumeClaim', name: 'persistent_volume_claim' },
  { wire: 'StorageClass', name: 'storage_class' },
  { wire: 'VolumeSnapshot', name: 'volume_snapshot' },
  { wire: 'VolumeSnapshotData', name: 'volume_snapshot_data' },
  { wire: 'Job', name: 'job' },
] as const;

/** A topology name as nodes carry it (`process`, `daemon_set`, …). */
export type TopologyName = (typeof TOPOLOGIES)[number]['name'];
/** A topology key as the wire carries it (`Process`, `DaemonSet`, …). */
export type TopologyWireKey = (typeof TOPOLOGIES)[number]['wire'];

/** A whole report (wire §2.2). */
export interface Report {
  /** Generation time; merge keeps the earliest non-zero. */
  ts: Time;
  topologies: Record<TopologyName, Topology>;
  dns: Map<string, DnsRecord>;
  sampling: { count: number; total: number };
  /** Time span the report covers, in nanoseconds; merge sums. */
  windowNanos: number;
  /** Marks an event-driven shortcut report (wire §4.5). */
  shortcut: boolean;
  plugins: PluginSpec[];
  /** Random decimal int63, used only as a cache key. */
  id: string;
}
