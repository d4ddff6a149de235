/**
 * The Kubernetes reporter (wire §5.9): every watched object as a node, pods given their
 * service / controller parents, and (cluster scope) the cluster's nodes as host nodes carrying the
 * cordon controls. Reads only the informers' stores, so a report never waits on the API server.
 *
 * Parents, beyond Scope: a job's pods are linked whether or not any CronJob exists (Scope applied
 * job selectors only inside its CronJob loop), and a pod owned by a job owned by a CronJob gets that
 * CronJob even after the job has left `status.active`.
 */
import {
  makeCronJobNodeId,
  makeDaemonSetNodeId,
  makeDeploymentNodeId,
  makeHostNodeId,
  makeJobNodeId,
  makeServiceNodeId,
  makeStatefulSetNodeId,
} from '../../report/ids.js';
import { makeNode, makeReport } from '../../report/model.js';
import { nowTime } from '../../report/time.js';
import type { Node, Report, Topology } from '../../report/types.js';
import { addToStringSet, setLatest } from '../node-util.js';
import type { Reporter } from '../types.js';
import type { Stores, WatchScope } from './informers.js';
import {
  cronJobNode,
  daemonSetNode,
  deletedPodNode,
  deploymentNode,
  jobNode,
  namespaceNode,
  persistentVolumeClaimNode,
  persistentVolumeNode,
  podNode,
  serviceNode,
  statefulSetNode,
  storageClassNode,
  volumeSnapshotNode,
  type NodeContext,
} from './nodes.js';
import { mapSelectorMatches, selectorMatches, type PodInfo } from './objects.js';
import { decorateKubernetesTopologies, K8S_CONTROL_IDS } from './templates.js';

/** Options of {@link KubernetesReporter}. */
export interface KubernetesReporterOptions {
  probeId: string;
  controlsEnabled: boolean;
  scope: WatchScope;
  /** Report only pods scheduled on this node; '' = every pod. */
  nodeName: string;
  /** Whether volume snapshots are served (asked at each report: discovery may come late). Default: no. */
  snapshotsServed?: () => boolean;
}

function addParent(n: Node, topology: string, id: string): void {
  n.parents.set(topology, addToStringSet(n.parents.get(topology) ?? [], id));
}

function put(t: Topology, n: Node): void {
  t.nodes.set(n.id, n);
}

export class KubernetesReporter implements Reporter {
  readonly name = 'kubernetes';

  constructor(
    private readonly stores: Stores,
    private readonly opts: KubernetesReporterOptions,
  ) {}

  private ctx(): NodeContext {
    return { probeId: this.opts.probeId, controlsEnabled: this.opts.controlsEnabled, now: nowTime(), snapshots: this.opts.snapshotsServed?.() ?? false };
  }

  private emptyReport(): Report {
    const r = makeReport();
    decorateKubernetesTopologies(r, this.opts.controlsEnabled, this.opts.probeId);
    if (this.opts.scope === 'pods') {
      // The host role shows no cluster objects, so no host controls either.
      r.topologies.host.controls.clear();
    }
    return r;
  }

  private podsShown(): PodInfo[] {
    const out: PodInfo[] = [];
    for (const p of this.stores.pods.values()) {
      if (this.opts.nodeName === '' || p.nodeName === this.opts.nodeName) out.push(p);
    }
    return out;
  }

