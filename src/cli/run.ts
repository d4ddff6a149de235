// The CLI's control flow: parse → help/version/dry-run or start the roles → shut down on signals.
import { hostname as osHostname } from 'node:os';
import { AppConfigError } from '../app/config.js';
import { createLogger, type Logger } from '../common/log.js';
import { buildCliConfig, type CliEnv } from './config.js';
import type { CliConfig } from './config-types.js';
import { CliUsageError } from './errors.js';
import { parseArgs, type ParsedArgs } from './parse-args.js';
import { loadStartApp, loadStartProbe, RoleUnavailableError, type RunningApp } from './roles.js';
import { installShutdownHandlers, type Closable } from './shutdown.js';
import { censoredArgs } from './startup-log.js';
import { applyProbeProcessFlags } from './node-flags.js';
import { notAppliedFlags } from './support.js';
import { computeProbeTargets, parseTarget, withDefaultToken, type ProbeTarget } from './targets.js';
import { loadAppSecrets, resolvePassword, type AppSecrets, toAppConfig, toPinoLevel, toProbeConfig, type RuntimeFacts } from './to-config.js';
import { usageText } from './usage.js';
import { decideAuth } from './auth-defaults.js';
import { packageVersion } from './version.js';

const PROGRAM = 'openscope';

/** Where the CLI writes and what it reads; main passes the real process's. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: CliEnv;
}

/** The outcome of the synchronous part: exit now with a code, or run the roles. */
export type Prepared =
  | { readonly kind: 'exit'; readonly code: number }
  | { readonly kind: 'run'; readonly config: CliConfig; readonly parsed: ParsedArgs; readonly targets: readonly ProbeTarget[] };

/**
 * Parses the command line and handles everything that needs no role: usage errors (one line on
 * stderr, exit 2), `--help`, `--version`, `--dry-run`.
 */
export function prepare(argv: readonly string[], io: CliIo): Prepared {
  try {
    const parsed = parseArgs(argv);
    const config = buildCliConfig(parsed, io.env);
    if (config.mode === 'help') {
      io.out(usageText(PROGRAM));
      return { kind: 'exit', code: 0 };
    }
    if (config.mode === 'version') {
      io.out(`${PROGRAM} ${packageVersion()}\n`);
      return { kind: 'exit', code: 0 };
    }
    // Scope computes (and so validates) the probe targets in probe mode and on --dry-run.
    const targets = config.mode === 'probe' || config.dryRun ? computeProbeTargets(config) : [];
    if (config.dryRun) return { kind: 'exit', code: 0 };
    return { kind: 'run', config, parsed, targets };
  } catch (err) {
    if (err instanceof CliUsageError) {
      io.err(`${PROGRAM}: ${err.message}\n`);
      return { kind: 'exit', code: err.exitCode };
    }
    throw err;
  }
}

/**
 * `host:port` (or `[v6]:port`) the app bound → the URL a probe in the same process uses:
 * a wildcard address is reached on 127.0.0.1; `https` when the app serves TLS.
 */
export function localAppUrl(address: string, scheme: 'http' | 'https' = 'http'): string {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = address.slice(colon + 1);
  const wildcard = host === '' || host === '0.0.0.0' || host === '::';
  const target = wildcard ? '127.0.0.1' : host;
  return `${scheme}://${target.includes(':') ? `[${target}]` : target}:${port}`;
}

