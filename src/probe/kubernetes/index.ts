/**
 * The probe's Kubernetes support (wire §1.4, §5.9, issue #6): list+watch informers, a reporter of
 * pods, services, controllers, namespaces and storage, a tagger tying containers to their pods, and
 * the Kubernetes controls. The API server being away, restarting or denying a resource costs only
 * that data: the plugin logs once, keeps what it knew and retries.
 */
import { silentLogger, type Logger } from '../../common/log.js';
import type { ProbeContext, Reporter, Tagger } from '../types.js';
import { loadKubeConfig, type KubernetesConnection } from './client.js';
import { registerKubernetesControls } from './controls.js';
import { Informers, type Stores } from './informers.js';
import { KubernetesReporter } from './reporter.js';
import { createKubernetesTagger } from './tagger.js';

export { defaultConnection, loadKubeConfig, type KubernetesConnection } from './client.js';
export { K8S_CONTROL_IDS } from './templates.js';
export { createKubernetesTagger, isPauseImage } from './tagger.js';
export type { Stores } from './informers.js';

/** The probe's Kubernetes role (`--probe.kubernetes.role`). */
export type KubernetesRole = '' | 'host' | 'cluster';

/** Options of {@link createKubernetesPlugin}. */
export interface KubernetesOptions {
  /**
   * `host`: only the pods of `nodeName` (plus the tagger); `cluster`: every object of the cluster
   * and its nodes as hosts; `''`: both.
   */
  role: KubernetesRole;
  /** `--probe.kubernetes.node-name` (or `KUBERNETES_NODENAME`): the node whose pods are reported; '' = all. */
  nodeName: string;
  connection: KubernetesConnection;
  /** First retry delay after a failed list/watch, milliseconds. Default 1000. */
  retryInitialMillis?: number;
  /** Longest retry delay, milliseconds. Default 300000. */
  retryMaxMillis?: number;
}

/** The running Kubernetes plugin. */
export interface KubernetesPlugin {
  reporter: Reporter;
  /** Container → pod; run it on every role (it needs only Docker labels). */
  tagger: Tagger;
  /** The informers' stores (for tests and diagnostics). */
  stores: Stores;
  /** Whether every informer has completed its first list. */
  synced(): boolean;
  stop(): Promise<void>;
}

/**
 * Starts the informers (in the background) and registers the controls. Throws only when no client
 * configuration can be built (bad kubeconfig, not in a cluster); the caller logs and goes on without.
 */
export function createKubernetesPlugin(ctx: ProbeContext, opts: KubernetesOptions, logger: Logger = silentLogger()): KubernetesPlugin {
  const log = logger.child({ component: 'kubernetes' });
  const kc = loadKubeConfig(opts.connection);
  if (opts.role === '' && opts.nodeName === '') {
    log.warn('no Kubernetes node name given (--probe.kubernetes.node-name or KUBERNETES_NODENAME): every probe reports every pod');
  }
  const scope = opts.role === 'host' ? 'pods' : 'all';
  // The cluster role reports every pod; the others only their node's.
  const nodeName = opts.role === 'cluster' ? '' : opts.nodeName;
  // The informers call back only after start(), below, when `reporter` exists.
  const informers = new Informers(
    kc,
    {
      scope,
      nodeName,
      ...(opts.retryInitialMillis !== undefined ? { retryInitialMillis: opts.retryInitialMillis } : {}),
      ...(opts.retryMaxMillis !== undefined ? { retryMaxMillis: opts.retryMaxMillis } : {}),
    },
    {
      podAdded: (p) => {
        const r = reporter.podAddedShortcut(p);
        if (r) ctx.publishShortcut(r);
      },
      podDeleted: (p) => {
        const r = reporter.podDeletedShortcut(p);
        if (r) ctx.publishShortcut(r);
      },
    },
    log,
  );
  const reporter = new KubernetesReporter(informers.stores, {
    probeId: ctx.probeId,
    controlsEnabled: ctx.controlsEnabled,
    scope,
    nodeName,
    snapshotsServed: () => informers.watching('volumeSnapshots'),
  });
  const unregister = ctx.controlsEnabled ? registerKubernetesControls({ ctx, kc, stores: informers.stores, logger: log }) : () => undefined;
  informers.start();
  return {
    reporter,
    tagger: createKubernetesTagger(),
    stores: informers.stores,
    synced: () => informers.synced(),
    stop: async () => {
      unregister();
      await informers.stop();
    },
  };
}
