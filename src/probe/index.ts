/**
 * The probe (wire §4, §5): `startProbe` wires the reporters (host, process, endpoint, Docker),
 * taggers, controls, pipes and publishers, and runs the spy and publish loops until `close()`.
 */
import { randomBytes } from 'node:crypto';
import { createLogger, errorFields, type Logger } from '../common/log.js';
import type { Cidr } from '../report/ip.js';
import { defaultProbeConfig, type ProbeConfig, type ProbeTarget } from './config.js';
import { ControlDispatcher } from './control/registry.js';
import { createEndpointReporter } from './endpoint/reporter.js';
import { EbpfConnections } from './ebpf/endpoint-source.js';
import { registerHostExec } from './host/exec.js';
import { cached, createHostReporter, createHostTagger, createTopologyTagger } from './host/reporter.js';
import { createProcessReporter } from './process/reporter.js';
import { ProcWalker } from './procfs/walker.js';
import { ProbePipeline } from './probe.js';
import type { ProbeIdentity } from './publish/http.js';
import { PipeClient } from './publish/pipes.js';
import { Publisher } from './publish/publisher.js';
import type { ControlRegistry, ProbeContext, Reporter, Tagger } from './types.js';

export { defaultProbeConfig, type ProbeConfig, type ProbeTarget } from './config.js';
export type { ControlRegistry, PipeOpener, ProbeContext, Reporter, Tagger } from './types.js';

/** A running probe. */
export interface RunningProbe {
  /** Random hex id of this run (wire §3.6), sent as `X-Scope-Probe-ID`. */
  readonly probeId: string;
  /** Stops the loops, publishes a last report (bounded wait), closes sockets, children and pipes. */
  close(): Promise<void>;
}

/** Random 63-bit integer in lower-case hex (wire §3.6). */
export function newProbeId(): string {
  const bytes = randomBytes(8);
  bytes[0] = bytes[0]! & 0x7f;
  return BigInt(`0x${bytes.toString('hex')}`).toString(16);
}

/** `Authorization` for a target (wire §4.1): Basic auth, or `Scope-Probe token=<t>` (even when empty). */
export function authorizationFor(config: ProbeConfig, target: ProbeTarget): string {
  if (config.basicAuth) {
    return `Basic ${Buffer.from(`${config.basicAuthUsername}:${config.basicAuthPassword}`).toString('base64')}`;
  }
  return `Scope-Probe token=${target.token ?? config.token}`;
}

/** How long `close()` waits for queued reports to reach the apps. */
const CLOSE_FLUSH_MILLIS = 2000;