/** `http(s)://<host>:<port>/?token=…`: the listen host, or this machine's name for a wildcard. */
function loginUrl(app: RunningApp, listenHost: string, osHostname: string, token: string): string {
  const host = listenHost === '' || listenHost === '0.0.0.0' || listenHost === '::' ? osHostname : listenHost;
  const scheme = app.url.startsWith('https:') ? 'https' : 'http';
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${app.port}${new URL(app.url).pathname}?token=${token}`;
}

async function startRoles(
  config: CliConfig,
  targets: readonly ProbeTarget[],
  facts: RuntimeFacts,
  started: Closable[],
  log: Logger,
): Promise<void> {
  let app: RunningApp | undefined;
  let appSecrets: AppSecrets | undefined;
  let sharedProbeToken: string | undefined;
  if (config.mode === 'app' || config.mode === 'both') {
    appSecrets = await loadAppSecrets(config);
    const decided = await decideAuth(config, toAppConfig(config, facts, appSecrets));
    for (const warning of decided.warnings) log.warn(warning);
    sharedProbeToken = decided.sharedProbeToken;
    const startApp = await loadStartApp();
    app = await startApp(decided.appConfig, createLogger({ name: 'app', level: toPinoLevel(config.app.logLevel) }));
    started.unshift(app);
    log.info(`app listening on ${app.address}`);
    if (decided.loginToken !== undefined) {
      const url = loginUrl(app, config.app.listenHost, facts.osHostname, decided.loginToken);
      log.warn(`no authentication configured and the app listens beyond loopback: a login token was generated. Open ${url}`);
      process.stderr.write(`\n    To log in to OpenScope, open this URL in a browser:\n        ${url}\n\n`);
    }
  }
  if (config.mode === 'probe' || config.mode === 'both') {
    let probeTargets = targets;
    let basicAuth = config.probe.basicAuth;
    let password: string | undefined;
    let insecure = config.probe.insecure;
    if (app !== undefined && appSecrets !== undefined) {
      // One process: the probe publishes to its own app (with the credentials that app wants),
      // then to any app named on the command line.
      const tls = config.app.tls !== undefined;
      const local = parseTarget(localAppUrl(app.address, tls ? 'https' : 'http'));
      const token = config.app.probeToken || sharedProbeToken || config.probe.token;
      probeTargets = [
        withDefaultToken(local, token),
        ...config.targets.map((t) => withDefaultToken(parseTarget(t), config.probe.token)),
      ];
      if (!basicAuth.enabled && config.app.basicAuth.enabled) {
        basicAuth = config.app.basicAuth;
        password = appSecrets.basicAuthPassword;
      }
      // Our own certificate need not name 127.0.0.1; skipping verification of a loopback connection
      // to ourselves is safe, but not when other apps are targets too.
      if (tls && !insecure) {
        if (config.targets.length === 0) insecure = true;
        else log.warn('the app serves TLS: the in-process probe verifies its certificate for 127.0.0.1 (use --probe.insecure if it does not name it)');
      }
    }
    password ??= basicAuth.enabled ? await resolvePassword(basicAuth, 'probe.basicAuth.password.filename') : basicAuth.password;
    // Probe-only V8 settings (node-flags.ts), never under an app in the same process.
    if (app === undefined) applyProbeProcessFlags();
    const startProbe = await loadStartProbe();
    const probeConfig = { ...toProbeConfig(config, probeTargets, { ...basicAuth, password }, facts), insecure };
    log.info(`publishing to: ${probeTargets.map((t) => t.url).join(', ') || '(nowhere)'}`);
    started.unshift(await startProbe(probeConfig, createLogger({ name: 'probe', level: toPinoLevel(config.probe.logLevel) })));
  }
}

/** Exit code for an error while starting: 2 for configuration mistakes, 1 for everything else. */
function startFailure(err: unknown): { code: number; message: string } {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof CliUsageError || err instanceof AppConfigError) return { code: 2, message };
  if (err instanceof RoleUnavailableError) return { code: 1, message };
  return { code: 1, message: `cannot start: ${message}` };
}

/** Runs the CLI in this process; returns once the roles are up (signals end it). */
export async function main(argv: readonly string[]): Promise<void> {
  const io: CliIo = {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
  };
  const prepared = prepare(argv, io);
  if (prepared.kind === 'exit') {
    process.exitCode = prepared.code;
    return;
  }
  const { config, parsed, targets } = prepared;
  const log = createLogger({ name: PROGRAM, level: config.debug ? 'debug' : 'info' });
  log.info(`command line args: ${censoredArgs(parsed)}`);
  for (const warning of config.warnings) log.warn(warning);
  const ignored = notAppliedFlags(config, parsed);
  if (ignored.length > 0) log.warn(`accepted for compatibility but not applied yet: ${ignored.join(' ')}`);

  const started: Closable[] = []; // in closing order: probe first, then app
  const exit = (code: number): void => {
    log.flush();
    process.exit(code);
  };
  installShutdownHandlers({ roles: started, exit, log: (m) => log.info(m) });
  try {
    await startRoles(config, targets, { osHostname: osHostname(), version: packageVersion() }, started, log);
  } catch (err) {
    const failure = startFailure(err);
    io.err(`${PROGRAM}: ${failure.message}\n`);
    for (const role of started) await role.close().catch(() => undefined);
    exit(failure.code);
  }
}
