// ParsedArgs + environment → CliConfig: defaults, Scope's derived settings, env overrides (wire §1.7).
import { formatMillisAsGoDuration } from './duration.js';
import { CliUsageError } from './errors.js';
import { FLAGS_BY_NAME, type FlagValue } from './flags/index.js';
import type { ParsedArgs } from './parse-args.js';
import type {
  AppCliConfig,
  BasicAuthSettings,
  CliConfig,
  CliMode,
  ContainerLabelFilter,
  KubernetesRole,
  LogLevel,
  ProbeCliConfig,
} from './config-types.js';

/** Environment variables read (wire §1.7); pass `process.env`. */
export type CliEnv = Readonly<Record<string, string | undefined>>;

/** Listen address in mode `both` when `--app.http.address` is not given. */
export const BOTH_MODE_APP_ADDRESS = '127.0.0.1:4040';

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'fatal', 'panic'];

/** Typed reads of flag values, falling back to the table's default. */
class FlagReader {
  constructor(private readonly values: ReadonlyMap<string, FlagValue>) {}

  private raw(name: string, kind: string): FlagValue {
    const spec = FLAGS_BY_NAME.get(name);
    if (spec === undefined || spec.kind !== kind) throw new Error(`flag table: no ${kind} flag ${name}`);
    return this.values.get(name) ?? spec.default;
  }
  isSet(name: string): boolean {
    return this.values.has(name);
  }
  str(name: string): string {
    return this.raw(name, 'string') as string;
  }
  bool(name: string): boolean {
    return this.raw(name, 'bool') === true;
  }
  /** A bool flag that also takes words (`--app.auth=none`): the word, or the boolean. */
  boolOrWord(name: string): boolean | string {
    return this.raw(name, 'bool') as boolean | string;
  }
  int(name: string): number {
    return this.raw(name, 'int') as number;
  }
  millis(name: string): number {
    const nanos = this.raw(name, 'duration') as bigint;
    return Number(nanos) / 1e6;
  }
  list(name: string): readonly string[] {
    return this.raw(name, 'repeatable') as readonly string[];
  }
}

const bad = (flag: string, value: string, why: string): never => {
  throw new CliUsageError(`invalid value ${JSON.stringify(value)} for flag -${flag}: ${why}`);
};

/** Go's net.SplitHostPort, for `host:port` listen addresses (`:4040`, `[::1]:0`). */
export function splitHostPort(flag: string, address: string): { host: string; port: number } {
  const m = /^\[([^\]]*)\]:(\d+)$/.exec(address) ?? /^([^:[\]]*):(\d+)$/.exec(address);
  const port = Number(m?.[2]);
  if (m === null || port > 65535) return bad(flag, address, 'want host:port (e.g. :4040, 127.0.0.1:4040, [::1]:4040)');
  return { host: m[1] ?? '', port };
}

function logLevel(flag: string, value: string): LogLevel {
  const found = LOG_LEVELS.find((l) => l === value.toLowerCase());
  return found ?? bad(flag, value, `want one of ${LOG_LEVELS.join(', ')}`);
}

/** Scope's `Title:key=value` syntax; colons inside title or label are escaped as `\:`. */
function labelFilters(flag: string, values: readonly string[], exclude: boolean): ContainerLabelFilter[] {
  return values.map((value, n) => {
    const colons = [...value.matchAll(/(?<=[^\\]):/g)];
    if (colons.length !== 1) {
      return bad(flag, value, colons.length === 0 ? 'no unescaped colon between title and label' : 'more than one unescaped colon');
    }
    const at = colons[0]?.index ?? 0;
    const unescape = (s: string): string => s.replace(/\\(.)/g, '$1');
    const title = unescape(value.slice(0, at));
    const label = unescape(value.slice(at + 1)).split('=');
    if (label.length !== 2) return bad(flag, value, 'label is not key=value');
    // Scope's quirk (wire §1.6): include filters get the "Exclude" prefix and vice versa.
    const id = `${exclude ? 'containerLabelFilter' : 'containerLabelFilterExclude'}${n}`;
    return { id, title, key: label[0] ?? '', value: label[1] ?? '', exclude };
  });
}

function mode(f: FlagReader, help: boolean): CliMode {
  if (help) return 'help';
  if (f.bool('version')) return 'version';
  const m = f.str('mode');
  switch (m) {
    case 'app':
    case 'probe':
    case 'help':
    case 'version':
      return m;
    case '':
      // Scope's image entry-point hints pick one role when no mode is given.
      if (f.bool('no-app') && f.bool('no-probe')) return bad('mode', m, '--no-app and --no-probe leave nothing to run');
      if (f.bool('no-app')) return 'probe';
      if (f.bool('no-probe')) return 'app';
      return 'both';
    default:
      return bad('mode', m, 'want app, probe, help or version (or no --mode for both)');
  }
}

