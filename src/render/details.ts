/**
 * Detailed node (app §4.6): the summary with metric samples, plus controls, children grouped by
 * topology, and connections tables.
 */
import { TOPOLOGIES, type Report, type TopologyName } from '../report/types.js';
import type { ApiColumn, ApiControlInstance, DetailedNode, NodeSummary, NodeSummaryGroup } from './api-types.js';
import { connectionsTables } from './connections.js';
import { PRIMARY_API_TOPOLOGY } from './parents.js';
import type { RNode } from './rnode.js';
import { summarize } from './summary.js';

const REPORT_TOPOLOGIES = new Set<string>(TOPOLOGIES.map((t) => t.name));

/** Active controls of the report node behind `n` (aggregates have none). */
export function controlsOf(report: Report, n: RNode): ApiControlInstance[] {
  if (!REPORT_TOPOLOGIES.has(n.topology)) return [];
  const topology = report.topologies[n.topology as TopologyName];
  const node = topology.nodes.get(n.id);
  if (node === undefined) return [];
  const probeId = node.latest.get('control_probe_id')?.value;
  const active = node.latest.get('active_controls')?.value;
  if (probeId === undefined || active === undefined || active === '') return [];
  const out: ApiControlInstance[] = [];
  for (const id of active.split(';')) {
    const c = topology.controls.get(id);
    if (c === undefined) continue;
    const control: Partial<ApiControlInstance> = { probeId: c.probeId !== '' ? c.probeId : probeId, nodeId: n.id, id, human: c.human, icon: c.icon };
    if (c.confirmation !== '') control.confirmation = c.confirmation;
    control.rank = c.rank;
    out.push(control as ApiControlInstance);
  }
  return out;
}

const col = (id: string, label: string, dataType = ''): ApiColumn => ({ id, label, defaultSort: false, dataType });

interface ChildGroupSpec {
  topology: string;
  label: string;
  topologyId: string;
  columns: ApiColumn[];
}

const CHILD_GROUPS: readonly ChildGroupSpec[] = [
  { topology: 'pod', label: 'Pods', topologyId: 'pods', columns: [col('kubernetes_state', 'State'), col('container', '# Containers', 'number'), col('kubernetes_ip', 'IP', 'ip')] },
  { topology: 'ecs_task', label: 'Tasks', topologyId: 'ecs-tasks', columns: [col('ecs_created_at', 'Created At', 'datetime')] },
  { topology: 'container', label: 'Containers', topologyId: 'containers', columns: [col('docker_cpu_total_usage', 'CPU', 'number'), col('docker_memory_usage', 'Memory', 'number')] },
  {
    topology: 'process',
    label: 'Processes',
    topologyId: 'processes',
    columns: [col('pid', 'PID', 'number'), col('process_cpu_usage_percent', 'CPU', 'number'), col('process_memory_usage_bytes', 'Memory', 'number')],
  },
  { topology: 'container_image', label: 'Container images', topologyId: 'containers-by-image', columns: [] },
  { topology: 'persistent_volume', label: 'Persistent Volumes', topologyId: 'pods', columns: [] },
  { topology: 'persistent_volume_claim', label: 'Persistent Volume Claims', topologyId: 'pods', columns: [] },
  { topology: 'storage_class', label: 'Storage Classes', topologyId: 'pods', columns: [] },
  { topology: 'volume_snapshot', label: 'Volume Snapshots', topologyId: 'pods', columns: [] },
  { topology: 'volume_snapshot_data', label: 'Volume Snapshot Data', topologyId: 'pods', columns: [] },
];
const CHILD_GROUP_TOPOLOGIES = new Set(CHILD_GROUPS.map((g) => g.topology));

/**
 * Children grouped by topology (endpoints and the node itself skipped), summaries without samples,
 * sorted by id. Scope emits other topologies' groups with `nodes: null` (a bug); we fill them.
 */
export function childGroups(report: Report, n: RNode): NodeSummaryGroup[] {
  if (n.children === null || n.children.size === 0) return [];
  const byTopology = new Map<string, NodeSummary[]>();
  for (const c of n.children.values()) {
    if (c.topology === 'endpoint' || c.id === n.id) continue;
    const s = summarize(report, c);
    if (s === undefined) continue;
    let list = byTopology.get(c.topology);
    if (list === undefined) byTopology.set(c.topology, (list = []));
    list.push(s);
  }
  const out: NodeSummaryGroup[] = [];
  const sortById = (list: NodeSummary[]): NodeSummary[] => list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const spec of CHILD_GROUPS) {
    const list = byTopology.get(spec.topology);
    if (list === undefined) continue;
    out.push({ id: '', label: spec.label, nodes: sortById(list), topologyId: spec.topologyId, columns: spec.columns });
  }
  for (const [topology, list] of [...byTopology].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (CHILD_GROUP_TOPOLOGIES.has(topology)) continue;
    const topologyId = PRIMARY_API_TOPOLOGY[topology];
    if (topologyId === undefined || !REPORT_TOPOLOGIES.has(topology)) continue;
    const label = report.topologies[topology as TopologyName].labelPlural;
    out.push({ id: '', label, nodes: sortById(list), topologyId, columns: [] });
  }
  return out;
}

/** The detailed node of `n` in view `topologyId`, using the filtered `view` for connections. */
export function detailedNode(
  report: Report,
  topologyId: string,
  n: RNode,
  view: ReadonlyMap<string, RNode>,
): DetailedNode | undefined {
  const summary = summarize(report, n, true);
  if (summary === undefined) return undefined;
  // Key order as Scope: summary fields, controls, children, connections.
  const node: Omit<DetailedNode, 'connections'> & Partial<DetailedNode> = { ...summary, controls: controlsOf(report, n) };
  const children = childGroups(report, n);
  if (children.length > 0) node.children = children;
  node.connections = connectionsTables(report, topologyId, n, view);
  return node as DetailedNode;
}
