/**
 * The trust boundary for Kubernetes API objects: whatever the client library hands us (typed
 * models with `Date`s from lists, raw JSON from watch events, or garbage from a broken server) is
 * read here, field by field, into small domain records. Nothing else in the plugin reads API JSON.
 * A missing or mistyped field becomes its zero value; an object without a UID is rejected.
 */

/** A label selector (`matchLabels` + `matchExpressions`); `null` matches nothing. */
export interface LabelSelector {
  matchLabels: ReadonlyMap<string, string>;
  matchExpressions: ReadonlyArray<{ key: string; operator: string; values: readonly string[] }>;
}

/** A reference to an owning object (`metadata.ownerReferences[]`). */
export interface OwnerRef {
  kind: string;
  name: string;
  uid: string;
}

/** Common object metadata. */
export interface Meta {
  uid: string;
  name: string;
  /** Empty for cluster-scoped objects. */
  namespace: string;
  /** Creation time as Go's RFC3339Nano prints it, or ''. */
  created: string;
  labels: ReadonlyMap<string, string>;
  annotations: ReadonlyMap<string, string>;
  owners: readonly OwnerRef[];
  /** `metadata.deletionTimestamp` is set. */
  deleting: boolean;
}

export interface PodInfo {
  meta: Meta;
  phase: string;
  ip: string;
  nodeName: string;
  hostNetwork: boolean;
  restartCount: number;
  claimNames: readonly string[];
  containerNames: readonly string[];
}

export interface ServiceInfo {
  meta: Meta;
  /** `spec.selector`; null (no selector) matches no pod. */
  selector: ReadonlyMap<string, string> | null;
  clusterIP: string;
  type: string;
  loadBalancerIP: string;
  ports: ReadonlyArray<{ port: number; nodePort: number; protocol: string }>;
}

export interface DeploymentInfo {
  meta: Meta;
  selector: LabelSelector | null;
  desiredReplicas: number;
  observedGeneration: number;
  replicas: number;
  updatedReplicas: number;
  availableReplicas: number;
  unavailableReplicas: number;
  strategy: string;
}

export interface DaemonSetInfo {
  meta: Meta;
  selector: LabelSelector | null;
  desired: number;
  current: number;
  misscheduled: number;
}

export interface StatefulSetInfo {
  meta: Meta;
  selector: LabelSelector | null;
  desiredReplicas: number;
  replicas: number;
  observedGeneration: number;
}

export interface CronJobInfo {
  meta: Meta;
  schedule: string;
  suspended: boolean;
  lastScheduled: string;
  /** UIDs of `status.active` jobs. */
  activeJobUids: readonly string[];
}

export interface JobInfo {
  meta: Meta;
  selector: LabelSelector | null;
}

export interface PersistentVolumeInfo {
  meta: Meta;
  claimName: string;
  storageClassName: string;
  phase: string;
  accessMode: string;
  /** Go field name of the volume source (`HostPath`, `NFS`, `CSI`…), or ''. */
  driver: string;
}

export interface PersistentVolumeClaimInfo {
  meta: Meta;
  phase: string;
  volumeName: string;
  storageClassName: string;
  capacity: string;
  /** `spec.accessModes` (for clones of its snapshots). */
  accessModes: readonly string[];
}

export interface StorageClassInfo {
  meta: Meta;
  provisioner: string;
}

export interface VolumeSnapshotInfo {
  meta: Meta;
  claimName: string;
  /** Bound snapshot content (`snapshot.storage.k8s.io`) — Scope's "snapshot data". */
  contentName: string;
  /** `status.restoreSize`: the smallest volume a restore needs (e.g. `1Gi`), or ''. */
  restoreSize: string;
}

/** A cluster node (for cordon state and host nodes). */
export interface KubeNodeInfo {
  meta: Meta;
  unschedulable: boolean;
}

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {};
}
function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
function num(v: unknown, dflt = 0): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : dflt;
}
function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
function stringMap(v: unknown): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, x] of Object.entries(obj(v))) if (typeof x === 'string') out.set(k, x);
  return out;
}

/**
 * A timestamp as Go's `time.RFC3339Nano` prints it (trailing fractional zeros trimmed): the
 * client library turns list items' times into `Date`s but leaves watch events' as strings.
 */
export function goTime(v: unknown): string {
  if (v instanceof Date) {
    return Number.isNaN(v.getTime()) ? '' : v.toISOString().replace(/\.?0+Z$/, 'Z').replace(/\.Z$/, 'Z');
  }
  return str(v);
}

