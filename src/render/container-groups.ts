/**
 * Containers grouped (app §3.4): by DNS hostname, by image name, and — beyond Scope — by Docker
 * Compose service.
 */
import { makeContainerImageNodeId } from '../report/ids.js';
import type { Report } from '../report/types.js';
import { renderContainers } from './containers.js';
import { imageNameWithoutVersion } from './names.js';
import { filterNodes } from './filters.js';
import { Join } from './join.js';
import { memo, select } from './memo.js';
import { makeGroupNodeTopology } from './pseudo.js';
import { EMPTY_RESULT, PSEUDO, makeRNode, type RenderResult, type RNode } from './rnode.js';

/** Drops non-pseudo nodes without any container child (Scope's `FilterEmpty(container)`). */
function filterWithoutContainers(input: RenderResult): RenderResult {
  return filterNodes(input, (n) => (n.counters?.get('container') ?? 0) > 0, true);
}

/** Groups containers by `key(container)` into group nodes of `topology`; pseudo nodes pass through. */
function groupContainers(report: Report, topology: string, key: (c: RNode) => string | undefined): RenderResult {
  const input = renderContainers(report);
  const join = new Join();
  const create = (id: string): RNode => makeRNode(id, topology);
  for (const n of input.nodes.values()) {
    if (n.topology === PSEUDO) {
      join.passThrough(n);
      continue;
    }
    const id = key(n);
    if (id === undefined || id === '') continue;
    join.addChild(n, id, create, true);
  }
  return filterWithoutContainers(join.result(input.nodes.values()));
}

export const HOSTNAME_GROUP_TOPOLOGY = makeGroupNodeTopology('container', 'docker_container_hostname');

/** `containers-by-hostname`: one group per `docker_container_hostname` (id = the hostname). */
export function renderContainersByHostname(report: Report): RenderResult {
  return memo(report, 'containers-by-hostname', (r) =>
    groupContainers(r, HOSTNAME_GROUP_TOPOLOGY, (c) => c.latest.get('docker_container_hostname')?.value),
  );
}

/**
 * Group topology of `containers-by-service` (an OpenScope addition): containers grouped by their
 * Docker Compose labels. Node id `<project>;<service>`; summaries label it `<service> (<project>)`
 * with the project as rank (so one project's services share a colour). Containers without both
 * Compose labels are not shown in this view.
 */
export const COMPOSE_GROUP_TOPOLOGY = makeGroupNodeTopology('container', 'compose_service');
export const COMPOSE_PROJECT_LABEL = 'docker_label_com.docker.compose.project';
export const COMPOSE_SERVICE_LABEL = 'docker_label_com.docker.compose.service';

/** Whether any container carries Compose labels (the view renders nothing otherwise, so it hides). */
function hasCompose(report: Report): boolean {
  for (const n of report.topologies.container.nodes.values()) if (n.latest.has(COMPOSE_SERVICE_LABEL)) return true;
  return false;
}

/** `containers-by-service`: one group per Compose (project, service). */
export function renderContainersByService(report: Report): RenderResult {
  return memo(report, 'containers-by-service', (r) =>
    !hasCompose(r) ? EMPTY_RESULT : groupContainers(r, COMPOSE_GROUP_TOPOLOGY, (c) => {
      const project = c.latest.get(COMPOSE_PROJECT_LABEL)?.value;
      const service = c.latest.get(COMPOSE_SERVICE_LABEL)?.value;
      return project === undefined || service === undefined || service === '' ? undefined : `${project};${service}`;
    }),
  );
}

/** `{ project, service }` of a `containers-by-service` node id. */
export function parseComposeGroupId(id: string): { project: string; service: string } {
  const i = id.indexOf(';');
  return i < 0 ? { project: '', service: id } : { project: id.slice(0, i), service: id.slice(i + 1) };
}

/**
 * `containers-by-image`: containers (with their children) under their image node, image nodes
 * re-keyed by image name without tag (so tags and registries merge), images without containers
 * dropped.
 */
export function renderContainersByImage(report: Report): RenderResult {
  return memo(report, 'containers-by-image', (r) => {
    // Step 1: containers under `<image id>;<container_image>`, starting from all image nodes.
    const containers = renderContainers(r);
    const byId = new Join().seed(select(r, 'container_image').nodes.values());
    const createImage = (id: string): RNode => makeRNode(id, 'container_image');
    for (const n of containers.nodes.values()) {
      if (n.topology === PSEUDO) {
        byId.passThrough(n);
        continue;
      }
      const imageId = n.latest.get('docker_image_id')?.value;
      if (imageId === undefined) continue;
      byId.addChild(n, makeContainerImageNodeId(imageId), createImage, true);
    }
    const step1 = byId.result(containers.nodes.values());

    // Step 2: re-key by name; images without a name are dropped; same names merge.
    const byName = new Join();
    for (const n of step1.nodes.values()) {
      if (n.topology === PSEUDO) {
        byName.passThrough(n);
        continue;
      }
      const name = n.latest.get('docker_image_name')?.value;
      if (name === undefined) continue;
      const id = makeContainerImageNodeId(imageNameWithoutVersion(name));
      byName.passThroughAs(n, id);
    }
    return filterWithoutContainers(byName.result(step1.nodes.values()));
  });
}
