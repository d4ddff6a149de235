/**
 * Kubernetes controls (wire §5.9): delete pod, scale deployments and stateful sets, cordon and
 * uncordon nodes, create / clone / delete volume snapshots, pod logs and describe as read-only
 * pipes. Objects are found by UID in the informers' stores; the API calls go through the official
 * client.
 *
 * Volume snapshots use the CSI snapshot API (`snapshot.storage.k8s.io/v1`, Kubernetes ≥ 1.20)
 * where Scope used the long-gone `volumesnapshot.external-storage.k8s.io/v1` CRD: a clone is a PVC
 * whose `dataSource` is the snapshot, in the source claim's storage class (Scope looked for a
 * "snapshot-promoter" storage class, which CSI does not use).
 */
import { randomUUID } from 'node:crypto';
import { PassThrough, Writable } from 'node:stream';
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  Log,
  PatchStrategy,
  StorageV1Api,
  dumpYaml,
  setHeaderOptions,
  type KubeConfig,
} from '@kubernetes/client-node';
import type { Logger } from '../../common/log.js';
import { parseHostNodeId, parseNodeId } from '../../report/ids.js';
import type { ControlHandler, ControlRequest, ControlResponse, ProbeContext } from '../types.js';
import type { Stores } from './informers.js';
import { podNodeId } from './nodes.js';
import type { Meta, PersistentVolumeClaimInfo, PodInfo } from './objects.js';
import { K8S_CONTROL_IDS as C } from './templates.js';

/** Log lines sent before following. */
const LOG_TAIL_LINES = 1000;

/** The CSI volume snapshot resource. */
const SNAPSHOTS = { group: 'snapshot.storage.k8s.io', version: 'v1', plural: 'volumesnapshots' } as const;