function basicAuth(f: FlagReader, role: 'app' | 'probe', env: CliEnv): BasicAuthSettings {
  const enableEnv = (env['ENABLE_BASIC_AUTH'] ?? '').toLowerCase();
  const nonEmpty = (v: string | undefined, fallback: string): string => (v === undefined || v === '' ? fallback : v);
  return {
    enabled: enableEnv === 'true' ? true : enableEnv === 'false' ? false : f.bool(`${role}.basicAuth`),
    username: nonEmpty(env['BASIC_AUTH_USERNAME'], f.str(`${role}.basicAuth.username`)),
    password: nonEmpty(env['BASIC_AUTH_PASSWORD'], f.str(`${role}.basicAuth.password`)),
    passwordFile: nonEmpty(env['BASIC_AUTH_PASSWORD_FILENAME'], f.str(`${role}.basicAuth.password.filename`)),
  };
}

function appConfig(f: FlagReader, m: CliMode, env: CliEnv, weaveHostname: string): AppCliConfig {
  const httpAddress = m === 'both' && !f.isSet('app.http.address') ? BOTH_MODE_APP_ADDRESS : f.str('app.http.address');
  const { host, port } = splitHostPort('app.http.address', httpAddress);
  const certFile = f.str('app.tls.cert');
  const keyFile = f.str('app.tls.key');
  if ((certFile === '') !== (keyFile === '')) {
    bad(certFile === '' ? 'app.tls.key' : 'app.tls.cert', certFile || keyFile, '--app.tls.cert and --app.tls.key go together');
  }
  const maxReportBytes = f.int('app.max-report-bytes');
  if (maxReportBytes <= 0) bad('app.max-report-bytes', String(maxReportBytes), 'must be positive');
  const windowMillis = f.millis('app.window');
  if (windowMillis <= 0) bad('app.window', formatMillisAsGoDuration(windowMillis), 'must be positive');
  const auth = {
    // $OPENSCOPE_APP_TOKEN keeps the secret out of `ps` output; the flag wins when both are given.
    adminToken: f.str('app.auth.token') || (env['OPENSCOPE_APP_TOKEN'] ?? ''),
    viewerToken: f.str('app.auth.viewer-token'),
    tokenFile: f.str('app.auth.token-file'),
    header: f.str('app.auth.header'),
    rolesFile: f.str('app.auth.roles-file'),
  };
  if ((auth.header === '') !== (auth.rolesFile === '')) {
    bad(auth.header === '' ? 'app.auth.roles-file' : 'app.auth.header', auth.header || auth.rolesFile, '--app.auth.header and --app.auth.roles-file go together');
  }
  return {
    httpAddress,
    listenHost: host,
    listenPort: port,
    windowMillis,
    collector: f.str('app.collector'),
    collectorRetentionMillis: f.millis('app.collector.retention'),
    collectorS3: f.str('app.collector.s3'),
    awsCreateTables: f.bool('app.aws.create.tables'),
    controlRouter: f.str('app.control.router'),
    pipeRouter: f.str('app.pipe.router'),
    maxReportBytes,
    maxTopologyNodes: f.int('app.max-topology-nodes'),
    stopTimeoutMillis: f.millis('app.stopTimeout'),
    logLevel: f.bool('debug') ? 'debug' : logLevel('app.log.level', f.str('app.log.level')),
    logPrefix: f.str('app.log.prefix'),
    logHttp: f.bool('app.log.http'),
    logHttpHeaders: f.bool('app.log.httpHeaders'),
    containerLabelFilters: [
      ...labelFilters('app.container-label-filter', f.list('app.container-label-filter'), false),
      ...labelFilters('app.container-label-filter-exclude', f.list('app.container-label-filter-exclude'), true),
    ],
    externalUi: f.bool('app.externalUI'),
    metricsGraphUrl: f.str('app.metrics-graph'),
    weave: {
      enabled: f.bool('weave'),
      addr: f.str('app.weave.addr'),
      hostname: f.str('app.weave.hostname') || weaveHostname,
      containerName: f.str('app.container.name'),
      dockerEndpoint: f.str('app.docker'),
    },
    basicAuth: basicAuth(f, 'app', env),
    auth: {
      enabled: f.bool('app.auth') || auth.adminToken !== '' || auth.viewerToken !== '' || auth.tokenFile !== '',
      none: f.boolOrWord('app.auth') === 'none',
      ...auth,
    },
    probeToken: f.str('app.probe.token'),
    ...(certFile === '' ? {} : { tls: { certFile, keyFile } }),
    auditLogPath: f.str('app.audit-log'),
  };
}

function kubernetesRole(value: string, warnings: string[]): KubernetesRole {
  if (value === '' || value === 'host' || value === 'cluster') return value;
  // Scope logs a warning and behaves as for the empty role.
  warnings.push(`unknown --probe.kubernetes.role ${JSON.stringify(value)}: acting as if empty (host and cluster roles)`);
  return '';
}

