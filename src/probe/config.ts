/**
 * The probe's configuration (wire §1.3), in domain form: the CLI parses Scope's flags and fills
 * this; `defaultProbeConfig` gives Scope's defaults for everything not set.
 */
import type { KubernetesConnection } from './kubernetes/client.js';

/** One app the probe publishes to (wire §1.5), already normalised by the CLI. */
export interface ProbeTarget {
  /** Base URL, e.g. `http://127.0.0.1:4040` (a path prefix is kept: requests go to `<url>/api/…`). */
  url: string;
  /** Per-target token (from `https://TOKEN@host`), overriding `ProbeConfig.token`. */
  token?: string;
}

/** Everything `startProbe` needs. Durations are in milliseconds. */
export interface ProbeConfig {
  /** Apps to publish to; several at once. Empty = nothing is published (unless `publishStdout`). */
  targets: ProbeTarget[];
  /** This host's id: `SCOPE_HOSTNAME` or the OS hostname (wire §1.7). */
  hostId: string;
  /** `--probe.spy.interval`: how often reporters run. Default 1000. */
  spyIntervalMillis: number;
  /** `--probe.publish.interval`: how often a report is published. Default 3000. */
  publishIntervalMillis: number;
  /** `--probe.full-report-every`: a full report every N publishes, deltas between (wire §2.9). Default 3. */
  fullReportEvery: number;
  /** `--probe.processes`: walk /proc for processes and connections. Default true. */
  processes: boolean;
  /** `--probe.proc.spy`: map connections to processes through /proc/<pid>/fd. Default true. */
  procSpy: boolean;
  /** `--probe.proc.root`: procfs mount point. Default `/proc` (unlike Scope, the connection scanner honours it too). */
  procRoot: string;
  /** `--probe.conntrack`: follow netfilter conntrack for short-lived connections. Default true. */
  conntrack: boolean;
  /**
   * `--probe.ebpf.connections`: learn connections (with pids, short-lived ones included) from an
   * eBPF tracker (bpftrace on kernel tracepoints), falling back to /proc + conntrack with one log
   * line saying why when it cannot run. Default true.
   */
  ebpfConnections: boolean;
  /** `--probe.omit.cmd-args`: report only the first space-separated token of command lines. Default false. */
  omitCmdArgs: boolean;
  /** `--probe.no-controls`: no control websockets, no topology controls. Default false. */
  noControls: boolean;
  /** `--probe.token` / `--service-token`. Default ''. */
  token: string;
  /** `--probe.basicAuth`: send `Authorization: Basic` instead of the token header. Default false. */
  basicAuth: boolean;
  /** `--probe.basicAuth.username`. Default `admin`. */
  basicAuthUsername: string;
  /** `--probe.basicAuth.password` (or the content of `.password.filename`). Default `admin`. */
  basicAuthPassword: string;
  /** `--probe.insecure`: skip TLS verification towards apps. Default false. */
  insecure: boolean;
  /** `--probe.publish.stdout`: print each report as indented JSON to stdout instead of sending it. Default false. */
  publishStdout: boolean;
  /** `--probe.docker`: enable the Docker reporter and tagger. Default false. */
  docker: boolean;
  /** `--probe.docker.interval`. Default 10000. */
  dockerIntervalMillis: number;
  /** `--probe.docker.bridge`. Default `docker0`. */
  dockerBridge: string;
  /** `--probe.omit.env-vars`. Default true. */
  omitEnvVars: boolean;
  /** `--probe.kubernetes.role`: `cluster` disables the host, process and endpoint reporters. Default ''. */
  kubernetesRole: '' | 'host' | 'cluster';
  /** `--probe.kubernetes` (implied by a role): the Kubernetes reporter, tagger and controls. Default false. */
  kubernetes: boolean;
  /** `--probe.kubernetes.node-name` (or `KUBERNETES_NODENAME`): report only this node's pods. Default ''. */
  kubernetesNodeName: string;
  /** `--probe.kubernetes.*` connection flags; all empty = in-cluster configuration. */
  kubernetesConnection: KubernetesConnection;
  /** `--probe.cri`: report the containers of a CRI runtime (containerd, CRI-O). Default false. */
  cri: boolean;
  /**
   * `--probe.cri.endpoint`: `unix://<path>` or a path. Default Scope's `unix///var/run/dockershim.sock`;
   * when that socket is absent, the first of today's runtime sockets present is used.
   */
  criEndpoint: string;
  /** Version string sent in `X-Scope-Probe-Version`, `User-Agent` and `host_scope_version`. */
  version: string;
  /** Timeout of each HTTP request to an app. Default 12000 (Scope's). */
  requestTimeoutMillis: number;
  /** Most `readlink`s of `/proc/<pid>/fd/*` per spy tick (bounds the socket → pid walk). Default 4000. */
  fdWalkBudgetPerTick: number;
}

/** Scope's defaults for every field; `overrides` win. */
export function defaultProbeConfig(overrides: Partial<ProbeConfig> = {}): ProbeConfig {
  return {
    targets: [],
    hostId: '',
    spyIntervalMillis: 1000,
    publishIntervalMillis: 3000,
    fullReportEvery: 3,
    processes: true,
    procSpy: true,
    procRoot: '/proc',
    conntrack: true,
    ebpfConnections: true,
    omitCmdArgs: false,
    noControls: false,
    token: '',
    basicAuth: false,
    basicAuthUsername: 'admin',
    basicAuthPassword: 'admin',
    insecure: false,
    publishStdout: false,
    docker: false,
    dockerIntervalMillis: 10_000,
    dockerBridge: 'docker0',
    omitEnvVars: true,
    kubernetesRole: '',
    kubernetes: false,
    kubernetesNodeName: '',
    kubernetesConnection: {
      server: '',
      kubeconfig: '',
      certificateAuthority: '',
      clientCertificate: '',
      clientKey: '',
      cluster: '',
      context: '',
      user: '',
      insecureSkipTlsVerify: false,
      token: '',
      username: '',
      password: '',
    },
    cri: false,
    criEndpoint: 'unix///var/run/dockershim.sock',
    version: '0.1.0',
    requestTimeoutMillis: 12_000,
    fdWalkBudgetPerTick: 4000,
    ...overrides,
  };
}
