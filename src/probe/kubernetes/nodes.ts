/**
 * Kubernetes objects → report nodes (wire §5.9): ids and latest keys exactly as Scope 1.13.2
 * writes them, so Scope's app and our render read them alike. Pure.
 */
import {
  makeCronJobNodeId,
  makeDaemonSetNodeId,
  makeDeploymentNodeId,
  makeJobNodeId,
  makeNamespaceNodeId,
  makePersistentVolumeClaimNodeId,
  makePersistentVolumeNodeId,
  makePodNodeId,
  makeServiceNodeId,
  makeStatefulSetNodeId,
  makeStorageClassNodeId,
  makeVolumeSnapshotNodeId,
} from '../../report/ids.js';
import { makeNode } from '../../report/model.js';
import type { Node, Time } from '../../report/types.js';
import { setLatest } from '../node-util.js';
import type {
  CronJobInfo,
  DaemonSetInfo,
  DeploymentInfo,
  JobInfo,
  Meta,
  PersistentVolumeClaimInfo,
  PersistentVolumeInfo,
  PodInfo,
  ServiceInfo,
  StatefulSetInfo,
  StorageClassInfo,
  VolumeSnapshotInfo,
} from './objects.js';
import { K8S_CONTROL_IDS as C } from './templates.js';

/** What every node needs besides its object. */
export interface NodeContext {
  probeId: string;
  controlsEnabled: boolean;
  now: Time;
  /** The API server serves volume snapshots (`snapshot.storage.k8s.io/v1`): claims offer "Create snapshot". */
  snapshots?: boolean;
}

/** Static pods are known to the kubelet by their config hash (Scope's pod id rule). */
export function podNodeId(meta: Meta): string {
  return makePodNodeId(meta.annotations.get('kubernetes.io/config.hash') ?? meta.uid);
}

/** Common metadata (`meta.go`): name, namespace, created, labels, and the control routing keys. */
function metaNode(id: string, topology: string, meta: Meta, ctx: NodeContext, controls: readonly string[], withNamespace = true): Node {
  const n = makeNode(id, topology);
  const t = ctx.now;
  setLatest(n, 'kubernetes_name', meta.name, t);
  if (withNamespace) setLatest(n, 'kubernetes_namespace', meta.namespace, t);
  setLatest(n, 'kubernetes_created', meta.created, t);
  for (const [k, v] of meta.labels) setLatest(n, `kubernetes_labels_${k}`, v, t);
  if (controls.length > 0 || withNamespace) {
    setLatest(n, 'control_probe_id', ctx.probeId, t);
    setLatest(n, 'active_controls', ctx.controlsEnabled ? controls.join(';') : '', t);
  }
  return n;
}

export function podNode(p: PodInfo, ctx: NodeContext): Node {
  const n = metaNode(podNodeId(p.meta), 'pod', p.meta, ctx, [C.getLogs, C.deletePod, C.describe]);
  const t = ctx.now;
  setLatest(n, 'kubernetes_state', p.meta.deleting ? 'Terminating' : p.phase, t);
  setLatest(n, 'kubernetes_ip', p.ip, t);
  setLatest(n, 'kubernetes_restart_count', String(p.restartCount), t);
  if (p.claimNames.length > 0) setLatest(n, 'kubernetes_volume_claim', p.claimNames.join(';'), t);
  if (p.hostNetwork) setLatest(n, 'kubernetes_is_in_host_network', 'true', t);
  return n;
}

/** What Scope sends when a pod is deleted: only its state. */
export function deletedPodNode(p: PodInfo, now: Time): Node {
  const n = makeNode(podNodeId(p.meta), 'pod');
  setLatest(n, 'kubernetes_state', 'deleted', now);
  return n;
}

export function serviceNode(s: ServiceInfo, ctx: NodeContext): Node {
  const n = metaNode(makeServiceNodeId(s.meta.uid), 'service', s.meta, ctx, [C.describe]);
  const t = ctx.now;
  setLatest(n, 'kubernetes_ip', s.clusterIP, t);
  setLatest(n, 'kubernetes_type', s.type, t);
  if (s.loadBalancerIP !== '') setLatest(n, 'kubernetes_public_ip', s.loadBalancerIP, t);
  if (s.ports.length > 0) {
    const ports = s.ports.map((p) => (p.nodePort > 0 ? `${p.port}:${p.nodePort}/${p.protocol}` : `${p.port}/${p.protocol}`));
    setLatest(n, 'kubernetes_ports', ports.join(','), t);
  }
  return n;
}

export function deploymentNode(d: DeploymentInfo, ctx: NodeContext): Node {
  const n = metaNode(makeDeploymentNodeId(d.meta.uid), 'deployment', d.meta, ctx, [C.scaleUp, C.scaleDown, C.describe]);
  const t = ctx.now;
  setLatest(n, 'kubernetes_observed_generation', String(d.observedGeneration), t);
  setLatest(n, 'kubernetes_desired_replicas', String(d.desiredReplicas), t);
  setLatest(n, 'kubernetes_replicas', String(d.replicas), t);
  setLatest(n, 'kubernetes_updated_replicas', String(d.updatedReplicas), t);
  setLatest(n, 'kubernetes_available_replicas', String(d.availableReplicas), t);
  setLatest(n, 'kubernetes_unavailable_replicas', String(d.unavailableReplicas), t);
  setLatest(n, 'kubernetes_strategy', d.strategy, t);
  setLatest(n, 'kubernetes_node_type', 'Deployment', t);
  return n;
}

