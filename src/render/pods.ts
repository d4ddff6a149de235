/**
 * Kubernetes views (app §3.4): pods (with storage), services and controllers.
 */
import { makeScopedEndpointNodeId, parseEndpointNodeId } from '../report/ids.js';
import type { Report, Sets, TopologyName } from '../report/types.js';
import { renderContainers } from './containers.js';
import { extractHostId } from './endpoints.js';
import { filterNodes, isPauseImageName, isRunning } from './filters.js';
import { externalNodeId, localNetworks } from './internet.js';
import { Join, reduce } from './join.js';
import { memo, select } from './memo.js';
import { UNCONTAINED_ID, UNMANAGED_ID, makePseudoNodeId, newPseudoNode, parsePseudoNodeId } from './pseudo.js';
import { EMPTY_RESULT, PSEUDO, makeRNode, ownCopy, type RenderResult, type RNode } from './rnode.js';

const KUBERNETES_TOPOLOGIES: readonly TopologyName[] = [
  'pod',
  'service',
  'deployment',
  'daemon_set',
  'stateful_set',
  'cron_job',
  'persistent_volume',
  'persistent_volume_claim',
  'storage_class',
  'job',
];

/** Whether the report has any Kubernetes object (the pod views render nothing otherwise). */
export function hasKubernetes(report: Report): boolean {
  return KUBERNETES_TOPOLOGIES.some((t) => report.topologies[t].nodes.size > 0);
}

/** Host id of a node: its `host_node_id`, else its first `host` parent. */
function hostIdOf(n: RNode): string {
  const fromLatest = extractHostId(n);
  if (fromLatest !== '') return fromLatest;
  const parent = n.parents.get('host')?.[0];
  if (parent === undefined) return '';
  const i = parent.indexOf(';');
  return i < 0 ? parent : parent.slice(0, i);
}

/**
 * Map2Parent: each node becomes a child (with its children) of every parent it has in
 * `topologies`; nodes without such parents go to `pseudo:unmanaged:<host>` when `unmanaged`, else
 * are dropped. Uncontained pseudo nodes become Unmanaged ones (with `unmanaged`); other pseudo
 * nodes pass through.
 */
export function mapToParents(input: RenderResult, topologies: readonly TopologyName[], unmanaged: boolean): Join {
  const join = new Join();
  for (const n of input.nodes.values()) {
    if (n.topology === PSEUDO) {
      const { body } = parsePseudoNodeId(n.id);
      if (unmanaged && body.startsWith(`${UNCONTAINED_ID}:`)) {
        const host = body.slice(UNCONTAINED_ID.length + 1);
        join.addChild(n, makePseudoNodeId(UNMANAGED_ID, host), newPseudoNode, true);
      } else {
        join.passThrough(n);
      }
      continue;
    }
    let mapped = false;
    for (const t of topologies) {
      for (const parentId of n.parents.get(t) ?? []) {
        join.addChild(n, parentId, (id) => makeRNode(id, t), true);
        mapped = true;
      }
    }
    if (!mapped && unmanaged) {
      join.addChild(n, makePseudoNodeId(UNMANAGED_ID, hostIdOf(n)), newPseudoNode, true);
    }
  }
  return join;
}

/** PropagateSingleMetrics: a node with exactly one (connection-making) child of `topology` shows its metrics. */
function propagateSingleMetrics(input: RenderResult, topology: string): RenderResult {
  const nodes = new Map<string, RNode>();
  for (const [id, n] of input.nodes) {
    let only: RNode | undefined;
    let count = 0;
    for (const c of n.children?.values() ?? []) {
      if (c.topology !== topology || c.latest.has('does_not_make_connections')) continue;
      only = c;
      count++;
    }
    nodes.set(id, count === 1 && only !== undefined ? { ...n, metrics: only.metrics } : n);
  }
  return { nodes, filtered: input.filtered };
}

/** Pods get the host parents of their first container child when they have none. */
function propagateHost(input: RenderResult): RenderResult {
  const nodes = new Map<string, RNode>();
  for (const [id, n] of input.nodes) {
    if (n.topology !== 'pod' || n.parents.has('host')) {
      nodes.set(id, n);
      continue;
    }
    let hosts: readonly string[] | undefined;
    for (const c of n.children?.values() ?? []) {
      if (c.topology === 'container' && c.parents.has('host')) {
        hosts = c.parents.get('host');
        break;
      }
    }
    if (hosts === undefined) nodes.set(id, n);
    else {
      const parents: Sets = new Map(n.parents);
      parents.set('host', hosts);
      nodes.set(id, { ...n, parents });
    }
  }
  return { nodes, filtered: input.filtered };
}

