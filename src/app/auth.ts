/**
 * Who may call what (issue #7). Schemes, all off by default (Scope's app had only the first):
 * - HTTP basic auth on every route, probes included (Scope's `--app.basicAuth`); the user is admin;
 * - bearer tokens for people, each with a role (see roles.ts). Browsers cannot put headers on
 *   websockets, so a token is also taken from the `openscope_token` cookie, which a page load with
 *   `?token=<t>` sets (and is then redirected to the same page without the token);
 * - a reverse proxy's user header (`--app.auth.header`), users mapped to roles by a roles file;
 * - a probe token that probes present as `Authorization: Scope-Probe token=<t>` (wire §4.1) to
 *   publish reports, hold the control channel and open the probe end of pipes.
 * With no scheme for people, everyone is admin (loopback-only apps, or `--app.auth=none`).
 * Cross-origin websockets and state-changing requests are refused whatever the scheme.
 * `/api/health` is always open, so liveness checks need no secret.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuditSink } from './audit.js';
import { crossOriginRefusal } from './browser-safety.js';
import { BadPathError, rawSegments, sendError } from './http.js';
import { atLeast, mayRunControl, roleForControl, type Role } from './roles.js';

export type { Role } from './roles.js';
/** Role of a bearer token. */
export type TokenRole = Role;

/** Authentication settings of the app; every field optional, absent = that scheme off. */
export interface AuthConfig {
  /** Basic auth on every route (probes send it with `--probe.basicAuth`). Excludes the token schemes. */
  basic?: { username: string; password: string };
  /** Bearer tokens for people; non-empty turns token auth on for every non-probe route. */
  tokens?: ReadonlyArray<{ token: string; role: TokenRole }>;
  /**
   * Trust a reverse proxy's user header (e.g. `X-Forwarded-User`): the user named there gets the
   * role `roles` maps it to; a user not in the map, or no header, is refused (401).
   */
  proxy?: { header: string; roles: ReadonlyMap<string, Role> };
  /** Token probes must present on probe routes; '' or absent = probes are not checked. */
  probeToken?: string;
}

/** Cookie that carries a person's token for the browser's XHRs and websockets. */
export const TOKEN_COOKIE = 'openscope_token';

/** How a request was let in, for the audit log. */
export type Principal = 'anonymous' | 'basic' | 'admin' | 'operator' | 'viewer' | 'proxy' | 'probe';

/** Who a request was let in as. */
export interface Caller {
  principal: Principal;
  /** The role it acts with; open apps and basic auth give admin, probes none. */
  role: Role | undefined;
  /** A name for the audit log: the basic-auth or proxy user, or `<role>-token`. */
  user: string;
}

/** What a route needs. `identity` is `GET /api`, which probes call to learn the app id (wire §4.2). */
type Access = 'open' | 'probe' | 'control' | 'pipe' | 'probe-or-pipe' | 'view' | 'identity';

