/**
 * Process views (app §3.4): endpoints joined to processes by (host, pid), and processes grouped
 * by name.
 */
import { makeProcessNodeId } from '../report/ids.js';
import type { Report } from '../report/types.js';
import { colorConnected } from './connected.js';
import { extractHostId, mapEndpoints } from './endpoints.js';
import { Join } from './join.js';
import { memo, select, selectOwned } from './memo.js';
import { makeGroupNodeTopology } from './pseudo.js';
import { EMPTY_RESULT, PSEUDO, makeRNode, type RenderResult, type RNode } from './rnode.js';

/**
 * Whether an endpoint has edges to two or more different logical endpoints (targets canonicalised
 * through `copy_of`): its pid cannot be trusted for all of them (source-port reuse), so such
 * endpoints are dropped rather than drawn as bogus process edges.
 */
function hasMoreThanOneConnection(n: RNode, endpoints: ReadonlyMap<string, RNode>): boolean {
  if (n.adjacency.size < 2) return false;
  let first: string | undefined;
  for (let id of n.adjacency) {
    const copyOf = endpoints.get(id)?.latest.get('copy_of')?.value;
    if (copyOf !== undefined) id = copyOf;
    if (first === undefined) first = id;
    else if (first !== id) return true;
  }
  return false;
}

/** Processes with their connections and Internet pseudo nodes (Scope's `ProcessRenderer`). */
export function renderProcessesBase(report: Report): RenderResult {
  return memo(report, 'processes-base', (r) => {
    if (r.topologies.process.nodes.size === 0) return EMPTY_RESULT;
    const endpoints = select(r, 'endpoint').nodes;
    return mapEndpoints(r, 'process', (ep) => {
      const pid = ep.latest.get('pid')?.value;
      if (pid === undefined) return undefined;
      if (hasMoreThanOneConnection(ep, endpoints)) return undefined;
      const hostId = extractHostId(ep);
      if (hostId === '') return undefined;
      return makeProcessNodeId(hostId, pid);
    }, selectOwned(r, 'process'));
  });
}

/** The `processes` view before option filters: processes marked `is_connected`. */
export function renderProcesses(report: Report): RenderResult {
  return memo(report, 'processes', (r) => colorConnected(renderProcessesBase(r)));
}

const PROCESS_NAME_TOPOLOGY = makeGroupNodeTopology('process', 'name');

/** The `processes-by-name` view: one group node per process name (id = the name). */
export function renderProcessesByName(report: Report): RenderResult {
  return memo(report, 'processes-by-name', (r) => {
    const input = renderProcessesBase(r);
    if (input.nodes.size === 0) return EMPTY_RESULT;
    const join = new Join();
    const create = (id: string): RNode => makeRNode(id, PROCESS_NAME_TOPOLOGY);
    for (const n of input.nodes.values()) {
      if (n.topology === PSEUDO) {
        join.passThrough(n);
        continue;
      }
      const name = n.latest.get('name')?.value;
      if (name === undefined) continue;
      join.addChild(n, name, create, true);
    }
    return colorConnected(join.result(input.nodes.values()));
  });
}
