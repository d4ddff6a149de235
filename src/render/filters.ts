/**
 * Filters (app §1.15, §3.2, §3.5, §3.6): node predicates and the transforms that apply them.
 */
import { isConnected } from './connected.js';
import { isInternetNodeId, INCOMING_INTERNET_ID, OUTGOING_INTERNET_ID, SERVICE_NODE_ID_PREFIX, THE_INTERNET_SUFFIX } from './internet.js';
import { PSEUDO, withAdjacency, type RenderResult, type RNode } from './rnode.js';
import { isPauseImageName } from '../report/pause-images.js';

export type NodePredicate = (n: RNode) => boolean;

/**
 * Keeps the nodes passing `pred` (pseudo nodes always pass when `pseudoExempt`), counts the others
 * as filtered and cuts edges to nodes no longer present.
 */
export function filterNodes(input: RenderResult, pred: NodePredicate, pseudoExempt: boolean): RenderResult {
  // Most filters keep every node: find the first one removed before building a new map.
  const passes = (n: RNode): boolean => (pseudoExempt && n.topology === PSEUDO) || pred(n);
  let kept: Map<string, RNode> | undefined;
  let removed = 0;
  for (const [id, n] of input.nodes) {
    if (passes(n)) {
      kept?.set(id, n);
      continue;
    }
    removed++;
    if (kept !== undefined) continue;
    // The first removed node: keep the passing nodes before it (already tested), in order.
    kept = new Map<string, RNode>();
    for (const [keptId, m] of input.nodes) {
      if (keptId === id) break;
      kept.set(keptId, m);
    }
  }
  if (kept === undefined) return input;
  return { nodes: pruneEdges(kept), filtered: input.filtered + removed };
}

/** Replaces nodes whose adjacency points at absent nodes by copies without those edges. */
function pruneEdges(nodes: Map<string, RNode>): Map<string, RNode> {
  for (const [id, n] of nodes) {
    let dangling = false;
    for (const a of n.adjacency) {
      if (!nodes.has(a)) {
        dangling = true;
        break;
      }
    }
    if (!dangling) continue;
    const adjacency = new Set<string>();
    for (const a of n.adjacency) if (nodes.has(a)) adjacency.add(a);
    nodes.set(id, withAdjacency(n, adjacency));
  }
  return nodes;
}

/**
 * The base transform of every view (§1.15 step 6): drop the `in-theinternet → out-theinternet`
 * edge (a NAT/VIP artefact), then drop pseudo nodes with no edge to or from another node.
 */
export function removeUnconnectedPseudo(input: RenderResult): RenderResult {
  let nodes = input.nodes;
  const inNode = nodes.get(INCOMING_INTERNET_ID);
  if (inNode !== undefined && inNode.adjacency.has(OUTGOING_INTERNET_ID)) {
    const adjacency = new Set(inNode.adjacency);
    adjacency.delete(OUTGOING_INTERNET_ID);
    const copy = new Map(nodes);
    copy.set(INCOMING_INTERNET_ID, withAdjacency(inNode, adjacency));
    nodes = copy;
  }
  let hasPseudo = false;
  for (const n of nodes.values()) {
    if (n.topology === PSEUDO) {
      hasPseudo = true;
      break;
    }
  }
  if (!hasPseudo) return nodes === input.nodes ? input : { nodes, filtered: input.filtered };
  // Only pseudo nodes can go: note which of them have an edge to or from another node.
  const connected = new Set<string>();
  for (const [id, n] of nodes) {
    if (n.adjacency.size === 0) continue;
    const pseudo = n.topology === PSEUDO;
    for (const a of n.adjacency) {
      if (a === id) continue;
      if (pseudo) connected.add(id);
      // Targets known not to be pseudo need no mark (absent ones are marked, as before).
      const target = nodes.get(a);
      if (target === undefined || target.topology === PSEUDO) connected.add(a);
    }
  }
  return filterNodes({ nodes, filtered: input.filtered }, (n) => n.topology !== PSEUDO || connected.has(n.id), false);
}

// ---- predicates (§2.2, §3.6) ----

const SYSTEM_CONTAINER_NAMES = new Set(['weavescope', 'weavedns', 'weave', 'weaveproxy', 'weaveexec', 'ecs-agent']);
const SYSTEM_IMAGE_PREFIXES = new Set([
  'swarm',
  'weaveworks/scope',
  'weaveworks/weavedns',
  'weaveworks/weave',
  'weaveworks/weaveproxy',
  'weaveworks/weaveexec',
  'amazon/amazon-ecs-agent',
  'openshift/origin-pod',
  'docker.io/openshift/origin-pod',
]);

/** Kubernetes pause (sandbox) images (the list lives in report/ so the probe shares it). */
export { isPauseImageName };

const latestOf = (n: RNode, key: string): string => n.latest.get(key)?.value ?? '';

/** Application (not system) container; nodes without these keys count as application. */
export function isApplication(n: RNode): boolean {
  if (SYSTEM_CONTAINER_NAMES.has(latestOf(n, 'docker_container_name'))) return false;
  const imageName = latestOf(n, 'docker_image_name');
  const colon = imageName.indexOf(':');
  const imagePrefix = colon < 0 ? imageName : imageName.slice(0, colon);
  if (SYSTEM_IMAGE_PREFIXES.has(imagePrefix) || isPauseImageName(imagePrefix)) return false;
  if (latestOf(n, 'docker_label_io.kubernetes.docker.type') === 'podsandbox') return false;
  if (latestOf(n, 'docker_label_works.weave.role') === 'system') return false;
  if (latestOf(n, 'docker_image_label_works.weave.role') === 'system') return false;
  if (latestOf(n, 'docker_label_io.kubernetes.pod.namespace') === 'kube-system') return false;
  if (latestOf(n, 'docker_label_io.kubernetes.pod.name').startsWith('kube-system/')) return false;
  return true;
}

export const isSystem: NodePredicate = (n) => !isApplication(n);

/** Running container: state absent, `running`, `restarting` or `paused`. */
export function isRunning(n: RNode): boolean {
  const state = n.latest.get('docker_container_state')?.value;
  return state === undefined || state === 'running' || state === 'restarting' || state === 'paused';
}

export const isStopped: NodePredicate = (n) => !isRunning(n);

/** Not pseudo, except that the Internet and known-service nodes count as not pseudo. */
export function isNotPseudo(n: RNode): boolean {
  return n.topology !== PSEUDO || n.id.endsWith(THE_INTERNET_SUFFIX) || n.id.startsWith(SERVICE_NODE_ID_PREFIX);
}

export { isConnected, isInternetNodeId };

/** Sentinel namespace value matching nodes without any namespace (Swarm "No stack"). */
export const NO_STACK = 'No stack';

/** Whether a node belongs to namespace `ns` (Kubernetes namespace or Swarm stack). */
export function isNamespace(ns: string): NodePredicate {
  // Scope looks up the meaningless key `No stack` third (app §8 #15); we look up the Swarm
  // service's real `stack_namespace` key instead.
  return (n) => {
    let got = '';
    for (const key of [
      'kubernetes_namespace',
      'docker_label_io.kubernetes.pod.namespace',
      'stack_namespace',
      'docker_label_com.docker.stack.namespace',
    ]) {
      const v = n.latest.get(key)?.value;
      if (v !== undefined) {
        got = v;
        break;
      }
    }
    if (ns === NO_STACK && got === '') return true;
    return ns === got;
  };
}

/** Whether a node is of one of the given report topologies. */
export function isTopology(...topologies: string[]): NodePredicate {
  const set = new Set(topologies);
  return (n) => set.has(n.topology);
}