function selector(v: unknown): LabelSelector | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = obj(v);
  return {
    matchLabels: stringMap(o.matchLabels),
    matchExpressions: arr(o.matchExpressions).map((e) => {
      const x = obj(e);
      return { key: str(x.key), operator: str(x.operator), values: arr(x.values).filter((s): s is string => typeof s === 'string') };
    }),
  };
}

/** Reads common metadata; undefined when the object has no UID (it cannot be a node). */
export function parseMeta(v: unknown): Meta | undefined {
  const m = obj(obj(v).metadata);
  const uid = str(m.uid);
  if (uid === '') return undefined;
  return {
    uid,
    name: str(m.name),
    namespace: str(m.namespace),
    created: goTime(m.creationTimestamp),
    labels: stringMap(m.labels),
    annotations: stringMap(m.annotations),
    owners: arr(m.ownerReferences).map((r) => {
      const o = obj(r);
      return { kind: str(o.kind), name: str(o.name), uid: str(o.uid) };
    }),
    deleting: m.deletionTimestamp !== undefined && m.deletionTimestamp !== null,
  };
}

export function parsePod(v: unknown): PodInfo | undefined {
  const meta = parseMeta(v);
  if (!meta) return undefined;
  const spec = obj(obj(v).spec);
  const status = obj(obj(v).status);
  let restarts = 0;
  for (const s of arr(status.containerStatuses)) restarts += num(obj(s).restartCount);
  return {
    meta,
    phase: str(status.phase),
    ip: str(status.podIP),
    nodeName: str(spec.nodeName),
    hostNetwork: spec.hostNetwork === true,
    restartCount: restarts,
    claimNames: arr(spec.volumes)
      .map((vol) => str(obj(obj(vol).persistentVolumeClaim).claimName))
      .filter((n) => n !== ''),
    containerNames: arr(spec.containers)
      .map((c) => str(obj(c).name))
      .filter((n) => n !== ''),
  };
}

export function parseService(v: unknown): ServiceInfo | undefined {
  const meta = parseMeta(v);
  if (!meta) return undefined;
  const spec = obj(obj(v).spec);
  const sel = spec.selector;
  return {
    meta,
    selector: typeof sel === 'object' && sel !== null ? stringMap(sel) : null,
    clusterIP: str(spec.clusterIP),
    type: str(spec.type),
    loadBalancerIP: str(spec.loadBalancerIP),
    ports: arr(spec.ports).map((p) => {
      const o = obj(p);
      return { port: num(o.port), nodePort: num(o.nodePort), protocol: str(o.protocol) || 'TCP' };
    }),
  };
}

export function parseDeployment(v: unknown): DeploymentInfo | undefined {
  const meta = parseMeta(v);
  if (!meta) return undefined;
  const spec = obj(obj(v).spec);
  const status = obj(obj(v).status);
  return {
    meta,
    selector: selector(spec.selector),
    desiredReplicas: num(spec.replicas, 1),
    observedGeneration: num(status.observedGeneration),
    replicas: num(status.replicas),
    updatedReplicas: num(status.updatedReplicas),
    availableReplicas: num(status.availableReplicas),
    unavailableReplicas: num(status.unavailableReplicas),
    strategy: str(obj(spec.strategy).type),
  };
}

export function parseDaemonSet(v: unknown): DaemonSetInfo | undefined {
  const meta = parseMeta(v);
  if (!meta) return undefined;
  const status = obj(obj(v).status);
  return {
    meta,
    selector: selector(obj(obj(v).spec).selector),
    desired: num(status.desiredNumberScheduled),
    current: num(status.currentNumberScheduled),
    misscheduled: num(status.numberMisscheduled),
  };
}

export function parseStatefulSet(v: unknown): StatefulSetInfo | undefined {
  const meta = parseMeta(v);
  if (!meta) return undefined;
  const spec = obj(obj(v).spec);
  const status = obj(obj(v).status);
  return {
    meta,
    selector: selector(spec.selector),
    desiredReplicas: num(spec.replicas, 1),
    replicas: num(status.replicas),
    observedGeneration: num(status.observedGeneration),
  };
}

export function parseCronJob(v: unknown): CronJobInfo | undefined {
  const meta = parseMeta(v);
  if (!meta) return undefined;
  const spec = obj(obj(v).spec);
  const status = obj(obj(v).status);
  return {
    meta,
    schedule: str(spec.schedule),
    suspended: spec.suspend === true,
    lastScheduled: goTime(status.lastScheduleTime),
    activeJobUids: arr(status.active)
      .map((r) => str(obj(r).uid))
      .filter((u) => u !== ''),
  };
}

