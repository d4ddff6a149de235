/**
 * Node summaries (app §3.7, §4.1): label, labelMinor, rank, shape, stack, tag, metadata, metrics,
 * tables, parents and adjacency of a rendered node, in Scope's JSON shape.
 */
import { parseEndpointNodeId, parseOverlayNodeId, parseEcsServiceNodeId } from '../report/ids.js';
import { TOPOLOGIES, type Report, type Topology, type TopologyName } from '../report/types.js';
import type { NodeSummary } from './api-types.js';
import { COMPOSE_GROUP_TOPOLOGY, parseComposeGroupId } from './container-groups.js';
import { extractHostId } from './endpoints.js';
import { INCOMING_INTERNET_ID, OUTGOING_INTERNET_ID, SERVICE_NODE_ID_PREFIX } from './internet.js';
import { containerLabel, hostLabel, idPart, imageNameWithoutVersion } from './names.js';
import { parentsOf } from './parents.js';
import { SHORT_LIVED_ID, UNCONTAINED_ID, UNMANAGED_ID, parseGroupNodeTopology, parsePseudoNodeId } from './pseudo.js';
import { metadataRows, metricRows, tables } from './rows.js';
import { PSEUDO, type RNode } from './rnode.js';

const REPORT_TOPOLOGIES = new Set<string>(TOPOLOGIES.map((t) => t.name));

function reportTopology(report: Report, name: string): Topology | undefined {
  return REPORT_TOPOLOGIES.has(name) ? report.topologies[name as TopologyName] : undefined;
}

/** `"1 container"`, `"0 containers"`, `"2 containers"`. */
function pluralize(n: RNode, key: string, singular: string, plural: string): string {
  const c = n.counters?.get(key) ?? 0;
  return `${c} ${c === 1 ? singular : plural}`;
}

const value = (n: RNode, key: string): string | undefined => n.latest.get(key)?.value;

interface Labels {
  label: string;
  labelMinor: string;
  rank: string;
  stack?: boolean;
}

const CONTROLLER_TYPE: Readonly<Record<string, string>> = {
  deployment: 'Deployment',
  daemon_set: 'DaemonSet',
  stateful_set: 'StatefulSet',
  cron_job: 'CronJob',
  job: 'Job',
};

function kubernetesLabels(n: RNode): { label: string; rank: string } {
  const label = value(n, 'kubernetes_name') ?? idPart(n.id);
  return { label, rank: `${value(n, 'kubernetes_namespace') ?? ''}/${label}` };
}

/** Labels of a node of a report topology; undefined when Scope would not summarise it. */
function reportNodeLabels(n: RNode, topology: TopologyName): Labels | undefined {
  switch (topology) {
    case 'endpoint':
      return undefined; // never shown
    case 'process': {
      const pid = value(n, 'pid');
      if (pid === undefined) return undefined;
      const name = value(n, 'name');
      const hostId = extractHostId(n);
      const containerName = value(n, 'docker_container_name');
      if (name !== undefined) {
        const minor = containerName === undefined ? `${hostId} (${pid})` : `${hostId} (${containerName}:${pid})`;
        return { label: name, labelMinor: minor, rank: name };
      }
      return { label: pid, labelMinor: containerName === undefined ? hostId : `${hostId} (${containerName})`, rank: hostId };
    }
    case 'container': {
      const label = containerLabel(n.latest, n.id);
      const hostId = extractHostId(n);
      const image = value(n, 'docker_image_name');
      const rank = image !== undefined ? imageNameWithoutVersion(image) : hostId !== '' ? hostId : label;
      return { label, labelMinor: hostId, rank };
    }
    case 'container_image': {
      const name = value(n, 'docker_image_name');
      let label = name === undefined ? '' : imageNameWithoutVersion(name);
      if (label === '' || label === '<none>') label = name !== undefined && name !== '<none>' ? name : idPart(n.id);
      return { label, labelMinor: pluralize(n, 'container', 'container', 'containers'), rank: label, stack: true };
    }
    case 'host': {
      const hostname = value(n, 'host_name') ?? idPart(n.id);
      const dot = hostname.indexOf('.');
      const minor = dot < 0 ? '' : hostname.slice(dot + 1);
      return { label: hostLabel(hostname), labelMinor: minor, rank: minor };
    }
    case 'pod':
      return { ...kubernetesLabels(n), labelMinor: pluralize(n, 'container', 'container', 'containers') };
    case 'service':
      return { ...kubernetesLabels(n), labelMinor: pluralize(n, 'pod', 'pod', 'pods'), stack: true };
    case 'deployment':
    case 'daemon_set':
    case 'stateful_set':
    case 'cron_job':
    case 'job':
      return {
        ...kubernetesLabels(n),
        labelMinor: `${CONTROLLER_TYPE[topology]} of ${pluralize(n, 'pod', 'pod', 'pods')}`,
        stack: true,
      };
    case 'persistent_volume':
    case 'persistent_volume_claim':
    case 'storage_class':
    case 'volume_snapshot':
    case 'volume_snapshot_data':
      return { ...kubernetesLabels(n), labelMinor: '' };
    case 'ecs_task':
      return { label: value(n, 'ecs_task_family') ?? idPart(n.id), labelMinor: '', rank: '' };
    case 'ecs_service':
      return { label: parseEcsServiceNodeId(n.id)?.serviceName ?? n.id, labelMinor: '', rank: '', stack: true };
    case 'swarm_service':
      return { label: value(n, 'service_name') ?? idPart(n.id), labelMinor: '', rank: '' };
    case 'overlay': {
      const peer = parseOverlayNodeId(n.id)?.peerName ?? n.id;
      return { label: value(n, 'weave_peer_nick_name') ?? peer, labelMinor: peer, rank: '' };
    }
    default:
      return { label: n.id, labelMinor: '', rank: '' };
  }
}

