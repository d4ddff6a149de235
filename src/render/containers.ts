/**
 * The container view (app §3.4): processes mapped onto their containers (or per-host Uncontained
 * pseudo nodes), joined with connections attributed by container IP, deleted containers dropped,
 * and image names copied in from image nodes.
 */
import { makeContainerImageNodeId, makeContainerNodeId, makeScopedEndpointNodeId, parseAddressNodeId, parseProcessNodeId } from '../report/ids.js';
import { formatIp, isLoopback, parseIp } from '../report/ip.js';
import type { LatestMap, Report, Sets } from '../report/types.js';
import { extractHostId, mapEndpoints } from './endpoints.js';
import { imageNameWithoutVersion } from './names.js';
import { filterNodes } from './filters.js';
import { memo, select } from './memo.js';
import { isUnreportedProcess, renderProcessesBase } from './processes.js';
import { UNCONTAINED_ID, makePseudoNodeId, newPseudoNode } from './pseudo.js';
import { PSEUDO, addChild, addCount, makeRNode, mergeRNodes, mergeRNodesOwned, rnodeOf, type RenderResult, type RNode } from './rnode.js';

/** The Uncontained node of process `n`'s host; it carries the host so summaries can show it. */
function createUncontained(id: string, n: RNode): RNode {
  const hostNodeId = n.latest.get('host_node_id');
  const pseudo = newPseudoNode(id);
  return hostNodeId === undefined ? pseudo : rnodeOf(pseudo, id, new Map([['host_node_id', hostNodeId]]), pseudo.parents, pseudo.adjacency, undefined);
}

/**
 * Output ids of processes-base nodes here, made once per container or host (rather than once per
 * process and per edge): a node's output is itself (pseudo), its container, or its host's
 * Uncontained node.
 */
class ContainerIds {
  private readonly byContainer = new Map<string, string>();
  private readonly byHost = new Map<string, string>();

  of(n: RNode): string {
    if (n.topology === PSEUDO) return n.id;
    const containerId = n.latest.get('docker_container_id')?.value;
    if (containerId !== undefined) {
      let id = this.byContainer.get(containerId);
      if (id === undefined) {
        id = makeContainerNodeId(containerId);
        this.byContainer.set(containerId, id);
      }
      return id;
    }
    // A process the report no longer holds (only its connections named its pid) has no
    // host_node_id: its host is the one in its id, as Scope's MapProcess2Container takes it.
    const hostId = n.latest.has('host_node_id') ? extractHostId(n) : (parseProcessNodeId(n.id)?.hostId ?? '');
    let id = this.byHost.get(hostId);
    if (id === undefined) {
      id = makePseudoNodeId(UNCONTAINED_ID, hostId);
      this.byHost.set(hostId, id);
    }
    return id;
  }
}

/** Ids of `input`'s unreported processes (isUnreportedProcess) with an endpoint owned by a container's address. */
function goneFromContainers(input: ReadonlyMap<string, RNode>, ownerOf: AddressOwner): Set<string> | undefined {
  let gone: Set<string> | undefined;
  for (const n of input.values()) {
    if (n.children === null || !isUnreportedProcess(n)) continue;
    for (const c of n.children.values()) {
      if (c.topology === 'endpoint' && ownerOf(c) !== undefined) {
        (gone ??= new Set()).add(n.id);
        break;
      }
    }
  }
  return gone;
}

/**
 * Process → its container, or the host's Uncontained pseudo node; pseudo nodes pass through
 * (Scope's join of processes onto containers). The node map is this function's own: its container
 * nodes (and their adjacency, children and counters) were made here, for renderContainersBase to
 * merge into.
 *
 * What a Join would do, without its input → output map: every input node has exactly one output,
 * looked up again for an edge's target (one lookup in the input per edge) instead of recorded for
 * every process (with hundreds of probes, tens of thousands of inserts into a large Map, for a few
 * thousand edges).
 */
