/**
 * Process views (app §3.4): endpoints joined to processes by (host, pid), and processes grouped
 * by name.
 */
import { makeProcessNodeId, parseProcessNodeId } from '../report/ids.js';
import type { Report } from '../report/types.js';
import { colorConnected } from './connected.js';
import { extractHostId, mapEndpoints } from './endpoints.js';
import { Join } from './join.js';
import { memo, select, selectOwned } from './memo.js';
import { SHORT_LIVED_ID, makeGroupNodeTopology, makePseudoNodeId, newPseudoNode } from './pseudo.js';
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

/**
 * Whether `n` (of renderProcessesBase) is a process the report does not hold: made from endpoints
 * naming a pid the process walk never saw (a short-lived `wget`), so without a `pid` of its own,
 * which every reported process has.
 */
export function isUnreportedProcess(n: RNode): boolean {
  return n.topology === 'process' && !n.latest.has('pid');
}

/**
 * The unreported processes of `input` (isUnreportedProcess) merged into their host's Short-lived
 * processes pseudo node, edges included; the rest unchanged. Without it a 1-s `wget` loop gives
 * its server no edge at all (summaries drop processes without a pid).
 */
function withShortLived(input: RenderResult): RenderResult {
  let any = false;
  for (const n of input.nodes.values()) {
    if (isUnreportedProcess(n)) {
      any = true;
      break;
    }
  }
  if (!any) return input;
  const join = new Join();
  for (const n of input.nodes.values()) {
    if (!isUnreportedProcess(n)) join.passThrough(n);
    else join.addChild(n, makePseudoNodeId(SHORT_LIVED_ID, parseProcessNodeId(n.id)?.hostId ?? ''), newPseudoNode);
  }
  return join.result(input.nodes.values());
}

/** The process views' input: processes with their connections, short-lived ones per host. */
function renderProcessesShown(report: Report): RenderResult {
  return memo(report, 'processes-shown', (r) => withShortLived(renderProcessesBase(r)));
}

/** The `processes` view before option filters: processes marked `is_connected`. */
export function renderProcesses(report: Report): RenderResult {
  return memo(report, 'processes', (r) => colorConnected(renderProcessesShown(r)));
}

const PROCESS_NAME_TOPOLOGY = makeGroupNodeTopology('process', 'name');

/** The `processes-by-name` view: one group node per process name (id = the name). */
export function renderProcessesByName(report: Report): RenderResult {
  return memo(report, 'processes-by-name', (r) => {
    const input = renderProcessesShown(r);
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
