/**
 * List+watch of every Kubernetes resource the reporter shows, through the official client's
 * `ListWatch` informers, into per-resource stores of parsed domain records keyed by UID.
 *
 * Resilience: a resource whose group/version the API server does not serve (discovery) is skipped;
 * a list or watch that fails (RBAC denial, API server restart, network) logs one line, keeps the
 * last known objects, and is restarted with exponential backoff (1 s … 5 min, as Scope). Nothing
 * here throws into the probe.
 */
import {
  AppsV1Api,
  ApisApi,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  ListWatch,
  StorageV1Api,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { Backoff } from '../../common/backoff.js';
import { LogOnce, type Logger } from '../../common/log.js';
import {
  parseCronJob,
  parseDaemonSet,
  parseDeployment,
  parseJob,
  parseKubeNode,
  parseMeta,
  parsePersistentVolume,
  parsePersistentVolumeClaim,
  parsePod,
  parseService,
  parseStatefulSet,
  parseStorageClass,
  parseVolumeSnapshot,
  type CronJobInfo,
  type DaemonSetInfo,
  type DeploymentInfo,
  type JobInfo,
  type KubeNodeInfo,
  type Meta,
  type PersistentVolumeClaimInfo,
  type PersistentVolumeInfo,
  type PodInfo,
  type ServiceInfo,
  type StatefulSetInfo,
  type StorageClassInfo,
  type VolumeSnapshotInfo,
} from './objects.js';

/** Parsed objects of one resource, keyed by UID. */
export type Store<T> = ReadonlyMap<string, T>;

/** Every store the reporter reads. */
export interface Stores {
  pods: Store<PodInfo>;
  services: Store<ServiceInfo>;
  deployments: Store<DeploymentInfo>;
  daemonSets: Store<DaemonSetInfo>;
  statefulSets: Store<StatefulSetInfo>;
  cronJobs: Store<CronJobInfo>;
  jobs: Store<JobInfo>;
  namespaces: Store<{ meta: Meta }>;
  persistentVolumes: Store<PersistentVolumeInfo>;
  persistentVolumeClaims: Store<PersistentVolumeClaimInfo>;
  storageClasses: Store<StorageClassInfo>;
  volumeSnapshots: Store<VolumeSnapshotInfo>;
  nodes: Store<KubeNodeInfo>;
}

/** Which resources to watch: `pods` only (host role) or everything (cluster role). */
export type WatchScope = 'pods' | 'all';

type ListFn = () => Promise<KubernetesListObject<KubernetesObject>>;

interface ResourceDef {
  key: keyof Stores;
  /** `v1` for the core group, else `group/version`. */
  groupVersion: string;
  /** Watch path, all namespaces. */
  path: string;
  parse(v: unknown): { meta: Meta } | undefined;
  list(apis: Apis, fieldSelector: string | undefined): ListFn;
}

interface Apis {
  core: CoreV1Api;
  apps: AppsV1Api;
  batch: BatchV1Api;
  storage: StorageV1Api;
  custom: CustomObjectsApi;
}

const asList = (p: Promise<unknown>): Promise<KubernetesListObject<KubernetesObject>> =>
  p as Promise<KubernetesListObject<KubernetesObject>>;

const RESOURCES: readonly ResourceDef[] = [
  { key: 'pods', groupVersion: 'v1', path: '/api/v1/pods', parse: parsePod, list: (a, fs) => () => asList(a.core.listPodForAllNamespaces(fs ? { fieldSelector: fs } : {})) },
  { key: 'services', groupVersion: 'v1', path: '/api/v1/services', parse: parseService, list: (a) => () => asList(a.core.listServiceForAllNamespaces()) },
  { key: 'namespaces', groupVersion: 'v1', path: '/api/v1/namespaces', parse: parseMetaOnly, list: (a) => () => asList(a.core.listNamespace()) },
  { key: 'nodes', groupVersion: 'v1', path: '/api/v1/nodes', parse: parseKubeNode, list: (a) => () => asList(a.core.listNode()) },
  { key: 'persistentVolumes', groupVersion: 'v1', path: '/api/v1/persistentvolumes', parse: parsePersistentVolume, list: (a) => () => asList(a.core.listPersistentVolume()) },
  {
    key: 'persistentVolumeClaims',
    groupVersion: 'v1',
    path: '/api/v1/persistentvolumeclaims',
    parse: parsePersistentVolumeClaim,
    list: (a) => () => asList(a.core.listPersistentVolumeClaimForAllNamespaces()),
  },
  { key: 'deployments', groupVersion: 'apps/v1', path: '/apis/apps/v1/deployments', parse: parseDeployment, list: (a) => () => asList(a.apps.listDeploymentForAllNamespaces()) },
  { key: 'daemonSets', groupVersion: 'apps/v1', path: '/apis/apps/v1/daemonsets', parse: parseDaemonSet, list: (a) => () => asList(a.apps.listDaemonSetForAllNamespaces()) },
  { key: 'statefulSets', groupVersion: 'apps/v1', path: '/apis/apps/v1/statefulsets', parse: parseStatefulSet, list: (a) => () => asList(a.apps.listStatefulSetForAllNamespaces()) },
  // batch/v1 CronJobs: Scope's batch/v1beta1 is gone since Kubernetes 1.25.
  { key: 'cronJobs', groupVersion: 'batch/v1', path: '/apis/batch/v1/cronjobs', parse: parseCronJob, list: (a) => () => asList(a.batch.listCronJobForAllNamespaces()) },
  { key: 'jobs', groupVersion: 'batch/v1', path: '/apis/batch/v1/jobs', parse: parseJob, list: (a) => () => asList(a.batch.listJobForAllNamespaces()) },
  { key: 'storageClasses', groupVersion: 'storage.k8s.io/v1', path: '/apis/storage.k8s.io/v1/storageclasses', parse: parseStorageClass, list: (a) => () => asList(a.storage.listStorageClass()) },
  {
    key: 'volumeSnapshots',
    groupVersion: 'snapshot.storage.k8s.io/v1',
    path: '/apis/snapshot.storage.k8s.io/v1/volumesnapshots',
    parse: parseVolumeSnapshot,
    list: (a) => () =>
      asList(a.custom.listCustomObjectForAllNamespaces({ group: 'snapshot.storage.k8s.io', version: 'v1', plural: 'volumesnapshots' })),
  },
];

function parseMetaOnly(v: unknown): { meta: Meta } | undefined {
  const meta = parseMeta(v);
  return meta ? { meta } : undefined;
}

/** Events the informers forward (pods only: Scope publishes shortcut reports for them). */
export interface InformerEvents {
  podAdded?(pod: PodInfo): void;
  podDeleted?(pod: PodInfo): void;
}

/** Options of {@link Informers}. */
export interface InformerOptions {
  scope: WatchScope;
  /** Only pods on this node (server-side field selector); '' = all pods. */
  nodeName: string;
  /** First retry delay after a failure, milliseconds. Default 1000. */
  retryInitialMillis?: number;
  /** Longest retry delay, milliseconds. Default 300000 (Scope's 5 min). */
  retryMaxMillis?: number;
}

interface Running {
  def: ResourceDef;
  informer: ListWatch<KubernetesObject>;
  backoff: Backoff;
  timer: NodeJS.Timeout | undefined;
  /** The first list has completed. */
  synced: boolean;
  /** An error was reported since the last (re)start. */
  errored: boolean;
}

export class Informers {
  private readonly maps = new Map<keyof Stores, Map<string, { meta: Meta }>>();
  private readonly running: Running[] = [];
  private readonly logOnce: LogOnce;
  private stopped = false;
  private discoveryTimer: NodeJS.Timeout | undefined;
  private readonly discoveryBackoff: Backoff;
  readonly stores: Stores;

  constructor(
    private readonly kc: KubeConfig,
    private readonly opts: InformerOptions,
    private readonly events: InformerEvents,
    private readonly logger: Logger,
  ) {
    this.logOnce = new LogOnce(logger);
    for (const r of RESOURCES) this.maps.set(r.key, new Map());
    const s = {} as Record<keyof Stores, Map<string, { meta: Meta }>>;
    for (const [k, m] of this.maps) s[k] = m;
    this.stores = s as unknown as Stores;
    this.discoveryBackoff = this.newBackoff();
  }

  private newBackoff(): Backoff {
    return new Backoff({ initialMillis: this.opts.retryInitialMillis ?? 1000, maxMillis: this.opts.retryMaxMillis ?? 300_000 });
  }

  /** Starts discovery, then the informers; returns at once (everything runs in the background). */
  start(): void {
    void this.discover();
  }

  /** Whether an informer for `key` was started (its resource is served and in scope). */
  watching(key: keyof Stores): boolean {
    return this.running.some((r) => r.def.key === key);
  }

  /** Whether every started informer has completed its first list. */
  synced(): boolean {
    return this.running.length > 0 && this.running.every((r) => r.synced);
  }

  /** Group/versions served by the API server (discovery: `/api` and `/apis`). */
  private async servedGroupVersions(): Promise<Set<string>> {
    const served = new Set<string>(['v1']);
    const groups = await this.kc.makeApiClient(ApisApi).getAPIVersions();
    for (const g of groups.groups ?? []) for (const v of g.versions ?? []) served.add(v.groupVersion);
    return served;
  }

  private async discover(): Promise<void> {
    if (this.stopped) return;
    let served: Set<string>;
    try {
      served = await this.servedGroupVersions();
      this.logOnce.ok('kubernetes discovery');
    } catch (err) {
      this.logOnce.fail('kubernetes discovery', err, 'Kubernetes API discovery failed; retrying');
      this.discoveryTimer = setTimeout(() => void this.discover(), this.discoveryBackoff.next());
      this.discoveryTimer.unref();
      return;
    }
    if (this.stopped) return; // stopped while discovery was in flight
    const apis: Apis = {
      core: this.kc.makeApiClient(CoreV1Api),
      apps: this.kc.makeApiClient(AppsV1Api),
      batch: this.kc.makeApiClient(BatchV1Api),
      storage: this.kc.makeApiClient(StorageV1Api),
      custom: this.kc.makeApiClient(CustomObjectsApi),
    };
    const watch = new Watch(this.kc);
    for (const def of RESOURCES) {
      if (this.opts.scope === 'pods' && def.key !== 'pods') continue;
      if (!served.has(def.groupVersion)) {
        this.logger.info({ resource: def.key, groupVersion: def.groupVersion }, 'Kubernetes resource not served; skipped');
        continue;
      }
      this.startOne(def, apis, watch);
    }
  }

  private startOne(def: ResourceDef, apis: Apis, watch: Watch): void {
    const fieldSelector = def.key === 'pods' && this.opts.nodeName !== '' ? `spec.nodeName=${this.opts.nodeName}` : undefined;
    const informer = new ListWatch<KubernetesObject>(def.path, watch, def.list(apis, fieldSelector), false, undefined, fieldSelector);
    const run: Running = { def, informer, backoff: this.newBackoff(), timer: undefined, synced: false, errored: false };
    const map = this.maps.get(def.key)!;
    const label = `kubernetes ${def.key}`;
    const upsert = (o: KubernetesObject): void => {
      const parsed = def.parse(o);
      if (!parsed) {
        this.logger.debug({ resource: def.key }, 'Kubernetes object without uid ignored');
        return;
      }
      const isNew = !map.has(parsed.meta.uid);
      map.set(parsed.meta.uid, parsed);
      if (isNew && def.key === 'pods') this.events.podAdded?.(parsed as PodInfo);
    };
    informer.on('add', upsert);
    informer.on('update', upsert);
    informer.on('delete', (o) => {
      const parsed = def.parse(o);
      if (!parsed) return;
      const known = map.get(parsed.meta.uid);
      map.delete(parsed.meta.uid);
      if (def.key === 'pods') this.events.podDeleted?.((known ?? parsed) as PodInfo);
    });
    informer.on('error', (err: unknown) => {
      run.errored = true;
      if (this.stopped) return;
      this.logOnce.fail(label, err, `${label}: list/watch failed; keeping the last known objects and retrying`);
      clearTimeout(run.timer);
      run.timer = setTimeout(() => void this.restart(run, label), run.backoff.next());
      run.timer.unref();
    });
    this.running.push(run);
    void this.restart(run, label);
  }

  private async restart(run: Running, label: string): Promise<void> {
    if (this.stopped) return;
    run.errored = false;
    try {
      // Resolves once listed and watching, or after reporting a failure through the error callback.
      await run.informer.start();
      if (!run.errored) {
        run.synced = true;
        run.backoff.reset();
        this.logOnce.ok(label, `${label}: watching again`);
      }
    } catch (err) {
      // start() reports list failures through the error callback; anything else lands here.
      this.logOnce.fail(label, err, `${label}: could not start; retrying`);
      clearTimeout(run.timer);
      run.timer = setTimeout(() => void this.restart(run, label), run.backoff.next());
      run.timer.unref();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.discoveryTimer);
    await Promise.allSettled(
      this.running.map(async (r) => {
        clearTimeout(r.timer);
        await r.informer.stop();
      }),
    );
  }
}
