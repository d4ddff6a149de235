/**
 * Constructors for the report model: empty reports with Scope's default presentation attributes
 * (wire §2.2, `MakeReport`), empty topologies and nodes.
 */
import {
  TOPOLOGIES,
  ZERO_TIME,
  type Node,
  type Report,
  type Topology,
  type TopologyName,
} from './types.js';

interface Presentation {
  shape: string;
  tag?: string;
  label: string;
  plural: string;
}

/** `MakeReport`'s defaults per topology; Endpoint and Namespace have none. */
const PRESENTATION: Partial<Record<TopologyName, Presentation>> = {
  process: { shape: 'square', label: 'process', plural: 'processes' },
  container: { shape: 'hexagon', label: 'container', plural: 'containers' },
  container_image: { shape: 'hexagon', label: 'image', plural: 'images' },
  host: { shape: 'circle', label: 'host', plural: 'hosts' },
  pod: { shape: 'heptagon', label: 'pod', plural: 'pods' },
  service: { shape: 'heptagon', label: 'service', plural: 'services' },
  deployment: { shape: 'heptagon', label: 'deployment', plural: 'deployments' },
  replica_set: { shape: 'triangle', label: 'replica set', plural: 'replica sets' },
  daemon_set: { shape: 'pentagon', label: 'daemonset', plural: 'daemonsets' },
  stateful_set: { shape: 'octagon', label: 'stateful set', plural: 'stateful sets' },
  cron_job: { shape: 'triangle', label: 'cron job', plural: 'cron jobs' },
  overlay: { shape: 'circle', label: 'peer', plural: 'peers' },
  ecs_task: { shape: 'heptagon', label: 'task', plural: 'tasks' },
  ecs_service: { shape: 'heptagon', label: 'service', plural: 'services' },
  swarm_service: { shape: 'heptagon', label: 'service', plural: 'services' },
  persistent_volume: { shape: 'cylinder', label: 'persistent volume', plural: 'persistent volumes' },
  persistent_volume_claim: {
    shape: 'dottedcylinder',
    label: 'persistent volume claim',
    plural: 'persistent volume claims',
  },
  storage_class: { shape: 'sheet', label: 'storage class', plural: 'storage classes' },
  volume_snapshot: { shape: 'dottedcylinder', tag: 'camera', label: 'volume snapshot', plural: 'volume snapshots' },
  volume_snapshot_data: {
    shape: 'cylinder',
    tag: 'camera',
    label: 'volume snapshot data',
    plural: 'volume snapshot data',
  },
  job: { shape: 'dottedtriangle', label: 'job', plural: 'jobs' },
};

/** An empty topology with no presentation attributes. */
export function makeTopology(): Topology {
  return {
    shape: '',
    tag: '',
    label: '',
    labelPlural: '',
    nodes: new Map(),
    controls: new Map(),
    metadataTemplates: new Map(),
    metricTemplates: new Map(),
    tableTemplates: new Map(),
  };
}

/** An empty topology carrying Scope's default shape/tag/label for `name`. */
export function makeDefaultTopology(name: TopologyName): Topology {
  const t = makeTopology();
  const p = PRESENTATION[name];
  if (p) {
    t.shape = p.shape;
    t.tag = p.tag ?? '';
    t.label = p.label;
    t.labelPlural = p.plural;
  }
  return t;
}

/** An empty Map that throws on writes: the Maps of the shared empty topologies below. */
class ReadOnlyEmptyMap<K, V> extends Map<K, V> {
  override set(): this {
    throw new TypeError('a shared empty topology is read-only');
  }
  override delete(): boolean {
    return false;
  }
  override clear(): void {
    // already empty
  }
}

const READ_ONLY_EMPTY: Map<unknown, unknown> = new ReadOnlyEmptyMap();

/** The one shared empty Map that throws on `set` (for read-only values, e.g. reports built only to be encoded). */
export function readOnlyEmptyMap<K, V>(): Map<K, V> {
  return READ_ONLY_EMPTY as Map<K, V>;
}

/** One frozen empty topology per name, shared by every sparse report (see `makeSparseReport`). */
const SHARED_EMPTY = new Map<TopologyName, Topology>();
const SHARED_EMPTY_SET = new WeakSet<Topology>();
function sharedEmptyTopology(name: TopologyName): Topology {
  let t = SHARED_EMPTY.get(name);
  if (t === undefined) {
    t = makeDefaultTopology(name);
    t.nodes = new ReadOnlyEmptyMap();
    t.controls = new ReadOnlyEmptyMap();
    t.metadataTemplates = new ReadOnlyEmptyMap();
    t.metricTemplates = new ReadOnlyEmptyMap();
    t.tableTemplates = new ReadOnlyEmptyMap();
    Object.freeze(t);
    SHARED_EMPTY.set(name, t);
    SHARED_EMPTY_SET.add(t);
  }
  return t;
}

