/**
 * Upgrades the app applies to every stored report before use (wire §2.10, Go's `Report.Upgrade`):
 * reports from older probes get pod → deployment parents, namespace nodes and report-level DNS.
 * (The legacy `nodes` DNS key is moved to `DNS` by the codec at decode time, not here.)
 */
import { makeNamespaceNodeId, parseEndpointNodeId } from './ids.js';
import { mergeStringSets } from './merge-sets.js';
import { makeNode } from './model.js';
import { nowTime } from './time.js';
import type { DnsRecord, Node, Report, StringSet, Time, Topology, TopologyName } from './types.js';

/** Legacy endpoint sets carrying DNS names. */
export const SNOOPED_DNS_NAMES = 'snooped_dns_names';
export const REVERSE_DNS_NAMES = 'reverse_dns_names';

const NAMESPACED_TOPOLOGIES: readonly TopologyName[] = [
  'pod',
  'service',
  'deployment',
  'daemon_set',
  'stateful_set',
  'cron_job',
];

/** Pods' `replica_set` parents replaced by the deployments those replica sets point to. */
function upgradePodNodes(report: Report): Topology | undefined {
  const replicaSets = report.topologies.replica_set.nodes;
  if (replicaSets.size === 0) return undefined;
  const pods = report.topologies.pod;
  const nodes = new Map<string, Node>();
  for (const [key, pod] of pods.nodes) {
    const replicaSetIds = pod.parents.get('replica_set');
    if (replicaSetIds === undefined) {
      nodes.set(key, pod);
      continue;
    }
    const parents = new Map(pod.parents);
    parents.delete('replica_set');
    for (const id of replicaSetIds) {
      const deployments = replicaSets.get(id)?.parents.get('deployment');
      if (deployments !== undefined) parents.set('deployment', mergeStringSets(parents.get('deployment') ?? [], deployments));
    }
    nodes.set(key, { ...pod, parents });
  }
  return { ...pods, nodes };
}

/**
 * Namespace nodes synthesised from `kubernetes_namespace` of non-deleted namespaced objects when
 * the report has none: id `<name>;<namespace>`, latest `kubernetes_name`. Unlike Go we also set
 * `topology`, else the app's part-merged filter would delete these nodes again.
 */
function upgradeNamespaces(report: Report, now: Time): Topology | undefined {
  const current = report.topologies.namespace;
  if (current.nodes.size > 0) return undefined;
  const names = new Set<string>();
  for (const name of NAMESPACED_TOPOLOGIES) {
    for (const node of report.topologies[name].nodes.values()) {
      if (node.latest.get('kubernetes_state')?.value === 'deleted') continue;
      const namespace = node.latest.get('kubernetes_namespace');
      if (namespace !== undefined) names.add(namespace.value);
    }
  }
  if (names.size === 0) return undefined;
  const nodes = new Map<string, Node>();
  for (const ns of names) {
    const id = makeNamespaceNodeId(ns);
    const node = makeNode(id, 'namespace');
    node.latest.set('kubernetes_name', { timestamp: now, value: ns });
    nodes.set(id, node);
  }
  return { ...current, nodes };
}

/** Report-level DNS rebuilt from endpoints' legacy name sets, when the report has none. */
function upgradeDns(report: Report): Map<string, DnsRecord> | undefined {
  if (report.dns.size > 0) return undefined;
  const dns = new Map<string, DnsRecord>();
  const empty: StringSet = [];
  // Runs on every window merge that has no DNS: endpoints without names are passed over before
  // their id is parsed, and without for-of [key, node] (V8 allocates an array per entry for it).
  const endpoints = report.topologies.endpoint.nodes;
  const nodes = endpoints.values();
  for (const key of endpoints.keys()) {
    const endpoint = nodes.next().value as Node;
    if (endpoint.sets.size === 0) continue;
    const snooped = endpoint.sets.get(SNOOPED_DNS_NAMES);
    const reverse = endpoint.sets.get(REVERSE_DNS_NAMES);
    if (snooped === undefined && reverse === undefined) continue;
    const parts = parseEndpointNodeId(key);
    if (parts === undefined) continue;
    const existing = dns.get(parts.address);
    dns.set(parts.address, {
      forward: mergeStringSets(existing?.forward ?? empty, snooped ?? empty),
      reverse: mergeStringSets(existing?.reverse ?? empty, reverse ?? empty),
    });
  }
  return dns.size > 0 ? dns : undefined;
}

/**
 * The upgraded report: `report` itself when nothing needed upgrading, else a new report object
 * sharing every untouched topology with `report` (copy it with `copyReport` before merging into
 * it). `now` stamps synthesised namespace names.
 */
export function upgradeReport(report: Report, now: Time = nowTime()): Report {
  const pod = upgradePodNodes(report);
  const namespace = upgradeNamespaces(report, now);
  const dns = upgradeDns(report);
  if (pod === undefined && namespace === undefined && dns === undefined) return report;
  const topologies = { ...report.topologies };
  if (pod !== undefined) topologies.pod = pod;
  if (namespace !== undefined) topologies.namespace = namespace;
  return { ...report, topologies, dns: dns ?? report.dns };
}