export function parseJob(v: unknown): JobInfo | undefined {
  const meta = parseMeta(v);
  if (!meta) return undefined;
  return { meta, selector: selector(obj(obj(v).spec).selector) };
}

/** Go field names of `PersistentVolumeSource`, keyed by their JSON names, in Go declaration order. */
const VOLUME_SOURCES: ReadonlyArray<[string, string]> = [
  ['gcePersistentDisk', 'GCEPersistentDisk'],
  ['awsElasticBlockStore', 'AWSElasticBlockStore'],
  ['hostPath', 'HostPath'],
  ['glusterfs', 'Glusterfs'],
  ['nfs', 'NFS'],
  ['rbd', 'RBD'],
  ['iscsi', 'ISCSI'],
  ['cinder', 'Cinder'],
  ['cephfs', 'CephFS'],
  ['fc', 'FC'],
  ['flocker', 'Flocker'],
  ['flexVolume', 'FlexVolume'],
  ['azureFile', 'AzureFile'],
  ['vsphereVolume', 'VsphereVolume'],
  ['quobyte', 'Quobyte'],
  ['azureDisk', 'AzureDisk'],
  ['photonPersistentDisk', 'PhotonPersistentDisk'],
  ['portworxVolume', 'PortworxVolume'],
  ['scaleIO', 'ScaleIO'],
  ['local', 'Local'],
  ['storageos', 'StorageOS'],
  ['csi', 'CSI'],
];

export function parsePersistentVolume(v: unknown): PersistentVolumeInfo | undefined {
  const meta = parseMeta(v);
  if (!meta) return undefined;
  const spec = obj(obj(v).spec);
  const status = obj(obj(v).status);
  const driver = VOLUME_SOURCES.find(([k]) => spec[k] !== undefined && spec[k] !== null)?.[1] ?? '';
  return {
    meta,
    claimName: str(obj(spec.claimRef).name),
    storageClassName: str(spec.storageClassName),
    phase: str(status.phase),
    accessMode: str(arr(spec.accessModes)[0]),
    driver,
  };
}

export function parsePersistentVolumeClaim(v: unknown): PersistentVolumeClaimInfo | undefined {
  const meta = parseMeta(v);
  if (!meta) return undefined;
  const spec = obj(obj(v).spec);
  const requests = obj(obj(spec.resources).requests);
  return {
    meta,
    phase: str(obj(obj(v).status).phase),
    volumeName: str(spec.volumeName),
    storageClassName: meta.annotations.get('volume.beta.kubernetes.io/storage-class') ?? str(spec.storageClassName),
    capacity: str(requests.storage),
    accessModes: arr(spec.accessModes).filter((m): m is string => typeof m === 'string'),
  };
}

export function parseStorageClass(v: unknown): StorageClassInfo | undefined {
  const meta = parseMeta(v);
  if (!meta) return undefined;
  return { meta, provisioner: str(obj(v).provisioner) };
}

export function parseVolumeSnapshot(v: unknown): VolumeSnapshotInfo | undefined {
  const meta = parseMeta(v);
  if (!meta) return undefined;
  return {
    meta,
    claimName: str(obj(obj(obj(v).spec).source).persistentVolumeClaimName),
    contentName: str(obj(obj(v).status).boundVolumeSnapshotContentName),
    restoreSize: str(obj(obj(v).status).restoreSize),
  };
}

export function parseKubeNode(v: unknown): KubeNodeInfo | undefined {
  const meta = parseMeta(v);
  if (!meta) return undefined;
  return { meta, unschedulable: obj(obj(v).spec).unschedulable === true };
}

/** Whether `labels` satisfy `sel` (Kubernetes semantics; an empty selector matches everything). */
export function selectorMatches(sel: LabelSelector | null, labels: ReadonlyMap<string, string>): boolean {
  if (!sel) return false;
  for (const [k, v] of sel.matchLabels) if (labels.get(k) !== v) return false;
  for (const e of sel.matchExpressions) {
    const has = labels.has(e.key);
    const val = labels.get(e.key) ?? '';
    switch (e.operator) {
      case 'In':
        if (!has || !e.values.includes(val)) return false;
        break;
      case 'NotIn':
        if (has && e.values.includes(val)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false; // an unknown operator selects nothing, as the API server would reject it
    }
  }
  return true;
}

/** Whether a service's map selector matches (a service without selector matches nothing). */
export function mapSelectorMatches(sel: ReadonlyMap<string, string> | null, labels: ReadonlyMap<string, string>): boolean {
  if (!sel || sel.size === 0) return false;
  for (const [k, v] of sel) if (labels.get(k) !== v) return false;
  return true;
}
