// What the running roles can honour today: flags parse for compatibility even when a role does
// not implement them yet, and the operator is told which ones are not applied.
import type { CliConfig } from './config-types.js';
import type { ParsedArgs } from './parse-args.js';

/**
 * Flags that to-config.ts maps into AppConfig/ProbeConfig (or that the CLI itself acts on).
 * Keep in step with the mapping: a flag missing here is reported as "accepted, not applied".
 */
export const APPLIED_FLAGS: ReadonlySet<string> = new Set([
  'mode', 'debug', 'dry-run', 'version', 'no-app', 'no-probe',
  'app.http.address', 'app.window', 'app.collector', 'app.collector.retention', 'app.collector.s3', 'app.aws.create.tables',
  'app.control.router', 'app.pipe.router', 'app.max-report-bytes', 'app.log.level', 'app.stopTimeout',
  'app.log.http', 'app.log.httpHeaders', 'app.basicAuth', 'app.basicAuth.username', 'app.basicAuth.password',
  'app.basicAuth.password.filename', 'app.auth', 'app.auth.token', 'app.auth.viewer-token', 'app.auth.token-file', 'app.auth.header', 'app.auth.roles-file',
  'app.probe.token', 'app.tls.cert', 'app.tls.key', 'app.audit-log',
  'probe.publish.interval', 'probe.spy.interval', 'probe.full-report-every', 'probe.publish.stdout', 'probe.token',
  'probe.basicAuth', 'probe.basicAuth.username', 'probe.basicAuth.password', 'probe.basicAuth.password.filename',
  'probe.insecure', 'probe.no-controls', 'probe.omit.cmd-args', 'probe.omit.env-vars', 'probe.log.level',
  'probe.processes', 'probe.proc.spy', 'probe.proc.root', 'probe.conntrack', 'probe.ebpf.connections', 'probe.docker', 'probe.docker.interval',
  'probe.docker.bridge', 'probe.kubernetes.role',
  'probe.kubernetes', 'probe.kubernetes.node-name', 'probe.kubernetes.server', 'probe.kubernetes.kubeconfig',
  'probe.kubernetes.certificate-authority', 'probe.kubernetes.client-certificate', 'probe.kubernetes.client-key',
  'probe.kubernetes.cluster', 'probe.kubernetes.context', 'probe.kubernetes.user', 'probe.kubernetes.insecure-skip-tls-verify',
  'probe.kubernetes.token', 'probe.kubernetes.username', 'probe.kubernetes.password',
]);

/** Flags given for a role that runs, which that role does not apply yet (Weave Cloud ones excluded). */
export function notAppliedFlags(config: CliConfig, parsed: ParsedArgs): string[] {
  const runs = (role: string): boolean =>
    role === 'shared' || (role === 'app' ? config.mode !== 'probe' : config.mode !== 'app');
  // Turning off (false, '') a feature that is not implemented is honoured by definition.
  const turnsOff = (name: string): boolean => {
    const value = parsed.values.get(name);
    return value === false || value === '';
  };
  const names = parsed.occurrences
    .filter(({ spec }) => spec.group !== 'compat' && runs(spec.role) && !APPLIED_FLAGS.has(spec.name) && !turnsOff(spec.name))
    .map(({ name }) => `--${name}`);
  return [...new Set(names)];
}