function probeConfig(f: FlagReader, m: CliMode, env: CliEnv, weaveHostname: string, warnings: string[]): ProbeCliConfig {
  const role = kubernetesRole(f.str('probe.kubernetes.role'), warnings);
  // Role `cluster` is the single cluster-wide agent: no host-local collection (wire §1.4).
  const hostLocal = role !== 'cluster';
  const publishIntervalMillis = f.millis('probe.publish.interval');
  const spyIntervalMillis = f.millis('probe.spy.interval');
  if (publishIntervalMillis <= 0) bad('probe.publish.interval', formatMillisAsGoDuration(publishIntervalMillis), 'must be positive');
  if (spyIntervalMillis <= 0) bad('probe.spy.interval', formatMillisAsGoDuration(spyIntervalMillis), 'must be positive');
  const httpListen = f.str('probe.http.listen');
  if (httpListen !== '') splitHostPort('probe.http.listen', httpListen);
  const nodeName = f.str('probe.kubernetes.node-name') || (env['KUBERNETES_NODENAME'] ?? '');
  const enabled = f.bool('probe.kubernetes') || role !== '';
  if (enabled && role === '' && nodeName === '') {
    warnings.push('Kubernetes enabled without --probe.kubernetes.node-name or $KUBERNETES_NODENAME: every probe reports every pod');
  }
  return {
    publishIntervalMillis,
    spyIntervalMillis,
    fullReportEvery: f.int('probe.full-report-every'),
    publishStdout: f.bool('probe.publish.stdout'),
    token: f.str('probe.token'),
    basicAuth: basicAuth(f, 'probe', env),
    insecure: f.bool('probe.insecure'),
    resolver: f.str('probe.resolver'),
    httpListen,
    pluginsRoot: f.str('probe.plugins.root'),
    noControls: f.bool('probe.no-controls'),
    omitCmdArgs: f.bool('probe.omit.cmd-args'),
    omitEnvVars: f.bool('probe.omit.env-vars'),
    logPrefix: f.str('probe.log.prefix'),
    logLevel: f.bool('debug') ? 'debug' : logLevel('probe.log.level', f.str('probe.log.level')),
    processes: hostLocal && f.bool('probe.processes'),
    procSpy: hostLocal && f.bool('probe.proc.spy'),
    procRoot: f.str('probe.proc.root'),
    conntrack: hostLocal && f.bool('probe.conntrack'),
    conntrackBufferBytes: f.int('probe.conntrack.buffersize'),
    ebpfConnections: hostLocal && f.bool('probe.ebpf.connections'),
    docker: {
      // Scope's flag default is false (its launcher passed true); the all-in-one mode is ours, for
      // a first look at this machine, and shows its containers unless told not to.
      enabled: m === 'both' && !f.isSet('probe.docker') ? true : f.bool('probe.docker'),
      intervalMillis: f.millis('probe.docker.interval'),
      bridge: f.str('probe.docker.bridge'),
    },
    cri: { enabled: f.bool('probe.cri'), endpoint: f.str('probe.cri.endpoint') },
    kubernetes: {
      enabled,
      role,
      nodeName,
      server: f.str('probe.kubernetes.server'),
      kubeconfig: f.str('probe.kubernetes.kubeconfig'),
      certificateAuthority: f.str('probe.kubernetes.certificate-authority'),
      clientCertificate: f.str('probe.kubernetes.client-certificate'),
      clientKey: f.str('probe.kubernetes.client-key'),
      cluster: f.str('probe.kubernetes.cluster'),
      context: f.str('probe.kubernetes.context'),
      user: f.str('probe.kubernetes.user'),
      insecureSkipTlsVerify: f.bool('probe.kubernetes.insecure-skip-tls-verify'),
      token: f.str('probe.kubernetes.token'),
      username: f.str('probe.kubernetes.username'),
      password: f.str('probe.kubernetes.password'),
    },
    weave: {
      enabled: f.bool('weave'),
      addr: f.str('probe.weave.addr'),
      hostname: f.str('probe.weave.hostname') || weaveHostname,
    },
  };
}

/**
 * Builds the typed configuration. Throws CliUsageError (exit 2) for values the flag parser
 * accepted syntactically but that make no sense (bad listen address, unknown mode or collector…).
 */
export function buildCliConfig(parsed: ParsedArgs, env: CliEnv): CliConfig {
  const f = new FlagReader(parsed.values);
  const warnings: string[] = [];
  const m = mode(f, parsed.help);
  const weaveHostname = f.str('weave.hostname');
  return {
    mode: m,
    debug: f.bool('debug'),
    dryRun: f.bool('dry-run'),
    noApp: f.bool('no-app'),
    noProbe: f.bool('no-probe'),
    hostname: env['SCOPE_HOSTNAME'] ?? '',
    app: appConfig(f, m, env, weaveHostname),
    probe: probeConfig(f, m, env, weaveHostname, warnings),
    targets: parsed.positionals,
    warnings,
  };
}
