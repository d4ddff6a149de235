// What the running roles can honour today. Flags parse for compatibility even when a role does
// not implement them yet; security settings among them must not be silently dropped.
import type { CliConfig } from './config-types.js';
import type { ParsedArgs } from './parse-args.js';

/**
 * Flags that to-config.ts maps into AppConfig/ProbeConfig (or that the CLI itself acts on).
 * Keep in step with the mapping: a flag missing here is reported as "accepted, not applied".
 */
export const APPLIED_FLAGS: ReadonlySet<string> = new Set([
  'mode', 'debug', 'dry-run', 'version', 'no-app', 'no-probe',
  'app.http.address', 'app.window', 'app.collector', 'app.max-report-bytes', 'app.log.level',
  'probe.publish.interval', 'probe.spy.interval', 'probe.full-report-every', 'probe.publish.stdout', 'probe.token',
  'probe.basicAuth', 'probe.basicAuth.username', 'probe.basicAuth.password', 'probe.basicAuth.password.filename',
  'probe.insecure', 'probe.no-controls', 'probe.omit.cmd-args', 'probe.omit.env-vars', 'probe.log.level',
  'probe.processes', 'probe.proc.spy', 'probe.proc.root', 'probe.conntrack', 'probe.docker', 'probe.docker.interval',
  'probe.docker.bridge', 'probe.kubernetes.role',
]);

/**
 * App protections asked for (by flag or environment) that the app cannot provide yet. Starting
 * without them would expose what the operator meant to protect, so the CLI refuses to start.
 */
export function unavailableProtections(config: CliConfig): string[] {
  if (config.mode !== 'app' && config.mode !== 'both') return [];
  const { app } = config;
  const missing: string[] = [];
  if (app.basicAuth.enabled) missing.push('--app.basicAuth (or ENABLE_BASIC_AUTH=true)');
  if (app.auth.enabled) missing.push('--app.auth / --app.auth.token / --app.auth.viewer-token / --app.auth.token-file');
  if (app.probeToken !== '') missing.push('--app.probe.token');
  if (app.tls !== undefined) missing.push('--app.tls.cert / --app.tls.key');
  if (app.auditLogPath !== '') missing.push('--app.audit-log');
  return missing;
}

/** Flags given for a role that runs, which that role does not apply yet (Weave Cloud ones excluded). */
export function notAppliedFlags(config: CliConfig, parsed: ParsedArgs): string[] {
  const runs = (role: string): boolean =>
    role === 'shared' || (role === 'app' ? config.mode !== 'probe' : config.mode !== 'app');
  const names = parsed.occurrences
    .filter(({ spec }) => spec.group !== 'compat' && runs(spec.role) && !APPLIED_FLAGS.has(spec.name))
    .map(({ name }) => `--${name}`);
  return [...new Set(names)];
}