export function daemonSetNode(d: DaemonSetInfo, ctx: NodeContext): Node {
  const n = metaNode(makeDaemonSetNodeId(d.meta.uid), 'daemon_set', d.meta, ctx, [C.describe]);
  const t = ctx.now;
  setLatest(n, 'kubernetes_desired_replicas', String(d.desired), t);
  setLatest(n, 'kubernetes_replicas', String(d.current), t);
  setLatest(n, 'kubernetes_misscheduled_replicas', String(d.misscheduled), t);
  setLatest(n, 'kubernetes_node_type', 'DaemonSet', t);
  return n;
}

export function statefulSetNode(s: StatefulSetInfo, ctx: NodeContext): Node {
  // Beyond Scope: stateful sets scale too (Scope offered scaling on deployments only).
  const n = metaNode(makeStatefulSetNodeId(s.meta.uid), 'stateful_set', s.meta, ctx, [C.scaleUp, C.scaleDown, C.describe]);
  const t = ctx.now;
  setLatest(n, 'kubernetes_node_type', 'StatefulSet', t);
  setLatest(n, 'kubernetes_desired_replicas', String(s.desiredReplicas), t);
  setLatest(n, 'kubernetes_replicas', String(s.replicas), t);
  setLatest(n, 'kubernetes_observed_generation', String(s.observedGeneration), t);
  return n;
}

export function cronJobNode(c: CronJobInfo, activeJobs: number, ctx: NodeContext): Node {
  const n = metaNode(makeCronJobNodeId(c.meta.uid), 'cron_job', c.meta, ctx, [C.describe]);
  const t = ctx.now;
  setLatest(n, 'kubernetes_node_type', 'CronJob', t);
  setLatest(n, 'kubernetes_schedule', c.schedule, t);
  setLatest(n, 'kubernetes_suspended', String(c.suspended), t);
  setLatest(n, 'kubernetes_active_jobs', String(activeJobs), t);
  if (c.lastScheduled !== '') setLatest(n, 'kubernetes_last_scheduled', c.lastScheduled, t);
  return n;
}

export function jobNode(j: JobInfo, ctx: NodeContext): Node {
  const n = metaNode(makeJobNodeId(j.meta.uid), 'job', j.meta, ctx, [C.describe]);
  setLatest(n, 'kubernetes_node_type', 'Job', ctx.now);
  return n;
}

export function namespaceNode(meta: Meta, ctx: NodeContext): Node {
  return metaNode(makeNamespaceNodeId(meta.uid), 'namespace', meta, ctx, [], false);
}

export function persistentVolumeNode(p: PersistentVolumeInfo, ctx: NodeContext): Node {
  const n = metaNode(makePersistentVolumeNodeId(p.meta.uid), 'persistent_volume', p.meta, ctx, [C.describe]);
  const t = ctx.now;
  setLatest(n, 'kubernetes_node_type', 'Persistent Volume', t);
  setLatest(n, 'kubernetes_volume_claim', p.claimName, t);
  setLatest(n, 'kubernetes_storage_class_name', p.storageClassName, t);
  setLatest(n, 'kubernetes_status', p.phase, t);
  setLatest(n, 'kubernetes_access_modes', p.accessMode, t);
  if (p.driver !== '') setLatest(n, 'kubernetes_storage_driver', p.driver, t);
  return n;
}

export function persistentVolumeClaimNode(p: PersistentVolumeClaimInfo, ctx: NodeContext): Node {
  // Beyond Scope: "Create snapshot" only where snapshots exist (Scope offered it on every claim).
  const controls = ctx.snapshots === true ? [C.createSnapshot, C.describe] : [C.describe];
  const n = metaNode(makePersistentVolumeClaimNodeId(p.meta.uid), 'persistent_volume_claim', p.meta, ctx, controls);
  const t = ctx.now;
  setLatest(n, 'kubernetes_node_type', 'Persistent Volume Claim', t);
  setLatest(n, 'kubernetes_status', p.phase, t);
  setLatest(n, 'kubernetes_volume_name', p.volumeName, t);
  setLatest(n, 'kubernetes_storage_class_name', p.storageClassName, t);
  if (p.capacity !== '') setLatest(n, 'kubernetes_volume_capacity', p.capacity, t);
  return n;
}

export function storageClassNode(s: StorageClassInfo, ctx: NodeContext): Node {
  const n = metaNode(makeStorageClassNodeId(s.meta.uid), 'storage_class', s.meta, ctx, [C.describe]);
  setLatest(n, 'kubernetes_node_type', 'Storage Class', ctx.now);
  setLatest(n, 'kubernetes_provisioner', s.provisioner, ctx.now);
  return n;
}

export function volumeSnapshotNode(s: VolumeSnapshotInfo, ctx: NodeContext): Node {
  const n = metaNode(makeVolumeSnapshotNodeId(s.meta.uid), 'volume_snapshot', s.meta, ctx, [C.cloneSnapshot, C.deleteSnapshot, C.describe]);
  const t = ctx.now;
  setLatest(n, 'kubernetes_node_type', 'Volume Snapshot', t);
  setLatest(n, 'kubernetes_volume_claim', s.claimName, t);
  // Scope's key is misspelt; the render reads it so.
  setLatest(n, 'kuberneets_snapshot_data', s.contentName, t);
  return n;
}