export async function startProbe(config: ProbeConfig, logger: Logger = createLogger({ name: 'probe' })): Promise<RunningProbe> {
  const cfg = defaultProbeConfig(config);
  const probeId = newProbeId();
  const log = logger.child({ probeId });
  const controlsEnabled = !cfg.noControls;
  const dispatcher = new ControlDispatcher();
  const identity = (t: ProbeTarget): ProbeIdentity => ({
    probeId,
    version: cfg.version,
    authorization: authorizationFor(cfg, t),
    insecure: cfg.insecure,
  });
  const publisher = new Publisher({
    targets: cfg.targets,
    identity,
    logger: log,
    timeoutMillis: cfg.requestTimeoutMillis,
    controls: controlsEnabled ? dispatcher : undefined,
    stdout: cfg.publishStdout,
  });
  const pipes = new PipeClient({
    locate: (appId) => publisher.locate(appId),
    identity: identity(cfg.targets[0] ?? { url: '' }),
    logger: log,
    timeoutMillis: cfg.requestTimeoutMillis,
  });
  const pipeline = new ProbePipeline({
    spyIntervalMillis: cfg.spyIntervalMillis,
    publishIntervalMillis: cfg.publishIntervalMillis,
    fullReportEvery: cfg.fullReportEvery,
    noControls: cfg.noControls,
    logger: log,
    publisher,
  });
  // With controls off, reporters' registrations go nowhere.
  const registry: ControlRegistry = controlsEnabled ? dispatcher : { register: () => undefined, unregister: () => undefined };
  const ctx: ProbeContext = {
    hostId: cfg.hostId,
    probeId,
    controls: registry,
    pipes,
    publishShortcut: (r) => pipeline.publishShortcut(r),
    controlsEnabled,
  };

  const stops: Array<() => Promise<void>> = [];
  const hostTaggers: Tagger[] = [];
  const noNetworks: readonly Cidr[] = [];
  let localNetworks: () => readonly Cidr[] = () => noNetworks;

  // Docker first: the endpoint reporter needs its bridge networks for address scoping.
  const kubernetesOn = cfg.kubernetes || cfg.kubernetesRole !== '';
  if (cfg.docker) {
    try {
      const docker = await import('./docker/index.js');
      const plugin = docker.createDockerPlugin(
        ctx,
        {
          intervalMillis: cfg.dockerIntervalMillis,
          omitEnvVars: cfg.omitEnvVars,
          omitCmdArgs: cfg.omitCmdArgs,
          bridge: cfg.dockerBridge,
          procRoot: cfg.procRoot,
        },
        log,
      );
      pipeline.reporters.push(plugin.reporter);
      if (cfg.processes) hostTaggers.push(plugin.tagger);
      stops.push(() => plugin.stop());
      // Scope scopes bridge addresses to the host only when Kubernetes is off.
      if (!kubernetesOn) localNetworks = cached(() => plugin.bridgeNetworks(), 10_000);
    } catch (err) {
      log.warn({ err: errorFields(err) }, 'Docker support unavailable; continuing without it');
    }
  }

  // Kubernetes (wire §1.4, §5.9): host role = this node's pods, cluster role = every object; the
  // tagger (container → pod) runs in every role.
  if (kubernetesOn) {
    try {
      const kubernetes = await import('./kubernetes/index.js');
      const plugin = kubernetes.createKubernetesPlugin(
        ctx,
        { role: cfg.kubernetesRole, nodeName: cfg.kubernetesNodeName, connection: cfg.kubernetesConnection },
        log,
      );
      pipeline.reporters.push(plugin.reporter);
      hostTaggers.push(plugin.tagger);
      stops.push(() => plugin.stop());
    } catch (err) {
      log.warn({ err: errorFields(err) }, 'Kubernetes support unavailable; continuing without it');
    }
  }

  // CRI (wire §5.8): containerd / CRI-O containers, beside or instead of Docker's.
  if (cfg.cri) {
    try {
      const cri = await import('./cri/index.js');
      const plugin = cri.createCriPlugin({ endpoint: cfg.criEndpoint }, log);
      pipeline.reporters.push(plugin.reporter);
      stops.push(() => plugin.stop());
    } catch (err) {
      log.warn({ err: errorFields(err) }, 'CRI support unavailable; continuing without it');
    }
  }

  if (cfg.kubernetesRole !== 'cluster') {
    const host = createHostReporter({
      hostId: cfg.hostId,
      probeId,
      version: cfg.version,
      procRoot: cfg.procRoot,
      controlsEnabled,
    });
    pipeline.reporters.unshift(host);
    stops.push(() => host.stop?.() ?? Promise.resolve());
    pipeline.taggers.push(createHostTagger(cfg.hostId));
    if (controlsEnabled) registerHostExec(ctx, log);

    const walker = new ProcWalker({ procRoot: cfg.procRoot });
    stops.push(async () => walker.close());
    pipeline.tickers.push({ name: 'proc walker', tick: () => walker.walk() });
    const reporters: Reporter[] = [];
    if (cfg.processes) reporters.push(createProcessReporter({ hostId: cfg.hostId, walker, omitCmdArgs: cfg.omitCmdArgs }));
    // eBPF connection tracking (wire §5.5.5): once attached it replaces the /proc scan (read once,
    // to seed it) and conntrack, which starts only if eBPF cannot be used. One log line says which.
    const late: { endpoint?: ReturnType<typeof createEndpointReporter> } = {};
    const ebpf = cfg.processes
      ? new EbpfConnections({
          enabled: cfg.ebpfConnections,
          logger: log,
          summaryIntervalMillis: cfg.spyIntervalMillis,
          // Kernel maps are read once per publish: what a publish carries, at a third of the cost.
          dumpIntervalMillis: Math.max(cfg.spyIntervalMillis, cfg.publishIntervalMillis),
          onFallback: () => late.endpoint?.conntrack?.start(),
        })
      : undefined;
    if (ebpf) stops.push(() => ebpf.stop());
    const endpoint = createEndpointReporter({
      hostId: cfg.hostId,
      walker,
      procRoot: cfg.procRoot,
      procSpy: cfg.procSpy && cfg.processes,
      conntrack: cfg.conntrack,
      fdBudgetPerTick: cfg.fdWalkBudgetPerTick,
      localNetworks: () => localNetworks(),
      logger: log,
      connectionSource: ebpf,
      deferConntrack: ebpf !== undefined && !ebpf.fellBackToProc,
    });
    late.endpoint = endpoint;
    reporters.push(endpoint);
    stops.push(() => endpoint.stop?.() ?? Promise.resolve());
    pipeline.reporters.push(...reporters);
  }
  pipeline.taggers.push(...hostTaggers, createTopologyTagger());

  publisher.start();
  pipeline.start();
  log.info(
    { hostId: cfg.hostId, targets: cfg.targets.map((t) => t.url), reporters: pipeline.reporters.map((r) => r.name) },
    'probe started',
  );

  let closing: Promise<void> | undefined;
  return {
    probeId,
    close(): Promise<void> {
      closing ??= (async () => {
        await pipeline.stop(true);
        await publisher.stop(CLOSE_FLUSH_MILLIS);
        pipes.closeAll();
        await Promise.allSettled(stops.map((s) => s()));
        log.info('probe stopped');
      })();
      return closing;
    },
  };
}