function pseudoSummary(n: RNode): NodeSummary {
  const { body } = parsePseudoNodeId(n.id);
  const base = { id: n.id };
  let s: NodeSummary;
  if (n.id === INCOMING_INTERNET_ID || n.id === OUTGOING_INTERNET_ID) {
    const minor = n.id === INCOMING_INTERNET_ID ? 'Inbound connections' : 'Outbound connections';
    s = { ...base, label: 'The Internet', labelMinor: minor, rank: n.id, shape: 'cloud' };
  } else if (n.id.startsWith(SERVICE_NODE_ID_PREFIX)) {
    s = { ...base, label: n.id.slice(SERVICE_NODE_ID_PREFIX.length), labelMinor: '', rank: body, shape: 'cloud' };
  } else if (body.startsWith(`${SHORT_LIVED_ID}:`)) {
    s = { ...base, label: 'Short-lived processes', labelMinor: body.slice(SHORT_LIVED_ID.length + 1), rank: body, shape: 'square', stack: true };
  } else if (body.startsWith(`${UNCONTAINED_ID}:`) || body.startsWith(`${UNMANAGED_ID}:`)) {
    const uncontained = body.startsWith(`${UNCONTAINED_ID}:`);
    const minor = body.slice(body.indexOf(':') + 1);
    s = { ...base, label: uncontained ? 'Uncontained' : 'Unmanaged', labelMinor: minor, rank: body, shape: 'square', stack: true };
  } else {
    const ep = parseEndpointNodeId(n.id);
    s =
      ep !== undefined
        ? { ...base, label: ep.address, labelMinor: '', rank: body, shape: 'circle' }
        : { ...base, label: body, labelMinor: '', rank: body, shape: 'triangle' };
  }
  s.pseudo = true;
  return s;
}

function groupSummary(report: Report, n: RNode, underlying: string): NodeSummary {
  const t = reportTopology(report, underlying);
  const shape = t === undefined || t.shape === '' ? 'circle' : t.shape;
  const minor = t !== undefined && t.label !== '' ? pluralize(n, underlying, t.label, t.labelPlural) : '';
  if (n.topology === COMPOSE_GROUP_TOPOLOGY) {
    const { project, service } = parseComposeGroupId(n.id);
    return { id: n.id, label: `${service} (${project})`, labelMinor: minor, rank: project, shape, stack: true };
  }
  return { id: n.id, label: n.id, labelMinor: minor, rank: n.id, shape, stack: true };
}

/**
 * The summary of a rendered node, or undefined when Scope shows none (endpoints, unknown
 * topologies, processes without pid). `withSamples` keeps metric samples (node details only).
 */
export function summarize(report: Report, n: RNode, withSamples = false): NodeSummary | undefined {
  let s: NodeSummary;
  if (n.topology === PSEUDO) {
    s = pseudoSummary(n);
  } else {
    const group = parseGroupNodeTopology(n.topology);
    if (group !== undefined) {
      s = groupSummary(report, n, group.topology);
    } else {
      const t = reportTopology(report, n.topology);
      if (t === undefined) return undefined;
      const labels = reportNodeLabels(n, n.topology as TopologyName);
      if (labels === undefined) return undefined;
      s = { id: n.id, label: labels.label, labelMinor: labels.labelMinor, rank: labels.rank, shape: t.shape === '' ? 'circle' : t.shape };
      if (t.tag !== '') s.tag = t.tag;
      if (labels.stack === true) s.stack = true;
      // Aggregates of their own kind (count_<own topology>) get no metadata, metrics or tables.
      if (n.counters?.get(n.topology) === undefined) {
        const metadata = metadataRows(n, t);
        if (metadata.length > 0) s.metadata = metadata;
      }
    }
  }
  if (n.parents.size > 0) {
    const parents = parentsOf(report, n);
    if (parents.length > 0) s.parents = parents;
  }
  const t = reportTopology(report, n.topology);
  if (t !== undefined && n.counters?.get(n.topology) === undefined) {
    if (n.metrics.size > 0) {
      const metrics = metricRows(n, t, withSamples);
      if (metrics.length > 0) s.metrics = metrics;
    }
    if (t.tableTemplates.size > 0) {
      const tableList = tables(n, t);
      if (tableList.length > 0) s.tables = tableList;
    }
  }
  if (n.adjacency.size > 0) s.adjacency = sortedIds(n.adjacency);
  return s;
}

/** The ids of `set`, sorted (most nodes have one edge: no spread or sort for them). */
function sortedIds(set: ReadonlySet<string>): string[] {
  if (set.size === 1) for (const id of set) return [id];
  return [...set].sort();
}