function processesToContainers(report: Report, ownerOf: AddressOwner | undefined): Map<string, RNode> {
  const input = renderProcessesBase(report).nodes;
  const ids = new ContainerIds();
  const nodes = new Map<string, RNode>();
  // Processes gone from the report whose connections come from a container's address (a
  // short-lived `wget` in a container: the eBPF tracker names its pid, the process walk never
  // saw it): the address join gives their connections to that container; here they would make
  // a second, wrong source on the host's Uncontained node. Left out, with the edges to them.
  const gone = ownerOf === undefined ? undefined : goneFromContainers(input, ownerOf);
  // Inputs with edges and their outputs' ids, in input order (most processes have no edges).
  const sources: RNode[] = [];
  const sourceIds: string[] = [];
  for (const n of input.values()) {
    if (n.topology === PSEUDO) {
      const copy = rnodeOf(n, n.id, n.latest, n.parents, new Set(), n.connected);
      const existing = nodes.get(n.id);
      nodes.set(n.id, existing === undefined ? copy : mergeRNodes(existing, copy));
      if (n.adjacency.size > 0) {
        sources.push(n);
        sourceIds.push(n.id);
      }
      continue;
    }
    if (gone?.has(n.id) === true) continue;
    const id = ids.of(n);
    let out = nodes.get(id);
    if (out === undefined) {
      out = n.latest.has('docker_container_id') ? makeRNode(id, 'container') : createUncontained(id, n);
      nodes.set(id, out);
    }
    addChild(out, n, true);
    if (n.topology !== 'endpoint') addCount(out, n.topology);
    if (n.adjacency.size > 0) {
      sources.push(n);
      sourceIds.push(id);
    }
  }
  // Edges in input order, as Join.rewriteEdges adds them; targets outside the input vanish.
  for (let i = 0; i < sources.length; i++) {
    let out: RNode | undefined;
    for (const a of sources[i]!.adjacency) {
      const target = input.get(a);
      if (target === undefined || gone?.has(a) === true) continue;
      out ??= nodes.get(sourceIds[i]!)!;
      out.adjacency.add(ids.of(target));
    }
  }
  return nodes;
}

/** Scope's port-mapping pattern (IPv4 host addresses): `10.0.0.5:8080->80/tcp`. */
const PORT_MAPPING = /([0-9.]+):([0-9]+)->([0-9]+)\/tcp/;
/** Any host address, IPv6 included (`[2001:db8::5]:8080->80/tcp`, `2001:db8::5:8080->80/tcp`). */
const PORT_MAPPING_ANY = /^\[?([0-9A-Fa-f:.]+?)\]?:([0-9]+)->([0-9]+)\/tcp$/;

/** `[hostIp, hostPort]` of a port mapping; IPv6 host addresses are kept whole and canonical. */
function parsePortMapping(mapping: string): [string, string] | undefined {
  const any = PORT_MAPPING_ANY.exec(mapping);
  if (any !== null && any[1]!.includes(':')) {
    const ip = parseIp(any[1]!);
    if (ip !== undefined) return [formatIp(ip), any[2]!];
  }
  const m = PORT_MAPPING.exec(mapping);
  return m === null ? undefined : [m[1]!, m[2]!];
}

/** Join keys of a container: `<scope>;<ip>;` per non-loopback IP, `;<hostIP>;<hostPort>` per port mapping. */
function containerJoinKeys(n: RNode): string[] {
  if (n.latest.has('does_not_make_connections') || n.latest.has('docker_is_in_host_network')) return [];
  const keys: string[] = [];
  for (const addr of n.sets.get('docker_container_ips_with_scopes') ?? []) {
    const parts = parseAddressNodeId(addr);
    if (parts === undefined || isLoopback(parts.address)) continue;
    keys.push(makeScopedEndpointNodeId(parts.scope, parts.address, ''));
  }
  for (const mapping of n.sets.get('docker_container_ports') ?? []) {
    const hostPort = parsePortMapping(mapping);
    if (hostPort !== undefined) keys.push(makeScopedEndpointNodeId('', hostPort[0], hostPort[1]));
  }
  return keys;
}

const noOwner = (): undefined => undefined;