/** `YYYYMMDDhhmmss` in UTC, as Scope named snapshots (`snapshot-<stamp>-<uuid part>`). */
export function snapshotStamp(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** The first 8 hex digits of a random UUID (Scope's "uuid part" of generated names). */
function uuidPart(): string {
  return randomUUID().slice(0, 8);
}

/** What the controls need from the rest of the plugin. */
export interface K8sControlDeps {
  ctx: ProbeContext;
  kc: KubeConfig;
  stores: Stores;
  logger: Logger;
}

function findPod(stores: Stores, nodeId: string): PodInfo {
  for (const p of stores.pods.values()) if (podNodeId(p.meta) === nodeId) return p;
  throw new Error(`Pod not found: ${nodeId}`);
}

function findByUid<T extends { meta: Meta }>(store: ReadonlyMap<string, T>, nodeId: string, kind: string): T {
  const uid = parseNodeId(nodeId)?.x ?? '';
  const o = store.get(uid);
  if (!o) throw new Error(`${kind} not found: ${nodeId}`);
  return o;
}

/** The tag of a node id without its brackets (`pod`, `deployment`, `statefulset`…). */
function tagOf(nodeId: string): string {
  return /^<(.*)>$/.exec(parseNodeId(nodeId)?.tag ?? '')?.[1] ?? '';
}

/** Registers the Kubernetes controls; returns a function that undoes it and closes open pipes. */
export function registerKubernetesControls(deps: K8sControlDeps): () => void {
  const { ctx, kc, stores } = deps;
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  const storage = kc.makeApiClient(StorageV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const closers = new Set<() => void>();

  /** Opens a read-only pipe; `feed` writes into it and returns a cleanup run when the pipe closes. */
  const readOnlyPipe = (req: ControlRequest, feed: (out: PassThrough) => Promise<() => void>): Promise<ControlResponse> => {
    const { pipeId, stream } = ctx.pipes.openPipe(req.appId);
    const out = new PassThrough();
    out.pipe(stream);
    stream.resume(); // input from the UI is ignored
    let cleanup: (() => void) | undefined;
    const close = (): void => {
      closers.delete(close);
      cleanup?.();
      out.destroy();
      stream.destroy();
    };
    closers.add(close);
    stream.on('close', close);
    stream.on('error', close);
    return feed(out).then(
      (c) => {
        cleanup = c;
        if (stream.destroyed) c();
        return { pipe: pipeId, rawTty: false };
      },
      (err: unknown) => {
        close();
        throw err;
      },
    );
  };

  const scale = (delta: number): ControlHandler => async (req) => {
    const tag = tagOf(req.nodeId);
    if (tag === 'deployment') {
      const d = findByUid(stores.deployments, req.nodeId, 'Deployment');
      const { name, namespace } = d.meta;
      const current = await apps.readNamespacedDeploymentScale({ name, namespace });
      const replicas = Math.max(0, (current.spec?.replicas ?? 0) + delta);
      await apps.replaceNamespacedDeploymentScale({ name, namespace, body: { ...current, spec: { replicas } } });
      return {};
    }
    if (tag === 'statefulset') {
      const s = findByUid(stores.statefulSets, req.nodeId, 'StatefulSet');
      const { name, namespace } = s.meta;
      const current = await apps.readNamespacedStatefulSetScale({ name, namespace });
      const replicas = Math.max(0, (current.spec?.replicas ?? 0) + delta);
      await apps.replaceNamespacedStatefulSetScale({ name, namespace, body: { ...current, spec: { replicas } } });
      return {};
    }
    throw new Error(`cannot scale ${req.nodeId}`);
  };

  const cordon = (unschedulable: boolean): ControlHandler => async (req) => {
    const name = parseHostNodeId(req.nodeId);
    if (!name) throw new Error(`Invalid ID: ${req.nodeId}`);
    await core.patchNode({ name, body: { spec: { unschedulable } } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch));
    return {};
  };

  /** The object behind a node id, fresh from the API server, for describe. */
  const readObject = async (nodeId: string): Promise<unknown> => {
    const tag = tagOf(nodeId);
    const nn = (m: Meta): { name: string; namespace: string } => ({ name: m.name, namespace: m.namespace });
    switch (tag) {
      case 'pod':
        return core.readNamespacedPod(nn(findPod(stores, nodeId).meta));
      case 'service':
        return core.readNamespacedService(nn(findByUid(stores.services, nodeId, 'Service').meta));
      case 'deployment':
        return apps.readNamespacedDeployment(nn(findByUid(stores.deployments, nodeId, 'Deployment').meta));
      case 'daemonset':
        return apps.readNamespacedDaemonSet(nn(findByUid(stores.daemonSets, nodeId, 'DaemonSet').meta));
      case 'statefulset':
        return apps.readNamespacedStatefulSet(nn(findByUid(stores.statefulSets, nodeId, 'StatefulSet').meta));
      case 'cronjob':
        return batch.readNamespacedCronJob(nn(findByUid(stores.cronJobs, nodeId, 'CronJob').meta));
      case 'job':
        return batch.readNamespacedJob(nn(findByUid(stores.jobs, nodeId, 'Job').meta));
      case 'persistent_volume':
        return core.readPersistentVolume({ name: findByUid(stores.persistentVolumes, nodeId, 'PersistentVolume').meta.name });
      case 'persistent_volume_claim':
        return core.readNamespacedPersistentVolumeClaim(nn(findByUid(stores.persistentVolumeClaims, nodeId, 'PersistentVolumeClaim').meta));
      case 'storage_class':
        return storage.readStorageClass({ name: findByUid(stores.storageClasses, nodeId, 'StorageClass').meta.name });
      case 'volume_snapshot':
        return custom.getNamespacedCustomObject({ ...SNAPSHOTS, ...nn(findByUid(stores.volumeSnapshots, nodeId, 'VolumeSnapshot').meta) });
      default:
        throw new Error(`cannot describe ${nodeId}`);
    }
  };

  const handlers: Record<string, ControlHandler> = {
    [C.deletePod]: async (req) => {
      const p = findPod(stores, req.nodeId);
      await core.deleteNamespacedPod({ name: p.meta.name, namespace: p.meta.namespace });
      return { removedNode: req.nodeId };
    },
    [C.scaleUp]: scale(1),
    [C.scaleDown]: scale(-1),
    [C.cordon]: cordon(true),
    [C.uncordon]: cordon(false),
    [C.createSnapshot]: async (req) => {
      const pvc = findByUid(stores.persistentVolumeClaims, req.nodeId, 'PersistentVolumeClaim');
      const { namespace } = pvc.meta;
      const body = {
        apiVersion: `${SNAPSHOTS.group}/${SNAPSHOTS.version}`,
        kind: 'VolumeSnapshot',
        metadata: {
          name: `snapshot-${snapshotStamp(new Date())}-${uuidPart()}`,
          namespace,
          // Scope recorded the claim's size; clones fall back to it when the snapshot has no restoreSize yet.
          ...(pvc.capacity !== '' ? { annotations: { capacity: pvc.capacity } } : {}),
        },
        spec: { source: { persistentVolumeClaimName: pvc.meta.name } },
      };
      await custom.createNamespacedCustomObject({ ...SNAPSHOTS, namespace, body });
      return {};
    },
    [C.cloneSnapshot]: async (req) => {
      const vs = findByUid(stores.volumeSnapshots, req.nodeId, 'VolumeSnapshot');
      const { namespace } = vs.meta;
      let source: PersistentVolumeClaimInfo | undefined;
      for (const p of stores.persistentVolumeClaims.values()) if (p.meta.namespace === namespace && p.meta.name === vs.claimName) source = p;
      const size = vs.restoreSize || vs.meta.annotations.get('capacity') || source?.capacity || '';
      if (size === '') throw new Error(`snapshot ${namespace}/${vs.meta.name} has no size yet (status.restoreSize); try again when it is ready`);
      const body = {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: `clone-${vs.claimName || vs.meta.name}-${uuidPart()}`, namespace },
        spec: {
          ...(source !== undefined && source.storageClassName !== '' ? { storageClassName: source.storageClassName } : {}),
          accessModes: source !== undefined && source.accessModes.length > 0 ? [...source.accessModes] : ['ReadWriteOnce'],
          resources: { requests: { storage: size } },
          dataSource: { apiGroup: SNAPSHOTS.group, kind: 'VolumeSnapshot', name: vs.meta.name },
        },
      };
      await core.createNamespacedPersistentVolumeClaim({ namespace, body });
      return {};
    },
    [C.deleteSnapshot]: async (req) => {
      const vs = findByUid(stores.volumeSnapshots, req.nodeId, 'VolumeSnapshot');
      await custom.deleteNamespacedCustomObject({ ...SNAPSHOTS, namespace: vs.meta.namespace, name: vs.meta.name });
      return { removedNode: req.nodeId };
    },
    [C.describe]: async (req) => {
      const obj = await readObject(req.nodeId);
      return readOnlyPipe(req, (out) => {
        out.end(dumpYaml(obj));
        return Promise.resolve(() => undefined);
      });
    },
    [C.getLogs]: async (req) => {
      const p = findPod(stores, req.nodeId);
      const names = p.containerNames;
      if (names.length === 0) throw new Error(`pod ${p.meta.namespace}/${p.meta.name} has no containers`);
      const width = Math.max(...names.map((n) => n.length));
      const log = new Log(kc);
      return readOnlyPipe(req, async (out) => {
        const aborts: AbortController[] = [];
        let open = names.length;
        for (const name of names) {
          // Several containers: every line prefixed with the container's padded name, as Scope.
          const prefix = names.length > 1 ? `[${name.padEnd(width)}] ` : '';
          let partial = '';
          const sink = new Writable({
            write(chunk: Buffer, _enc, cb): void {
              if (prefix === '') {
                out.write(chunk);
              } else {
                const lines = (partial + chunk.toString('utf8')).split('\n');
                partial = lines.pop() ?? '';
                for (const l of lines) out.write(`${prefix}${l}\n`);
              }
              cb();
            },
            final(cb): void {
              if (partial !== '') out.write(`${prefix}${partial}\n`);
              if (--open === 0) out.end();
              cb();
            },
          });
          aborts.push(await log.log(p.meta.namespace, p.meta.name, name, sink, { follow: true, timestamps: true, tailLines: LOG_TAIL_LINES }));
        }
        return () => {
          for (const a of aborts) a.abort();
        };
      });
    },
  };

  for (const [id, h] of Object.entries(handlers)) ctx.controls.register(id, h);
  return () => {
    for (const id of Object.keys(handlers)) ctx.controls.unregister(id);
    for (const close of [...closers]) close();
  };
}
