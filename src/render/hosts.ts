/**
 * The hosts view (app §3.4): processes, containers, images and pods mapped onto their hosts
 * through `host` parents, plus endpoints by `host_node_id` (which also creates the Internet nodes).
 */
import type { Report } from '../report/types.js';
import { renderContainersByImage } from './container-groups.js';
import { renderContainersBase } from './containers.js';
import { mapEndpoints } from './endpoints.js';
import { Join, reduce } from './join.js';
import { memo } from './memo.js';
import { renderPodsBase } from './pods.js';
import { renderProcessesBase } from './processes.js';
import { PSEUDO, makeRNode, type RenderResult, type RNode } from './rnode.js';

const createHost = (id: string): RNode => makeRNode(id, 'host');

/** Maps every non-pseudo node onto each of its `host` parents. */
function nodesToHosts(input: RenderResult): RenderResult {
  const join = new Join();
  for (const n of input.nodes.values()) {
    if (n.topology === PSEUDO) continue; // the endpoint mapping makes the host view's pseudo nodes
    const hostIds = n.parents.get('host');
    if (hostIds === undefined) continue;
    for (const hostId of hostIds) join.addChild(n, hostId, createHost);
  }
  // An image spans hosts: mapping its edges would invent host-to-host edges, so images keep none.
  const withEdges: RNode[] = [];
  for (const n of input.nodes.values()) if (n.topology !== 'container_image') withEdges.push(n);
  return join.result(withEdges);
}

export function renderHosts(report: Report): RenderResult {
  return memo(report, 'hosts', (r) =>
    reduce([
      nodesToHosts(renderProcessesBase(r)),
      nodesToHosts(renderContainersBase(r)),
      nodesToHosts(renderContainersByImage(r)),
      nodesToHosts(renderPodsBase(r)),
      mapEndpoints(r, 'host', (ep) => ep.latest.get('host_node_id')?.value),
    ]),
  );
}