/** The node an endpoint belongs to by its address (ConnectionJoin's attribution), if any. */
type AddressOwner = (endpoint: RNode) => string | undefined;

/**
 * The owner lookup of ConnectionJoin for `topology`'s nodes, keyed by `keysOf`; undefined when no
 * node has a key. A key claimed by two nodes is ambiguous and never used.
 */
function addressOwners(report: Report, topology: 'container' | 'pod', keysOf: (n: RNode) => string[]): AddressOwner | undefined {
  const owners = new Map<string, string>(); // key → node id, '' when ambiguous
  for (const n of select(report, topology).nodes.values()) {
    for (const key of keysOf(n)) owners.set(key, owners.has(key) ? '' : n.id);
  }
  if (owners.size === 0) return undefined;
  return (ep) => {
    // The endpoint id is `<scope>;<address>;<port>` (parseEndpointNodeId): its keys are the id up
    // to the second `;` (address join) and the id itself (address and port), built without parsing.
    const first = ep.id.indexOf(';');
    const second = first < 0 ? -1 : ep.id.indexOf(';', first + 1);
    if (second < 0) return undefined;
    let id = owners.get(ep.id.slice(0, second + 1));
    if (id === undefined) id = owners.get(ep.id);
    return id === undefined || id === '' ? undefined : id;
  };
}

/** Scope's `ContainerRenderer`: containers with processes and connections, deleted ones dropped. */
export function renderContainersBase(report: Report): RenderResult {
  return memo(report, 'containers-base', (r) => {
    // Reduce of the two, merging into processesToContainers' own container nodes in place (same
    // nodes and order as reduce; their Sets and Maps are not copied once more).
    const ownerOf = addressOwners(r, 'container', containerJoinKeys);
    const nodes = processesToContainers(r, ownerOf);
    // Scope's ConnectionJoin: the containers plus the endpoints their addresses own.
    const byAddress = mapEndpoints(r, 'container', ownerOf ?? noOwner);
    for (const n of byAddress.nodes.values()) {
      const mine = nodes.get(n.id);
      if (mine === undefined) nodes.set(n.id, n);
      else nodes.set(n.id, mine.topology === 'container' ? mergeRNodesOwned(mine, n) : mergeRNodes(mine, n));
    }
    const merged: RenderResult = { nodes, filtered: byAddress.filtered };
    return filterNodes(merged, (n) => n.latest.get('docker_container_state')?.value !== 'deleted', true);
  });
}

const IMAGE_KEYS_TO_COPY = [
  'docker_image_name',
  'docker_image_tag',
  'docker_image_size',
  'docker_image_virtual_size',
  'docker_image_label_works.weave.role',
];

/**
 * The `containers` view before option filters: image name, tag and sizes copied from the image
 * node, and the image parent re-pointed to the name-based image id used by `containers-by-image`.
 */
export function renderContainers(report: Report): RenderResult {
  return memo(report, 'containers', (r) => {
    const input = renderContainersBase(r);
    const images = r.topologies.container_image.nodes;
    if (images.size === 0) return input;
    const nodes = new Map<string, RNode>();
    for (const [id, c] of input.nodes) {
      const imageId = c.latest.get('docker_image_id')?.value;
      const image = imageId === undefined ? undefined : images.get(makeContainerImageNodeId(imageId));
      if (image === undefined) {
        nodes.set(id, c);
        continue;
      }
      const latest: LatestMap = new Map(c.latest);
      for (const key of IMAGE_KEYS_TO_COPY) {
        const entry = image.latest.get(key);
        if (entry !== undefined) latest.set(key, entry);
      }
      let parents: Sets = c.parents;
      const imageName = image.latest.get('docker_image_name')?.value;
      if (imageName !== undefined) {
        parents = new Map(c.parents);
        parents.set('container_image', [makeContainerImageNodeId(imageNameWithoutVersion(imageName))]);
      }
      nodes.set(id, rnodeOf(c, c.id, latest, parents, c.adjacency, c.connected));
    }
    return { nodes, filtered: input.filtered };
  });
}
