/**
 * The less common views (app §3.4): ECS tasks and services, Swarm services, Weave peers.
 */
import { parseOverlayNodeId } from '../report/ids.js';
import type { Report } from '../report/types.js';
import { renderContainers } from './containers.js';
import { filterNodes, isRunning } from './filters.js';
import { Join, reduce } from './join.js';
import { memo, select } from './memo.js';
import { mapToParents } from './pods.js';
import { UNMANAGED_ID, makePseudoNodeId, newPseudoNode } from './pseudo.js';
import { EMPTY_RESULT, type RenderResult } from './rnode.js';

function runningContainers(report: Report): RenderResult {
  return memo(report, 'running-containers', (r) => filterNodes(renderContainers(r), isRunning, true));
}

function hasEcs(report: Report): boolean {
  return report.topologies.ecs_task.nodes.size > 0 || report.topologies.ecs_service.nodes.size > 0;
}

export function renderEcsTasks(report: Report): RenderResult {
  return memo(report, 'ecs-tasks', (r) => {
    if (!hasEcs(r)) return EMPTY_RESULT;
    const containers = runningContainers(r);
    const mapped = mapToParents(containers, ['ecs_task'], true).result(containers.nodes.values());
    return reduce([select(r, 'ecs_task'), mapped]);
  });
}

export function renderEcsServices(report: Report): RenderResult {
  return memo(report, 'ecs-services', (r) => {
    if (!hasEcs(r)) return EMPTY_RESULT;
    const tasks = renderEcsTasks(r);
    const mapped = mapToParents(tasks, ['ecs_service'], false).result(tasks.nodes.values());
    return reduce([select(r, 'ecs_service'), mapped]);
  });
}

export function renderSwarmServices(report: Report): RenderResult {
  return memo(report, 'swarm-services', (r) => {
    if (r.topologies.swarm_service.nodes.size === 0) return EMPTY_RESULT;
    const containers = runningContainers(r);
    const mapped = mapToParents(containers, ['swarm_service'], true).result(containers.nodes.values());
    return reduce([select(r, 'swarm_service'), mapped]);
  });
}

/** Weave peers (not Docker overlay peers); peers no local probe monitors become Unmanaged. */
export function renderWeave(report: Report): RenderResult {
  return memo(report, 'weave', (r) => {
    const input = select(r, 'overlay');
    const join = new Join();
    for (const n of input.nodes.values()) {
      const parsed = parseOverlayNodeId(n.id);
      if (parsed === undefined || parsed.prefix !== '') continue;
      if (n.latest.has('host_node_id')) {
        join.passThrough(n);
        continue;
      }
      const nick = n.latest.get('weave_peer_nick_name')?.value ?? parsed.peerName;
      join.addChild(n, makePseudoNodeId(UNMANAGED_ID, nick), newPseudoNode);
    }
    return join.result(input.nodes.values());
  });
}
