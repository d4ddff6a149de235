// Auth the CLI decides at start (issue #7): a generated login token when the app listens beyond
// loopback with no auth configured (like Jupyter), a generated probe token shared by the app and
// the probe of one process, the reverse-proxy header with its roles file, and `--app.auth=none`.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { AppConfig } from '../app/config.js';
import type { Role } from '../app/auth.js';
import type { CliConfig } from './config-types.js';
import { CliUsageError } from './errors.js';

/** What {@link decideAuth} settled on. */
export interface AuthDecision {
  readonly appConfig: AppConfig;
  /** Set when a login token was generated: the CLI prints the login URL with it. */
  readonly loginToken?: string;
  /** Set in mode `both` when the app and its in-process probe share a generated probe token. */
  readonly sharedProbeToken?: string;
  /** Lines to log at warn level. */
  readonly warnings: readonly string[];
}

/** A fresh unguessable token (192 bits, URL-safe). */
export const generateToken = (): string => randomBytes(24).toString('base64url');

/** Whether a listen host reaches this machine only ('' and wildcards do not). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1' || h === '::ffff:127.0.0.1';
}

/** Parses `<user> <admin|operator|viewer>` lines (blank lines and `#` comments skipped). */
export function parseRolesFile(text: string, path: string): Map<string, Role> {
  const roles = new Map<string, Role>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const [user, role, ...rest] = line.split(/\s+/);
    if (user === undefined || (role !== 'admin' && role !== 'operator' && role !== 'viewer') || rest.length > 0) {
      throw new CliUsageError(`--app.auth.roles-file ${path} line ${index + 1}: want "<user> admin|operator|viewer"`);
    }
    roles.set(user, role);
  });
  return roles;
}

async function readRolesFile(path: string): Promise<Map<string, Role>> {
  try {
    return parseRolesFile(await readFile(path, 'utf8'), path);
  } catch (err) {
    if (err instanceof CliUsageError) throw err;
    throw new CliUsageError(`cannot read --app.auth.roles-file ${JSON.stringify(path)}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Completes `appConfig.auth` from the CLI's auth flags and where the app listens. */
export async function decideAuth(config: CliConfig, appConfig: AppConfig): Promise<AuthDecision> {
  const { app } = config;
  let auth = { ...appConfig.auth };
  const warnings: string[] = [];
  if (app.auth.header !== '') {
    auth = { ...auth, proxy: { header: app.auth.header, roles: await readRolesFile(app.auth.rolesFile) } };
  }
  const peopleAuth = auth.basic !== undefined || (auth.tokens?.length ?? 0) > 0 || auth.proxy !== undefined;
  let loginToken: string | undefined;
  if (app.auth.none) {
    if (peopleAuth) throw new CliUsageError('--app.auth=none cannot be combined with basic auth, tokens or --app.auth.header');
    warnings.push(`authentication is off (--app.auth=none): anyone who reaches ${app.httpAddress} can run controls and open shells`);
  } else if (!peopleAuth && !isLoopbackHost(app.listenHost)) {
    loginToken = generateToken();
    auth = { ...auth, tokens: [{ token: loginToken, role: 'admin' }] };
  }
  let sharedProbeToken: string | undefined;
  if (config.mode === 'both' && (auth.probeToken ?? '') === '' && auth.basic === undefined && config.targets.length === 0) {
    sharedProbeToken = generateToken();
    auth = { ...auth, probeToken: sharedProbeToken };
  }
  if (!app.auth.none && (auth.probeToken ?? '') === '' && auth.basic === undefined && !isLoopbackHost(app.listenHost)) {
    warnings.push('probes are not authenticated: anyone who reaches the app can publish reports (set --app.probe.token)');
  }
  return {
    appConfig: { ...appConfig, auth },
    ...(loginToken === undefined ? {} : { loginToken }),
    ...(sharedProbeToken === undefined ? {} : { sharedProbeToken }),
    warnings,
  };
}
