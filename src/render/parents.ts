/**
 * Parent links of a node (app §4.5) and the primary API view of each report topology.
 */
import type { Node, Report, TopologyName } from '../report/types.js';
import type { ApiParent } from './api-types.js';
import { containerLabel, hostLabel, idPart, imageNameWithoutVersion } from './names.js';
import type { RNode } from './rnode.js';

/** The API topology a node of each report topology links to. */
export const PRIMARY_API_TOPOLOGY: Readonly<Record<string, string>> = {
  process: 'processes',
  container: 'containers',
  container_image: 'containers-by-image',
  pod: 'pods',
  persistent_volume: 'pods',
  persistent_volume_claim: 'pods',
  storage_class: 'pods',
  volume_snapshot: 'pods',
  volume_snapshot_data: 'pods',
  deployment: 'kube-controllers',
  daemon_set: 'kube-controllers',
  stateful_set: 'kube-controllers',
  cron_job: 'kube-controllers',
  job: 'kube-controllers',
  service: 'services',
  ecs_task: 'ecs-tasks',
  ecs_service: 'ecs-services',
  swarm_service: 'swarm-services',
  host: 'hosts',
};

const PARENT_ORDER: readonly TopologyName[] = [
  'container',
  'container_image',
  'pod',
  'deployment',
  'daemon_set',
  'stateful_set',
  'cron_job',
  'service',
  'ecs_task',
  'ecs_service',
  'swarm_service',
  'host',
];

function parentLabel(topology: TopologyName, id: string, parent: Node | undefined): string {
  const latest = parent?.latest;
  switch (topology) {
    case 'container':
      return latest === undefined ? idPart(id).slice(0, 12) : containerLabel(latest, id);
    case 'container_image':
      // Parents point at name-based image ids (`<name>;<container_image>`).
      return imageNameWithoutVersion(idPart(id));
    case 'host':
      return hostLabel(latest?.get('host_name')?.value ?? idPart(id));
    case 'ecs_task':
      return latest?.get('ecs_task_family')?.value ?? idPart(id);
    case 'ecs_service': {
      const i = id.indexOf(';');
      return i < 0 ? id : id.slice(i + 1) === '<ecs_service>' ? id.slice(0, i) : id.slice(i + 1);
    }
    case 'swarm_service':
      return latest?.get('service_name')?.value ?? idPart(id);
    default:
      return latest?.get('kubernetes_name')?.value ?? idPart(id);
  }
}

/**
 * Parent links of one report by parent topology (index in PARENT_ORDER) and id. A link depends
 * only on the report, and most nodes share theirs (every process links its host), so each is
 * built once per report and the same object is used in every summary (summaries are never
 * mutated; censoring copies).
 */
const linkCache = new WeakMap<Report, Map<string, ApiParent>[]>();

function parentLinks(report: Report): Map<string, ApiParent>[] {
  let links = linkCache.get(report);
  if (links === undefined) {
    links = PARENT_ORDER.map(() => new Map<string, ApiParent>());
    linkCache.set(report, links);
  }
  return links;
}

/** Parent links, in Scope's fixed topology order; the node itself is skipped. */
export function parentsOf(report: Report, n: RNode): ApiParent[] {
  if (n.parents.size === 0) return [];
  const out: ApiParent[] = [];
  const links = parentLinks(report);
  for (let i = 0; i < PARENT_ORDER.length; i++) {
    const topology = PARENT_ORDER[i]!;
    const ids = n.parents.get(topology);
    if (ids === undefined) continue;
    const known = links[i]!;
    for (const id of ids) {
      if (id === n.id) continue;
      let link = known.get(id);
      if (link === undefined) {
        link = { id, label: parentLabel(topology, id, report.topologies[topology].nodes.get(id)), topologyId: PRIMARY_API_TOPOLOGY[topology]! };
        known.set(id, link);
      }
      out.push(link);
    }
  }
  return out;
}