/** Route (pattern below the base path) → what it needs. */
function accessOf(method: string, route: string): Access {
  if (route === '/api/health') return 'open';
  if (route === '/api') return 'identity';
  if ((method === 'POST' && route === '/api/report') || route === '/api/control/ws' || route === '/api/pipe/:id/probe') {
    return 'probe';
  }
  if (route === '/api/pipe/:id' && (method === 'DELETE' || method === 'POST')) return 'probe-or-pipe';
  if (route === '/api/control/:probeId/:nodeId/:control') return 'control';
  if (route.startsWith('/api/pipe/')) return 'pipe';
  return 'view';
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Constant-time string equality (hashing first makes the lengths equal). */
function same(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

function cookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** `?token=` of the raw URL, if any. */
function queryToken(request: FastifyRequest): string | undefined {
  const url = request.raw.url ?? '';
  const q = url.indexOf('?');
  if (q === -1) return undefined;
  return new URLSearchParams(url.slice(q + 1)).get('token') ?? undefined;
}

/** The raw URL without its `token` query parameter (where a `?token=` page load is sent next). */
function withoutToken(request: FastifyRequest): string {
  const url = request.raw.url ?? '/';
  const q = url.indexOf('?');
  const params = new URLSearchParams(url.slice(q + 1));
  params.delete('token');
  const rest = params.toString();
  return `${url.slice(0, q)}${rest === '' ? '' : `?${rest}`}`;
}

const OPEN: Caller = { principal: 'anonymous', role: 'admin', user: 'anonymous' };
const PROBE: Caller = { principal: 'probe', role: undefined, user: 'probe' };
const PROBE_AUTHORIZATION = /^Scope-Probe token=(.*)$/;

/** Checks requests against an {@link AuthConfig}; use {@link Authenticator.hook} as a fastify `onRequest` hook. */
export class Authenticator {
  private readonly tokens: ReadonlyArray<{ token: string; role: TokenRole }>;
  private readonly callers = new WeakMap<FastifyRequest, Caller>();
  /** Digest of the probe token, taken once: each probe request hashes only what it presents. */
  private readonly probeDigest: Buffer | undefined;

  constructor(
    private readonly config: AuthConfig,
    private readonly basePath: string,
    /** Whether the app serves HTTPS (the token cookie is then `Secure`). */
    private readonly secure: boolean,
    /** Where refused control attempts are recorded. */
    private readonly audit?: AuditSink,
  ) {
    this.tokens = (config.tokens ?? []).filter((t) => t.token !== '');
    this.probeDigest = config.probeToken ? digest(config.probeToken) : undefined;
  }

  /** Whether people must authenticate (basic, tokens or a proxy header). */
  get peopleAuth(): boolean {
    return this.config.basic !== undefined || this.tokens.length > 0 || this.config.proxy !== undefined;
  }

  /** How `request` was let in ('anonymous' when no scheme applied). */
  principal(request: FastifyRequest): Principal {
    return this.caller(request).principal;
  }

  /** Who `request` was let in as (an open app's callers are anonymous admins). */
  caller(request: FastifyRequest): Caller {
    return this.callers.get(request) ?? OPEN;
  }

  /**
   * The onRequest hook: answers 401/403 itself, or lets the request through. Callback style
   * (no promise per request); fastify goes no further with a request this has answered.
   */
  readonly hook = (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void => {
    this.check(request, reply);
    done();
  };

  /** Answers 401/403 (or a `?token=` page load's redirect), or leaves the request alone. */
  private check(request: FastifyRequest, reply: FastifyReply): void {
    const pattern = request.routeOptions.url ?? '';
    const route = pattern.startsWith(this.basePath) ? pattern.slice(this.basePath.length) : pattern;
    const access = accessOf(request.method, route);
    if (access === 'open') return;
    const authorization = request.headers.authorization ?? '';

    if (this.config.basic) {
      if (!this.basicOk(authorization)) {
        void sendError(reply.header('WWW-Authenticate', 'Basic realm="Restricted"'), 401, 'Unauthorized');
        return;
      }
      this.callers.set(request, { principal: 'basic', role: 'admin', user: this.config.basic.username });
      this.refuseCrossOrigin(request, reply, false);
      return;
    }

    const probeDigest = this.probeDigest;
    const presented = PROBE_AUTHORIZATION.exec(authorization)?.[1];
    const probeOk = probeDigest !== undefined && presented !== undefined && timingSafeEqual(digest(presented), probeDigest);
    // A probe let in while no probe token is set is OPEN, caller()'s default: nothing to record.
    const asProbe = (): void => {
      if (probeOk) this.callers.set(request, PROBE);
    };
    if (access === 'probe') {
      if (probeDigest === undefined || probeOk) {
        asProbe();
        return;
      }
      void sendError(reply, 401, 'probe token required: Authorization: Scope-Probe token=<token>');
      return;
    }
    if (access === 'probe-or-pipe' && probeOk) {
      asProbe();
      return;
    }
    // Probes learn the app's ID from `GET /api` (wire §4.2) before publishing: let a probe in
    // there on the same terms as on the probe routes, even when people need bearer tokens.
    if (access === 'identity' && presented !== undefined && (probeDigest === undefined || probeOk)) {
      asProbe();
      return;
    }

    let viaCookie = false;
    if (this.peopleAuth) {
      const found = this.person(request, authorization);
      if (found === undefined) {
        void sendError(reply.header('WWW-Authenticate', 'Bearer'), 401, 'authentication required: a bearer token');
        return;
      }
      viaCookie = found.viaCookie;
      this.callers.set(request, found.caller);
    }
    if (this.refuseCrossOrigin(request, reply, viaCookie)) return;
    const caller = this.caller(request);
    const role = caller.role ?? 'viewer';
    if ((access === 'pipe' || access === 'probe-or-pipe') && !atLeast(role, 'operator')) {
      void sendError(reply, 403, `role ${role} cannot open or close terminals and log streams`);
      return;
    }
    if (access === 'control' && this.refuseControl(request, reply, caller, role)) return;

    // A browser page load with ?token=… keeps the token in a cookie for the UI's own requests,
    // and goes on without it in the address bar (history, screenshots, Referer).
    const fromQuery = queryToken(request);
    if (fromQuery !== undefined && this.tokens.length > 0 && request.method === 'GET' && !route.startsWith('/api')) {
      const attributes = [`Path=${this.basePath}/`, 'HttpOnly', 'SameSite=Strict', ...(this.secure ? ['Secure'] : [])];
      void reply
        .header('Set-Cookie', `${TOKEN_COOKIE}=${encodeURIComponent(fromQuery)}; ${attributes.join('; ')}`)
        .header('Cache-Control', 'no-store')
        .redirect(withoutToken(request), 303);
    }
  }

  /** 403 (and an audit line) when the caller's role may not run the control the path names. */
  private refuseControl(request: FastifyRequest, reply: FastifyReply, caller: Caller, role: Role): boolean {
    let segments: string[] | undefined;
    try {
      segments = rawSegments(request, `${this.basePath}/api/control/`);
    } catch (err) {
      if (err instanceof BadPathError) return false; // the route answers 400
      throw err;
    }
    if (segments?.length !== 3) return false;
    const [probeId, nodeId, control] = segments as [string, string, string];
    if (mayRunControl(role, control)) return false;
    const message = `role ${role} cannot run ${control} (needs ${roleForControl(control)})`;
    this.audit?.record({
      event: 'control',
      remote: request.ip,
      principal: caller.principal,
      user: caller.user,
      role,
      probeId,
      nodeId,
      control,
      status: 403,
      result: 'refused',
      error: message,
    });
    void sendError(reply, 403, message);
    return true;
  }

  private refuseCrossOrigin(request: FastifyRequest, reply: FastifyReply, viaCookie: boolean): boolean {
    const why = crossOriginRefusal(request, viaCookie);
    if (why === undefined) return false;
    request.log.warn({ url: request.url, origin: request.headers.origin, remote: request.ip }, why);
    void sendError(reply, 403, why);
    return true;
  }

  private basicOk(authorization: string): boolean {
    const basic = this.config.basic!;
    const m = /^Basic (.+)$/i.exec(authorization);
    if (!m) return false;
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1) return false;
    // Both compared, always, so timing says nothing about which half was wrong.
    const userOk = same(decoded.slice(0, colon), basic.username);
    const passOk = same(decoded.slice(colon + 1), basic.password);
    return userOk && passOk;
  }

  /** The person behind a request: bearer header, cookie, `?token=`, or the proxy's user header. */
  private person(request: FastifyRequest, authorization: string): { caller: Caller; viaCookie: boolean } | undefined {
    if (this.tokens.length > 0) {
      const bearer = /^Bearer (.+)$/i.exec(authorization)?.[1];
      const fromCookie = bearer === undefined ? cookie(request, TOKEN_COOKIE) : undefined;
      const candidate = bearer ?? fromCookie ?? queryToken(request);
      if (candidate !== undefined) {
        let role: TokenRole | undefined;
        for (const t of this.tokens) if (same(candidate, t.token) && (role === undefined || atLeast(t.role, role))) role = t.role;
        if (role !== undefined) {
          return { caller: { principal: role, role, user: `${role}-token` }, viaCookie: fromCookie !== undefined };
        }
      }
    }
    const proxy = this.config.proxy;
    if (proxy !== undefined) {
      const user = request.headers[proxy.header.toLowerCase()];
      const role = typeof user === 'string' ? proxy.roles.get(user) : undefined;
      // The proxy authenticated the browser; its requests carry the browser's cookies, so CSRF rules apply.
      if (role !== undefined) return { caller: { principal: 'proxy', role, user: user as string }, viaCookie: true };
    }
    return undefined;
  }
}
