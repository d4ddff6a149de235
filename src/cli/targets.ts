// Where a probe publishes (wire §1.5): Scope's target rules and appclient.ParseTargets normalisation.
import { CliUsageError } from './errors.js';

/** Scope's default app port (common/xfer.AppPort). */
export const DEFAULT_APP_PORT = 4040;
/** Target used when a token is set and no target is given (Weave Cloud). */
export const DEFAULT_SERVICE_TARGET = 'https://cloud.weave.works.:443';

/** One app a probe publishes to. */
export interface ProbeTarget {
  /** `<scheme>://<host>:<port><path>`: explicit port, no userinfo; requests go to `${url}/api/...`. */
  readonly url: string;
  /** Host name or IP without brackets or port (what gets resolved). */
  readonly hostname: string;
  readonly port: number;
  /** Token for this app: the URL's username, else `--probe.token`; absent when neither is set. */
  readonly token?: string;
  /** The argument as given (before normalisation). */
  readonly original: string;
}

const invalid = (target: string, why: string): never => {
  throw new CliUsageError(`invalid probe target ${JSON.stringify(target)}: ${why}`);
};

/**
 * Normalises one target like Scope's appclient.ParseTargets: no `://` → `https://` when it ends in
 * `:443`, else `http://`; an explicit port is kept, otherwise 4040 when the scheme was added, 443
 * for https and 80 for http; the username of `https://TOKEN@host` becomes the target's token.
 */
export function parseTarget(target: string): ProbeTarget {
  let withScheme = target;
  const schemeAdded = !target.includes('://');
  if (schemeAdded) withScheme = (target.endsWith(':443') ? 'https://' : 'http://') + target;

  const schemeEnd = withScheme.indexOf('://');
  const scheme = withScheme.slice(0, schemeEnd).toLowerCase();
  if (!/^[a-z][a-z0-9+.-]*$/.test(scheme)) invalid(target, 'bad scheme');
  if (scheme !== 'http' && scheme !== 'https') invalid(target, `unsupported scheme ${scheme}`);
  const rest = withScheme.slice(schemeEnd + 3);
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  const path = authorityEnd < 0 ? '' : rest.slice(authorityEnd).replace(/[?#].*$/, '').replace(/\/+$/, '');
  const at = authority.lastIndexOf('@');
  const userinfo = at < 0 ? undefined : authority.slice(0, at);
  const hostPort = at < 0 ? authority : authority.slice(at + 1);

  let hostname: string;
  let port: number;
  // `[v6]` without a port: Go's SplitHostPort fails on it; we apply the default port instead.
  const bracketedOnly = /^\[([^\]]*)\]$/.exec(hostPort);
  if (bracketedOnly === null && hostPort.includes(':')) {
    // net.SplitHostPort: `[v6]:port` or `host:port` with exactly one colon.
    const m = /^\[([^\]]*)\]:([^:]*)$/.exec(hostPort) ?? /^([^:[\]]*):([^:]*)$/.exec(hostPort);
    if (m === null) return invalid(target, 'expected host:port (IPv6 addresses in brackets)');
    hostname = m[1] ?? '';
    const portText = m[2] ?? '';
    if (!/^\d+$/.test(portText) || Number(portText) > 65535) return invalid(target, `bad port ${JSON.stringify(portText)}`);
    port = Number(portText);
  } else {
    hostname = bracketedOnly?.[1] ?? hostPort;
    port = schemeAdded ? DEFAULT_APP_PORT : scheme === 'https' ? 443 : 80;
  }
  if (hostname === '') invalid(target, 'missing host');

  const hostForUrl = hostname.includes(':') ? `[${hostname}]` : hostname;
  const url = `${scheme}://${hostForUrl}:${port}${path}`;
  try {
    new URL(url); // rejects spaces and other characters a URL host cannot hold
  } catch {
    invalid(target, 'not a valid URL');
  }
  let token: string | undefined;
  if (userinfo !== undefined) {
    const username = userinfo.split(':')[0] ?? '';
    try {
      token = decodeURIComponent(username);
    } catch {
      invalid(target, 'bad percent-encoding in the token');
    }
  }
  return token === undefined || token === ''
    ? { url, hostname, port, original: target }
    : { url, hostname, port, token, original: target };
}

/** What computeProbeTargets reads; CliConfig is one (tests may pass plain objects). */
export interface TargetInputs {
  readonly mode: string;
  readonly dryRun: boolean;
  readonly targets: readonly string[];
  /** `--no-app` or `--probe-only`. */
  readonly noApp: boolean;
  /** `token`: `--probe.token` ('' = none). */
  readonly probe: { readonly token: string };
  /** `listenPort`: port part of `--app.http.address`. */
  readonly app: { readonly listenPort: number };
}

/**
 * The target strings of wire §1.5, before normalisation. In `probe` mode (or with `--dry-run`):
 * a token and no targets → Weave Cloud; else, unless `--no-app`/`--probe-only`,
 * `127.0.0.1:<app port>`; then every positional. Other modes: only the targets.
 */
export function probeTargetArgs(inputs: TargetInputs): string[] {
  const args: string[] = [];
  if (inputs.mode === 'probe' || inputs.dryRun) {
    if (inputs.probe.token !== '') {
      if (inputs.targets.length === 0) args.push(DEFAULT_SERVICE_TARGET);
    } else if (!inputs.noApp) {
      // 127.0.0.1 rather than localhost on purpose (exotic DNS setups), as Scope.
      args.push(`127.0.0.1:${inputs.app.listenPort}`);
    }
  }
  args.push(...inputs.targets);
  return args;
}

/** probeTargetArgs, normalised; `--probe.token` is the token of targets without their own. */
export function computeProbeTargets(inputs: TargetInputs): ProbeTarget[] {
  return probeTargetArgs(inputs).map((arg) => withDefaultToken(parseTarget(arg), inputs.probe.token));
}

/** Gives a target the default token unless its URL carried one. */
export function withDefaultToken(target: ProbeTarget, token: string): ProbeTarget {
  return target.token !== undefined || token === '' ? target : { ...target, token };
}