/** Whether `t` is one of the shared read-only empty topologies of sparse reports. */
export function isSharedEmptyTopology(t: Topology): boolean {
  return SHARED_EMPTY_SET.has(t);
}

/**
 * `makeReport()` where only the topologies in `own` are the report's own (writable); every other
 * one is a shared, frozen, read-only empty topology with the same presentation defaults. For
 * producers that fill one or two topologies every second (the probe's reporters): 25 topologies
 * of 5 Maps each per report were most of what an idle probe allocated besides its nodes. Readers
 * see an ordinary report; writing into a shared topology throws, so code that merges into a
 * sparse report must first give it a topology of its own (probe/fold.ts does).
 */
export function makeSparseReport(...own: TopologyName[]): Report {
  const topologies = {} as Record<TopologyName, Topology>;
  for (const { name } of TOPOLOGIES) {
    topologies[name] = own.includes(name) ? makeDefaultTopology(name) : sharedEmptyTopology(name);
  }
  return emptyReportOf(topologies);
}

function readOnly(): never {
  throw new TypeError('this empty Map is shared and read-only: copy it before writing');
}

/** An empty Map whose `set`/`delete`/`clear` throw (non-enumerable, so deep equality sees a plain empty Map). */
function frozenEmptyMap(): Map<string, never> {
  const m = new Map<string, never>();
  for (const k of ['set', 'delete', 'clear']) {
    Object.defineProperty(m, k, { value: readOnly, enumerable: false, writable: false, configurable: false });
  }
  return Object.freeze(m);
}

/**
 * The one shared read-only empty Map of decoded reports and merge results (a plain `Map`, unlike
 * `readOnlyEmptyMap()`, so the loops that read it stay monomorphic). Writers replace it first.
 */
export const EMPTY_MAP: ReadonlyMap<string, never> = frozenEmptyMap();

/** `EMPTY_MAP` typed as the (mutable-typed) model Map it stands in for. */
export function emptyMap<V>(): Map<string, V> {
  return EMPTY_MAP as unknown as Map<string, V>;
}

/** One frozen default topology per name whose Maps are all `EMPTY_MAP` (see `makeLeanReport`). */
const LEAN = new Map<TopologyName, Topology>();
const LEAN_SET = new WeakSet<Topology>();
for (const { name } of TOPOLOGIES) {
  const t = makeDefaultTopology(name);
  t.nodes = emptyMap();
  t.controls = emptyMap();
  t.metadataTemplates = emptyMap();
  t.metricTemplates = emptyMap();
  t.tableTemplates = emptyMap();
  LEAN.set(name, Object.freeze(t));
  LEAN_SET.add(t);
}

/** Whether `t` is one of the shared frozen topologies of `makeLeanReport`. */
export function isLeanTopology(t: Topology): boolean {
  return LEAN_SET.has(t);
}

/** The shared frozen default topology of `name` whose Maps are `EMPTY_MAP` (see `makeLeanReport`). */
export function leanTopology(name: TopologyName): Topology {
  return LEAN.get(name)!;
}

/**
 * `makeReport()` for merge results that are only read or merged into by `mergeReportIntoShared`:
 * every topology is a shared frozen default one whose Maps are `EMPTY_MAP`; the merge gives a
 * topology an object of its own when something is merged into it, and each Map when it is first
 * written. A `makeReport()` is 23 topologies of 5 Maps, ~25 KiB of heap; the app's per-probe merges
 * (three or so per arriving report, each living seconds) made one each.
 */
export function makeLeanReport(): Report {
  const topologies = {} as Record<TopologyName, Topology>;
  for (const { name } of TOPOLOGIES) topologies[name] = LEAN.get(name)!;
  return emptyReportOf(topologies);
}

/** A random decimal int63, as Scope uses for report ids. */
export function randomReportId(): string {
  const hi = Math.floor(Math.random() * 0x80000000); // 31 bits
  const lo = Math.floor(Math.random() * 0x100000000); // 32 bits
  return (BigInt(hi) * 0x100000000n + BigInt(lo)).toString();
}

/** An empty report with every topology present and Scope's default presentation (`MakeReport`). */
export function makeReport(): Report {
  const topologies = {} as Record<TopologyName, Topology>;
  for (const { name } of TOPOLOGIES) topologies[name] = makeDefaultTopology(name);
  return emptyReportOf(topologies);
}

/** A report with no data around `topologies` (a fresh id, zero times and counts). */
function emptyReportOf(topologies: Record<TopologyName, Topology>): Report {
  return {
    ts: ZERO_TIME,
    topologies,
    dns: new Map(),
    sampling: { count: 0, total: 0 },
    windowNanos: 0,
    shortcut: false,
    plugins: [],
    id: randomReportId(),
  };
}

/** An empty node with the given id (and topology, which the probe's topology tagger would set). */
export function makeNode(id: string, topology = ''): Node {
  return {
    id,
    topology,
    sets: new Map(),
    adjacency: [],
    latest: new Map(),
    metrics: new Map(),
    parents: new Map(),
    children: null,
  };
}