  report(): Promise<Report> {
    const r = this.emptyReport();
    const ctx = this.ctx();
    const s = this.stores;
    const T = r.topologies;
    const pods = this.podsShown().map((p) => ({ info: p, node: podNode(p, ctx) }));
    for (const p of pods) put(T.pod, p.node);
    if (this.opts.scope === 'pods') return Promise.resolve(r);

    for (const svc of s.services.values()) {
      put(T.service, serviceNode(svc, ctx));
      const id = makeServiceNodeId(svc.meta.uid);
      for (const p of pods) {
        if (p.info.meta.namespace === svc.meta.namespace && mapSelectorMatches(svc.selector, p.info.meta.labels)) addParent(p.node, 'service', id);
      }
    }
    const bySelector = <O extends { meta: { uid: string; namespace: string }; selector: Parameters<typeof selectorMatches>[0] }>(
      objs: Iterable<O>,
      topology: string,
      makeId: (uid: string) => string,
      extra?: (o: O, p: (typeof pods)[number]) => boolean,
    ): void => {
      for (const o of objs) {
        const id = makeId(o.meta.uid);
        for (const p of pods) {
          if (p.info.meta.namespace !== o.meta.namespace) continue;
          if (selectorMatches(o.selector, p.info.meta.labels) || extra?.(o, p)) addParent(p.node, topology, id);
        }
      }
    };
    for (const d of s.deployments.values()) put(T.deployment, deploymentNode(d, ctx));
    bySelector(s.deployments.values(), 'deployment', makeDeploymentNodeId);
    for (const d of s.daemonSets.values()) put(T.daemon_set, daemonSetNode(d, ctx));
    bySelector(s.daemonSets.values(), 'daemon_set', makeDaemonSetNodeId, (o, p) => p.info.meta.owners.some((x) => x.uid === o.meta.uid));
    for (const d of s.statefulSets.values()) put(T.stateful_set, statefulSetNode(d, ctx));
    bySelector(s.statefulSets.values(), 'stateful_set', makeStatefulSetNodeId, (o, p) => p.info.meta.owners.some((x) => x.uid === o.meta.uid));
    for (const j of s.jobs.values()) put(T.job, jobNode(j, ctx));
    bySelector(s.jobs.values(), 'job', makeJobNodeId, (o, p) => p.info.meta.owners.some((x) => x.uid === o.meta.uid));

    // CronJob → its jobs (active list, or owner references) → their pods.
    for (const c of s.cronJobs.values()) {
      const jobIds = new Set(c.activeJobUids);
      for (const j of s.jobs.values()) if (j.meta.owners.some((o) => o.uid === c.meta.uid)) jobIds.add(j.meta.uid);
      let active = 0;
      for (const uid of c.activeJobUids) if (s.jobs.has(uid)) active++;
      put(T.cron_job, cronJobNode(c, active, ctx));
      const cronId = makeCronJobNodeId(c.meta.uid);
      for (const p of pods) {
        if (p.node.parents.get('job')?.some((jid) => jobIds.has(jid.slice(0, jid.indexOf(';'))))) addParent(p.node, 'cron_job', cronId);
      }
    }

    for (const ns of s.namespaces.values()) put(T.namespace, namespaceNode(ns.meta, ctx));
    for (const pv of s.persistentVolumes.values()) put(T.persistent_volume, persistentVolumeNode(pv, ctx));
    for (const pvc of s.persistentVolumeClaims.values()) put(T.persistent_volume_claim, persistentVolumeClaimNode(pvc, ctx));
    for (const sc of s.storageClasses.values()) put(T.storage_class, storageClassNode(sc, ctx));
    for (const vs of s.volumeSnapshots.values()) put(T.volume_snapshot, volumeSnapshotNode(vs, ctx));

    for (const kn of s.nodes.values()) {
      const h = makeNode(makeHostNodeId(kn.meta.name), 'host');
      if (this.opts.controlsEnabled) {
        setLatest(h, 'active_controls', kn.unschedulable ? K8S_CONTROL_IDS.uncordon : K8S_CONTROL_IDS.cordon, ctx.now);
      }
      put(T.host, h);
    }
    return Promise.resolve(r);
  }

  /** The shortcut report for a pod that appeared (without computed parents, as Scope). */
  podAddedShortcut(p: PodInfo): Report | undefined {
    if (this.opts.nodeName !== '' && p.nodeName !== this.opts.nodeName) return undefined;
    const r = this.emptyReport();
    put(r.topologies.pod, podNode(p, this.ctx()));
    return r;
  }

  /** The shortcut report for a deleted pod: its node with only `kubernetes_state` = `deleted`. */
  podDeletedShortcut(p: PodInfo): Report | undefined {
    if (this.opts.nodeName !== '' && p.nodeName !== this.opts.nodeName) return undefined;
    const r = this.emptyReport();
    put(r.topologies.pod, deletedPodNode(p, nowTime()));
    return r;
  }
}
