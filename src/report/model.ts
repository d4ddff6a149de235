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
