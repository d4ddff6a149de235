/**
 * MapEndpoints (app §3.3): attach endpoints (and so connections) to the nodes of one report
 * topology, or to Internet / known-service pseudo nodes for external addresses.
 */
import type { Report, TopologyName } from '../report/types.js';
import { externalNodeId, localNetworks } from './internet.js';
import { Join } from './join.js';
import { select } from './memo.js';
import { newPseudoNode } from './pseudo.js';
import { makeRNode, type RenderResult, type RNode } from './rnode.js';

/**
 * All nodes of `topology`, plus every endpoint as a child of the node `f` names for it (or of a
 * pseudo node when it has no `host_node_id` and is external); endpoint edges become edges between
 * their owners. Endpoints `f` cannot place are dropped with their edges. `owned`: the topology's
 * nodes (`selectOwned`) in a map the join may use as its own, instead of a copy of `select`'s.
 */
export function mapEndpoints(
  report: Report,
  topology: TopologyName,
  f: (endpoint: RNode) => string | undefined,
  owned?: Map<string, RNode>,
): RenderResult {
  const local = localNetworks(report);
  const endpoints = select(report, 'endpoint').nodes;
  const join = owned === undefined ? new Join().seed(select(report, topology).nodes.values()) : new Join().adopt(owned);
  const create = (id: string): RNode => makeRNode(id, topology);
  for (const ep of endpoints.values()) {
    if (!ep.latest.has('host_node_id')) {
      const pseudoId = externalNodeId(report, ep, local);
      if (pseudoId !== undefined) {
        join.addChild(ep, pseudoId, newPseudoNode);
        continue;
      }
    }
    const id = f(ep);
    if (id !== undefined && id !== '') join.addChild(ep, id, create);
  }
  return join.result(endpoints.values());
}

/** The host id (`vm`) of a node's `host_node_id` (`vm;<host>`), or '' (Scope's `ExtractHostID`). */
export function extractHostId(n: RNode): string {
  const hostNodeId = n.latest.get('host_node_id')?.value;
  if (hostNodeId === undefined) return '';
  const i = hostNodeId.indexOf(';');
  return i < 0 ? hostNodeId : hostNodeId.slice(0, i);
}
