/**
 * The probe's Docker support (wire §5.6–§5.7, issue #4): a reporter for containers, images, Swarm
 * services and the Docker overlay peer; a tagger giving processes their container; and the Docker
 * controls. Docker being absent or restarting costs only Docker's data.
 */
import { silentLogger, type Logger } from '../../common/log.js';
import type { Cidr } from '../../report/ids.js';
import type { ProbeContext, Reporter, Tagger } from '../types.js';
import { CgroupReader } from './cgroup.js';
import { createEngine, lazyDockerClient, withTimeout } from './client.js';
import { registerDockerControls } from './controls.js';
import { ContainerMetrics } from './metrics.js';
import { NamespaceAddresses } from './netns.js';
import { DockerRegistry, type KnownContainer } from './registry.js';
import { ShortcutBatcher } from './shortcuts.js';
import { DockerReporter } from './reporter.js';
import { ContainerTagger } from './tagger.js';

export { CONTROL_IDS, CONTAINER_CONTROLS } from './templates.js';
export { EXEC_SCRIPT } from './controls.js';
export { humanBytes, humanDuration, imageNameAndTag } from './format.js';

/**
 * How long container changes are gathered into one shortcut report (wire §4.5), milliseconds:
 * Scope rate-limits publishes to one per `publish.interval / 100` (30 ms). A burst of events
 * (a Compose project starting, a re-list finding many changes) then costs one encode and POST.
 */
export const SHORTCUT_COALESCE_MILLIS = 30;

/** Options of {@link createDockerPlugin} (Scope's `--probe.docker.*` and `--probe.omit.*` flags). */
export interface DockerOptions {
  /** Full re-list period (`--probe.docker.interval`), milliseconds. Scope's default 10000. */
  intervalMillis: number;
  /** Leave out `docker_env_*` (`--probe.omit.env-vars`). Default true. */
  omitEnvVars: boolean;
  /** Command without arguments (`--probe.omit.cmd-args`). Default false. */
  omitCmdArgs: boolean;
  /** Docker bridge interface (`--probe.docker.bridge`) whose subnets scope container IPs. Default `docker0`. */
  bridge: string;
  /** Docker endpoint (`unix:///…`, `/path.sock`, `tcp://host:port`); default `DOCKER_HOST` or `/var/run/docker.sock`. */
  dockerHost?: string;
  /** cgroup filesystem root, for tests. Default `/sys/fs/cgroup`. */
  cgroupRoot?: string;
  /** procfs root (`--probe.proc.root`). Default `/proc`. */
  procRoot?: string;
}

/** The running Docker plugin. */
export interface DockerPlugin {
  reporter: Reporter;
  tagger: Tagger;
  /**
   * Scope's `LocalNetworks` for endpoint ids (wire §3.3): the IPv4 subnets of the bridge
   * interface (re-read every few seconds). The probe should use it only when Kubernetes is off, as Scope does.
   */
  bridgeNetworks(): Cidr[];
  /** Whether Docker is currently connected (event stream up and listed). */
  connected(): boolean;
  stop(): Promise<void>;
}

/** Starts watching Docker (connecting in the background, with backoff) and registers the controls. */
export function createDockerPlugin(ctx: ProbeContext, opts: DockerOptions, logger: Logger = silentLogger()): DockerPlugin {
  const log = logger.child({ component: 'docker' });
  // dockerode only for the controls (and ssh:// hosts), loaded on first use: see engine.ts.
  const dockerode = lazyDockerClient(opts.dockerHost);
  const engine = createEngine(opts.dockerHost, dockerode);
  const cgroups = new CgroupReader({
    ...(opts.cgroupRoot ? { cgroupRoot: opts.cgroupRoot } : {}),
    ...(opts.procRoot ? { procRoot: opts.procRoot } : {}),
  });
  const metrics = new ContainerMetrics(
    cgroups,
    (id) => withTimeout('stats', engine.statsOnce(id)),
    (id, err) => log.debug({ err, container: id }, 'docker stats fallback failed'),
  );
  const registry = new DockerRegistry(
    engine,
    { intervalMillis: opts.intervalMillis },
    {
      changed: (c, cause) => {
        // The initial listing is in the next regular report; only changes are worth a shortcut.
        if (cause !== 'initial') shortcuts.changed(c.info.id);
      },
      removed: (id) => shortcuts.removed(id),
    },
    log,
  );
  // Used by the listener above only once the registry has started, below.
  const shortcuts = new ShortcutBatcher(SHORTCUT_COALESCE_MILLIS, (changedIds, removedIds) => {
    const changed: KnownContainer[] = [];
    for (const id of changedIds) {
      const c = registry.containers.get(id);
      if (c) changed.push(c);
    }
    ctx.publishShortcut(reporter.shortcutForMany(changed, removedIds));
  });
  const reporter = new DockerReporter(registry, metrics, {
    hostId: ctx.hostId,
    probeId: ctx.probeId,
    controlsEnabled: ctx.controlsEnabled,
    bridge: opts.bridge,
    omitEnvVars: opts.omitEnvVars,
    omitCmdArgs: opts.omitCmdArgs,
  }, new NamespaceAddresses(opts.procRoot));
  const tagger = new ContainerTagger(registry, opts.procRoot);
  const unregister = ctx.controlsEnabled
    ? registerDockerControls({
        ctx,
        docker: dockerode,
        logger: log,
        refresh: (id) => registry.refresh(id, 'event'),
        ...(opts.procRoot ? { procRoot: opts.procRoot } : {}),
      })
    : () => undefined;
  registry.start();
  return {
    reporter,
    tagger,
    bridgeNetworks: () => [...reporter.hostInfo().localNetworks],
    connected: () => registry.connected,
    stop: async () => {
      unregister();
      await registry.stop();
      shortcuts.stop();
      cgroups.close();
      engine.close();
    },
  };
}
