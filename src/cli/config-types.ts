// The typed result of parsing the command line. Durations are milliseconds, sizes bytes.

/** `both` = no `--mode`: the app and a probe reporting to it, in one process. */
export type CliMode = 'app' | 'probe' | 'both' | 'help' | 'version';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'panic';

/** `--app.container-label-filter[-exclude]=Title:key=value`. */
export interface ContainerLabelFilter {
  /** Option ID as Scope generates it (quirk kept: include filters get `containerLabelFilterExclude<N>`). */
  readonly id: string;
  readonly title: string;
  readonly key: string;
  readonly value: string;
  /** true = "does not have label". */
  readonly exclude: boolean;
}

export interface BasicAuthSettings {
  readonly enabled: boolean;
  readonly username: string;
  readonly password: string;
  /** When non-empty, the password is this file's entire content (read at startup). */
  readonly passwordFile: string;
}

export interface AppCliConfig {
  /** `host:port` as given; in mode `both` the default is `127.0.0.1:4040`, else `:4040`. */
  readonly httpAddress: string;
  /** '' = every interface. */
  readonly listenHost: string;
  /** 0 = any free port. */
  readonly listenPort: number;
  readonly windowMillis: number;
  /** `--app.collector` as given (`local`, `file:///dir`, `redis://…`); the app validates it. */
  readonly collector: string;
  /** How long the file and Redis collectors keep reports. Default 24 h. */
  readonly collectorRetentionMillis: number;
  /** `--app.collector.s3` as given (`local` = none; `s3://…` for the DynamoDB collector). */
  readonly collectorS3: string;
  /** `--app.aws.create.tables`. */
  readonly awsCreateTables: boolean;
  /** `--app.control.router` / `--app.pipe.router` as given (`local` or `redis://…`). */
  readonly controlRouter: string;
  readonly pipeRouter: string;
  /** Largest accepted report after decompression. Default 64 MiB. */
  readonly maxReportBytes: number;
  /** 0 = no limit. Default 10000. */
  readonly maxTopologyNodes: number;
  readonly stopTimeoutMillis: number;
  readonly logLevel: LogLevel;
  readonly logPrefix: string;
  readonly logHttp: boolean;
  readonly logHttpHeaders: boolean;
  readonly containerLabelFilters: readonly ContainerLabelFilter[];
  readonly externalUi: boolean;
  readonly metricsGraphUrl: string;
  readonly weave: {
    readonly enabled: boolean;
    readonly addr: string;
    readonly hostname: string;
    readonly containerName: string;
    readonly dockerEndpoint: string;
  };
  readonly basicAuth: BasicAuthSettings;
  /** Bearer-token auth; `enabled` is `--app.auth` or implied by any token source. */
  readonly auth: {
    readonly enabled: boolean;
    readonly adminToken: string;
    readonly viewerToken: string;
    readonly tokenFile: string;
    /** `--app.auth.header`: a reverse proxy's user header ('' = off); needs `rolesFile`. */
    readonly header: string;
    /** `--app.auth.roles-file`: `<user> <role>` lines for `header`. */
    readonly rolesFile: string;
    /** `--app.auth=none`: authentication explicitly off (no generated token, a warning at start). */
    readonly none: boolean;
  };
  /** Token probes must present ('' = none required). */
  readonly probeToken: string;
  /** Both files or neither (checked). */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  /** '' = no audit log. */
  readonly auditLogPath: string;
}

export type KubernetesRole = '' | 'host' | 'cluster';

export interface ProbeCliConfig {
  readonly publishIntervalMillis: number;
  readonly spyIntervalMillis: number;
  readonly fullReportEvery: number;
  readonly publishStdout: boolean;
  /** `--probe.token` / `--service-token` ('' = none). */
  readonly token: string;
  readonly basicAuth: BasicAuthSettings;
  readonly insecure: boolean;
  /** `ip:port` of a DNS server, '' = system resolver. */
  readonly resolver: string;
  /** `host:port` for /metrics, '' = off. */
  readonly httpListen: string;
  /** '' = plugins disabled. */
  readonly pluginsRoot: string;
  readonly noControls: boolean;
  readonly omitCmdArgs: boolean;
  readonly omitEnvVars: boolean;
  readonly logPrefix: string;
  readonly logLevel: LogLevel;
  readonly processes: boolean;
  readonly procSpy: boolean;
  readonly procRoot: string;
  readonly conntrack: boolean;
  readonly conntrackBufferBytes: number;
  readonly ebpfConnections: boolean;
  readonly docker: { readonly enabled: boolean; readonly intervalMillis: number; readonly bridge: string };
  readonly cri: { readonly enabled: boolean; readonly endpoint: string };
  readonly kubernetes: {
    /** `--probe.kubernetes`, or implied by role host/cluster. */
    readonly enabled: boolean;
    readonly role: KubernetesRole;
    readonly nodeName: string;
    readonly server: string;
    readonly kubeconfig: string;
    readonly certificateAuthority: string;
    readonly clientCertificate: string;
    readonly clientKey: string;
    readonly cluster: string;
    readonly context: string;
    readonly user: string;
    readonly insecureSkipTlsVerify: boolean;
    readonly token: string;
    readonly username: string;
    readonly password: string;
  };
  readonly weave: { readonly enabled: boolean; readonly addr: string; readonly hostname: string };
}

export interface CliConfig {
  readonly mode: CliMode;
  readonly debug: boolean;
  readonly dryRun: boolean;
  /** `--no-app` or `--probe-only`. */
  readonly noApp: boolean;
  /** `--no-probe` or `--app-only`. */
  readonly noProbe: boolean;
  /** `$SCOPE_HOSTNAME`; '' = the OS hostname. */
  readonly hostname: string;
  readonly app: AppCliConfig;
  readonly probe: ProbeCliConfig;
  /** Positional arguments: the probe targets as given (see computeProbeTargets). */
  readonly targets: readonly string[];
  /** Non-fatal remarks to log at startup (e.g. an unknown Kubernetes role). */
  readonly warnings: readonly string[];
}