/** Edges between storage objects and from pods to their claims (§3.4 pods, step 3). */
function storageEdges(report: Report): RenderResult {
  const join = new Join();
  const byName = (t: TopologyName): Map<string, string[]> => {
    const m = new Map<string, string[]>();
    for (const [id, n] of report.topologies[t].nodes) {
      const name = n.latest.get('kubernetes_name')?.value;
      if (name === undefined) continue;
      const ns = n.latest.get('kubernetes_namespace')?.value ?? '';
      for (const key of [name, `${ns}/${name}`]) m.set(key, [...(m.get(key) ?? []), id]);
    }
    return m;
  };
  const pvs = byName('persistent_volume');
  const pvcs = byName('persistent_volume_claim');
  const snapshots = byName('volume_snapshot');
  const snapshotData = byName('volume_snapshot_data');
  const link = (t: TopologyName, targetsOf: (n: RNode) => string[]): void => {
    for (const n of select(report, t).nodes.values()) {
      const targets = targetsOf(n);
      if (targets.length === 0) {
        join.put(n);
        continue;
      }
      const copy: RNode = { ...n, adjacency: new Set([...n.adjacency, ...targets]) };
      join.put(copy);
    }
  };
  const value = (n: RNode, key: string): string | undefined => n.latest.get(key)?.value;
  link('persistent_volume_claim', (n) => pvs.get(value(n, 'kubernetes_volume_name') ?? '') ?? []);
  link('storage_class', (n) => {
    const name = value(n, 'kubernetes_name');
    const out: string[] = [];
    for (const [id, pvc] of report.topologies.persistent_volume_claim.nodes) {
      if (name !== undefined && pvc.latest.get('kubernetes_storage_class_name')?.value === name) out.push(id);
    }
    return out;
  });
  link('persistent_volume', (n) => snapshots.get(value(n, 'kubernetes_name') ?? '\0') ?? []);
  // The report format's key is misspelled (sic).
  link('volume_snapshot', (n) => snapshotData.get(value(n, 'kuberneets_snapshot_data') ?? '\0') ?? []);
  link('volume_snapshot_data', () => []);
  // Pods → claims in their namespace.
  const podClaims = new Map<string, string[]>();
  for (const n of select(report, 'pod').nodes.values()) {
    const claims = value(n, 'kubernetes_volume_claim');
    if (claims === undefined || claims === '') continue;
    const ns = value(n, 'kubernetes_namespace') ?? '';
    const targets: string[] = [];
    for (const claim of claims.split(';')) targets.push(...(pvcs.get(`${ns}/${claim}`) ?? []));
    if (targets.length > 0) podClaims.set(n.id, targets);
  }
  for (const [podId, targets] of podClaims) {
    const pod = makeRNode(podId, 'pod');
    for (const t of targets) pod.adjacency.add(t);
    join.put(pod);
  }
  return { nodes: join.nodes, filtered: 0 };
}

/** The `;<ip>;` join key of a pod (none for host-network pods: their IP is the node's). */
function podIpKey(n: RNode): string | undefined {
  if (n.latest.has('kubernetes_is_in_host_network')) return undefined;
  const ip = n.latest.get('kubernetes_ip')?.value;
  return ip === undefined || ip === '' ? undefined : makeScopedEndpointNodeId('', ip, '');
}

/** The `;<clusterIP>;` join key of a Service (none for headless services). */
function serviceIpKey(n: RNode): string | undefined {
  const ip = n.latest.get('kubernetes_ip')?.value;
  return ip === undefined || ip === '' || ip === 'None' ? undefined : makeScopedEndpointNodeId('', ip, '');
}

/**
 * ConnectionJoin by IP over pods and, beyond Scope, Service cluster IPs (app §3.4 pods, step 2).
 * Scope saw a connection to a ClusterIP only when conntrack had recorded the NAT to a pod IP; a
 * probe without conntrack (or a connection that kube-proxy's NAT hid) left it dangling and it was
 * dropped. Here an endpoint whose address is a Service's cluster IP (and no pod's IP) maps to that
 * Service, which therefore appears in the pods view as `client pod → service`, with an edge from
 * the service to each pod backing it (the pods with that `service` parent). Only services something
 * connects to appear. All pods are present, as in Scope.
 */
