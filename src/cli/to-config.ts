// The one seam between the CLI's typed flags and the roles' own configuration types.
import { readFile } from 'node:fs/promises';
import type { LevelWithSilent } from 'pino';
import type { AuthConfig } from '../app/auth.js';
import type { AppConfig } from '../app/config.js';
import { defaultProbeConfig, type ProbeConfig } from '../probe/config.js';
import type { BasicAuthSettings, CliConfig, LogLevel } from './config-types.js';
import { CliUsageError } from './errors.js';
import type { ProbeTarget } from './targets.js';
import { readTokenFile, type RoleToken } from './token-file.js';

/** Facts from outside the command line that the roles need. */
export interface RuntimeFacts {
  /** OS hostname, used unless $SCOPE_HOSTNAME is set. */
  readonly osHostname: string;
  readonly version: string;
}

/** Scope's logrus levels → pino's (pino has no `panic`). */
export const toPinoLevel = (level: LogLevel): LevelWithSilent => (level === 'panic' ? 'fatal' : level);

/** App secrets that live in files, read at startup (see loadAppSecrets). */
export interface AppSecrets {
  /** The basic-auth password (flag value, or the content of its password file). */
  readonly basicAuthPassword: string;
  /** Tokens from `--app.auth.token-file` (empty when none). */
  readonly fileTokens: readonly RoleToken[];
}

/** Reads `--app.basicAuth.password.filename` and `--app.auth.token-file` when given. */
export async function loadAppSecrets(config: CliConfig): Promise<AppSecrets> {
  const { app } = config;
  return {
    basicAuthPassword: app.basicAuth.enabled ? await resolvePassword(app.basicAuth, 'app.basicAuth.password.filename') : '',
    fileTokens: app.auth.tokenFile === '' ? [] : await readTokenFile(app.auth.tokenFile),
  };
}

function authConfig(config: CliConfig, secrets: AppSecrets): AuthConfig {
  const { app } = config;
  const tokens: RoleToken[] = [
    ...(app.auth.adminToken === '' ? [] : [{ token: app.auth.adminToken, role: 'admin' as const }]),
    ...(app.auth.viewerToken === '' ? [] : [{ token: app.auth.viewerToken, role: 'viewer' as const }]),
    ...secrets.fileTokens,
  ];
  if (app.auth.enabled && tokens.length === 0) {
    throw new CliUsageError('--app.auth needs a token: --app.auth.token, --app.auth.viewer-token or --app.auth.token-file');
  }
  return {
    ...(app.basicAuth.enabled ? { basic: { username: app.basicAuth.username, password: secrets.basicAuthPassword } } : {}),
    ...(tokens.length > 0 ? { tokens } : {}),
    ...(app.probeToken === '' ? {} : { probeToken: app.probeToken }),
  };
}

/** `--app.*` → AppConfig. The app validates its own values (AppConfigError) when it starts. */
export function toAppConfig(config: CliConfig, facts: RuntimeFacts, secrets: AppSecrets): AppConfig {
  const { app } = config;
  return {
    listenAddress: app.httpAddress,
    windowMillis: app.windowMillis,
    maxReportBytes: app.maxReportBytes,
    collector: app.collector,
    collectorRetentionMillis: app.collectorRetentionMillis,
    logLevel: toPinoLevel(app.logLevel),
    hostname: config.hostname || facts.osHostname,
    version: facts.version,
    gracefulStopMillis: app.stopTimeoutMillis,
    logHttp: app.logHttp,
    logHttpHeaders: app.logHttpHeaders,
    auth: authConfig(config, secrets),
    ...(app.tls === undefined ? {} : { tls: { certFile: app.tls.certFile, keyFile: app.tls.keyFile } }),
    ...(app.auditLogPath === '' ? {} : { auditLogFile: app.auditLogPath }),
    // AWS collector and cross-replica routers: only when set (the defaults are the app's own).
    ...(app.collectorS3 === 'local' ? {} : { collectorS3: app.collectorS3 }),
    ...(app.awsCreateTables ? { awsCreateTables: true } : {}),
    ...(app.controlRouter === 'local' ? {} : { controlRouter: app.controlRouter }),
    ...(app.pipeRouter === 'local' ? {} : { pipeRouter: app.pipeRouter }),
  };
}

/**
 * `--probe.*` and the computed targets → ProbeConfig. `basicAuthPassword` must already be
 * resolved (see resolvePassword) because the password may live in a file.
 */
export function toProbeConfig(
  config: CliConfig,
  targets: readonly ProbeTarget[],
  basicAuth: { readonly enabled: boolean; readonly username: string; readonly password: string },
  facts: RuntimeFacts,
): ProbeConfig {
  const { probe } = config;
  // Starting from the probe's defaults keeps fields the CLI has no flag for (timeouts, budgets).
  return defaultProbeConfig({
    targets: targets.map((t) => (t.token === undefined ? { url: t.url } : { url: t.url, token: t.token })),
    hostId: config.hostname || facts.osHostname,
    spyIntervalMillis: probe.spyIntervalMillis,
    publishIntervalMillis: probe.publishIntervalMillis,
    fullReportEvery: probe.fullReportEvery,
    processes: probe.processes,
    procSpy: probe.procSpy,
    procRoot: probe.procRoot,
    conntrack: probe.conntrack,
    ebpfConnections: probe.ebpfConnections,
    omitCmdArgs: probe.omitCmdArgs,
    noControls: probe.noControls,
    token: probe.token,
    basicAuth: basicAuth.enabled,
    basicAuthUsername: basicAuth.username,
    basicAuthPassword: basicAuth.password,
    insecure: probe.insecure,
    publishStdout: probe.publishStdout,
    docker: probe.docker.enabled,
    dockerIntervalMillis: probe.docker.intervalMillis,
    dockerBridge: probe.docker.bridge,
    omitEnvVars: probe.omitEnvVars,
    kubernetesRole: probe.kubernetes.role,
    kubernetes: probe.kubernetes.enabled,
    kubernetesNodeName: probe.kubernetes.nodeName,
    kubernetesConnection: {
      server: probe.kubernetes.server,
      kubeconfig: probe.kubernetes.kubeconfig,
      certificateAuthority: probe.kubernetes.certificateAuthority,
      clientCertificate: probe.kubernetes.clientCertificate,
      clientKey: probe.kubernetes.clientKey,
      cluster: probe.kubernetes.cluster,
      context: probe.kubernetes.context,
      user: probe.kubernetes.user,
      insecureSkipTlsVerify: probe.kubernetes.insecureSkipTlsVerify,
      token: probe.kubernetes.token,
      username: probe.kubernetes.username,
      password: probe.kubernetes.password,
    },
    cri: probe.cri.enabled,
    criEndpoint: probe.cri.endpoint,
    version: facts.version,
  });
}

/**
 * The basic-auth password: the whole content of `passwordFile` when set (a trailing newline is
 * kept, as Scope does), else the flag value. An unreadable file is a usage error naming it.
 */
export async function resolvePassword(settings: BasicAuthSettings, flag: string): Promise<string> {
  if (settings.passwordFile === '') return settings.password;
  try {
    return await readFile(settings.passwordFile, 'utf8');
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new CliUsageError(`cannot read --${flag} ${JSON.stringify(settings.passwordFile)}: ${why}`);
  }
}
