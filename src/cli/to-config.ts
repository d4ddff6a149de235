// The one seam between the CLI's typed flags and the roles' own configuration types.
import { readFile } from 'node:fs/promises';
import type { LevelWithSilent } from 'pino';
import type { AppConfig } from '../app/config.js';
import { defaultProbeConfig, type ProbeConfig } from '../probe/config.js';
import type { BasicAuthSettings, CliConfig, LogLevel } from './config-types.js';
import { CliUsageError } from './errors.js';
import type { ProbeTarget } from './targets.js';

/** Facts from outside the command line that the roles need. */
export interface RuntimeFacts {
  /** OS hostname, used unless $SCOPE_HOSTNAME is set. */
  readonly osHostname: string;
  readonly version: string;
}

/** Scope's logrus levels → pino's (pino has no `panic`). */
export const toPinoLevel = (level: LogLevel): LevelWithSilent => (level === 'panic' ? 'fatal' : level);

/** `--app.*` → AppConfig. The app validates its own values (AppConfigError) when it starts. */
export function toAppConfig(config: CliConfig, facts: RuntimeFacts): AppConfig {
  const { app } = config;
  return {
    listenAddress: app.httpAddress,
    windowMillis: app.windowMillis,
    maxReportBytes: app.maxReportBytes,
    collector: app.collector,
    logLevel: toPinoLevel(app.logLevel),
    hostname: config.hostname || facts.osHostname,
    version: facts.version,
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