function podAndServiceIpJoin(report: Report): RenderResult {
  const pods = select(report, 'pod').nodes;
  const services = select(report, 'service').nodes;
  const owners = new Map<string, RNode | null>(); // key → owner, null when ambiguous
  const claim = (key: string | undefined, n: RNode): void => {
    if (key !== undefined) owners.set(key, owners.has(key) ? null : n);
  };
  for (const n of pods.values()) claim(podIpKey(n), n);
  for (const n of services.values()) {
    const key = serviceIpKey(n);
    if (key !== undefined && !owners.has(key)) claim(key, n);
  }
  const local = localNetworks(report);
  const endpoints = select(report, 'endpoint').nodes;
  const join = new Join().seed(pods.values());
  for (const ep of endpoints.values()) {
    if (!ep.latest.has('host_node_id')) {
      const pseudoId = externalNodeId(report, ep, local);
      if (pseudoId !== undefined) {
        join.addChild(ep, pseudoId, newPseudoNode);
        continue;
      }
    }
    const parts = parseEndpointNodeId(ep.id);
    if (parts === undefined) continue;
    const owner = owners.get(makeScopedEndpointNodeId(parts.scope, parts.address, '')) ?? owners.get(makeScopedEndpointNodeId(parts.scope, parts.address, parts.port));
    if (owner === undefined || owner === null) continue;
    // A service node is created from a copy of the report's node: the join mutates what it owns.
    join.addChild(ep, owner.id, () => ({ ...ownCopy(owner), adjacency: new Set<string>() }));
  }
  const result = join.result(endpoints.values());
  if (services.size === 0) return result;
  // Service → the pods it selects.
  const backends = new Map<string, string[]>();
  for (const p of pods.values()) {
    for (const svcId of p.parents.get('service') ?? []) backends.set(svcId, [...(backends.get(svcId) ?? []), p.id]);
  }
  const nodes = new Map(result.nodes);
  for (const [id, n] of nodes) {
    if (n.topology !== 'service') continue;
    const targets = backends.get(id);
    if (targets === undefined) continue;
    const adjacency = new Set(n.adjacency);
    for (const t of targets) if (t !== id) adjacency.add(t);
    // Its pods are its edges here, not its children: count them for the "N pods" label.
    const counters = new Map(n.counters ?? []);
    counters.set('pod', targets.length);
    nodes.set(id, { ...n, adjacency, counters });
  }
  return { nodes, filtered: result.filtered };
}

/**
 * The pods view without its Service nodes: `x → service → backing pods` becomes `x → each backing
 * pod`, so that views built from pods (services, controllers) see the connection between the pods'
 * owners rather than a Service node they cannot place.
 */
function collapseServiceNodes(input: RenderResult): RenderResult {
  const viaService = new Map<string, ReadonlySet<string>>();
  for (const [id, n] of input.nodes) if (n.topology === 'service') viaService.set(id, n.adjacency);
  if (viaService.size === 0) return input;
  const nodes = new Map<string, RNode>();
  for (const [id, n] of input.nodes) {
    if (viaService.has(id)) continue;
    let rewired = false;
    for (const a of n.adjacency) {
      if (viaService.has(a)) {
        rewired = true;
        break;
      }
    }
    if (!rewired) {
      nodes.set(id, n);
      continue;
    }
    const adjacency = new Set<string>();
    for (const a of n.adjacency) {
      const through = viaService.get(a);
      if (through === undefined) adjacency.add(a);
      else for (const b of through) if (b !== id) adjacency.add(b);
    }
    nodes.set(id, { ...n, adjacency });
  }
  return { nodes, filtered: input.filtered };
}

/** The pods view as the services and controllers views consume it (memoised per report). */
function renderPodsWithoutServices(report: Report): RenderResult {
  return memo(report, 'pods-without-services', (r) => collapseServiceNodes(renderPodsBase(r)));
}

/** Scope's `PodRenderer`: pods with their containers, connections and storage. */
export function renderPodsBase(report: Report): RenderResult {
  return memo(report, 'pods-base', (r) => {
    if (!hasKubernetes(r)) return EMPTY_RESULT;
    const containers = renderContainers(r);
    const running = filterNodes(
      containers,
      (n) => isRunning(n) && !isPauseImageName(n.latest.get('docker_image_name')?.value ?? ''),
      true,
    );
    const join = mapToParents(running, ['pod'], true);
    const containersToPods = propagateSingleMetrics(propagateHost(join.result(running.nodes.values())), 'container');
    const podIps = podAndServiceIpJoin(r);
    const merged = reduce([containersToPods, podIps, storageEdges(r)]);
    return filterNodes(
      merged,
      (n) => {
        const state = n.latest.get('kubernetes_state')?.value;
        return state !== 'deleted' && state !== 'Failed';
      },
      true,
    );
  });
}

/** `services` view: pods under every Service they belong to, plus all Service nodes. */
export function renderServices(report: Report): RenderResult {
  return memo(report, 'services', (r) => {
    const pods = renderPodsWithoutServices(r);
    const join = mapToParents(pods, ['service'], false);
    const mapped = propagateSingleMetrics(join.result(pods.nodes.values()), 'pod');
    return reduce([select(r, 'service'), mapped]);
  });
}

const CONTROLLER_TOPOLOGIES: readonly TopologyName[] = ['deployment', 'daemon_set', 'stateful_set', 'cron_job', 'job'];

/** `kube-controllers` view: pods under their deployment/daemonset/statefulset/cronjob/job, or Unmanaged. */
export function renderControllers(report: Report): RenderResult {
  return memo(report, 'kube-controllers', (r) => {
    const pods = renderPodsWithoutServices(r);
    const join = mapToParents(pods, CONTROLLER_TOPOLOGIES, true);
    const mapped = propagateSingleMetrics(join.result(pods.nodes.values()), 'pod');
    return reduce([...CONTROLLER_TOPOLOGIES.map((t) => select(r, t)), mapped]);
  });
}
