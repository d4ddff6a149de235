/**
 * Who may call what. Three optional schemes, all off by default (Scope's app had only the first):
 * - HTTP basic auth on every route, probes included (Scope's `--app.basicAuth`);
 * - bearer tokens for people: an `admin` token may do everything, a `viewer` token may look but not
 *   run controls or open terminals (pipes). Browsers cannot put headers on websockets, so a token
 *   is also taken from the `openscope_token` cookie, which `?token=<t>` on a page load sets;
 * - a probe token that probes present as `Authorization: Scope-Probe token=<t>` (wire §4.1) to
 *   publish reports, hold the control channel and open the probe end of pipes.
 * `/api/health` is always open, so liveness checks need no secret.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './http.js';

export type TokenRole = 'admin' | 'viewer';

/** Authentication settings of the app; every field optional, absent = that scheme off. */
export interface AuthConfig {
  /** Basic auth on every route (probes send it with `--probe.basicAuth`). Excludes the token schemes. */
  basic?: { username: string; password: string };
  /** Bearer tokens for people; non-empty turns token auth on for every non-probe route. */
  tokens?: ReadonlyArray<{ token: string; role: TokenRole }>;
  /** Token probes must present on probe routes; '' or absent = probes are not checked. */
  probeToken?: string;
}

/** Cookie that carries a person's token for the browser's XHRs and websockets. */
export const TOKEN_COOKIE = 'openscope_token';

/** Who a request was let in as, for the audit log. */
export type Principal = 'anonymous' | 'basic' | 'admin' | 'viewer' | 'probe';

/** What a route needs. `identity` is `GET /api`, which probes call to learn the app id (wire §4.2). */
type Access = 'open' | 'probe' | 'admin' | 'probe-or-admin' | 'view' | 'identity';

/** Route (pattern below the base path) → what it needs. */
function accessOf(method: string, route: string): Access {
  if (route === '/api/health') return 'open';
  if (route === '/api') return 'identity';
  if ((method === 'POST' && route === '/api/report') || route === '/api/control/ws' || route === '/api/pipe/:id/probe') {
    return 'probe';
  }
  if (route === '/api/pipe/:id' && (method === 'DELETE' || method === 'POST')) return 'probe-or-admin';
  if (route === '/api/control/:probeId/:nodeId/:control' || route.startsWith('/api/pipe/')) return 'admin';
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

/** Checks requests against an {@link AuthConfig}; use as a fastify `onRequest` hook. */
export class Authenticator {
  private readonly tokens: ReadonlyArray<{ token: string; role: TokenRole }>;
  private readonly principals = new WeakMap<FastifyRequest, Principal>();

  constructor(
    private readonly config: AuthConfig,
    private readonly basePath: string,
    /** Whether the app serves HTTPS (the token cookie is then `Secure`). */
    private readonly secure: boolean,
  ) {
    this.tokens = (config.tokens ?? []).filter((t) => t.token !== '');
  }

  get enabled(): boolean {
    return this.config.basic !== undefined || this.tokens.length > 0 || (this.config.probeToken ?? '') !== '';
  }

  /** Who `request` was let in as ('anonymous' when no scheme applied). */
  principal(request: FastifyRequest): Principal {
    return this.principals.get(request) ?? 'anonymous';
  }

  /** The onRequest hook: answers 401/403 itself, or lets the request through. */
  readonly hook = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
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
      this.principals.set(request, 'basic');
      return;
    }

    const probeToken = this.config.probeToken ?? '';
    const presented = /^Scope-Probe token=(.*)$/.exec(authorization)?.[1];
    const probeOk = probeToken !== '' && presented !== undefined && same(presented, probeToken);
    if (access === 'probe') {
      if (probeToken === '' || probeOk) {
        this.principals.set(request, probeOk ? 'probe' : 'anonymous');
        return;
      }
      void sendError(reply, 401, 'probe token required: Authorization: Scope-Probe token=<token>');
      return;
    }
    if (access === 'probe-or-admin' && probeOk) {
      this.principals.set(request, 'probe');
      return;
    }
    // Probes learn the app's ID from `GET /api` (wire §4.2) before publishing: let a probe in
    // there on the same terms as on the probe routes, even when people need bearer tokens.
    if (access === 'identity' && presented !== undefined && (probeToken === '' || probeOk)) {
      this.principals.set(request, probeOk ? 'probe' : 'anonymous');
      return;
    }
    if (this.tokens.length === 0) return;

    const role = this.roleOf(request, authorization);
    if (role === undefined) {
      void sendError(reply.header('WWW-Authenticate', 'Bearer'), 401, 'authentication required: a bearer token');
      return;
    }
    if ((access === 'admin' || access === 'probe-or-admin') && role !== 'admin') {
      void sendError(reply, 403, 'a viewer token cannot run controls or open terminals');
      return;
    }
    this.principals.set(request, role);
    // A browser page load with ?token=… keeps the token in a cookie for the UI's own requests.
    const fromQuery = (request.query as Record<string, unknown> | undefined)?.token;
    if (typeof fromQuery === 'string' && !route.startsWith('/api/')) {
      const attributes = [`Path=${this.basePath}/`, 'HttpOnly', 'SameSite=Strict', ...(this.secure ? ['Secure'] : [])];
      void reply.header('Set-Cookie', `${TOKEN_COOKIE}=${encodeURIComponent(fromQuery)}; ${attributes.join('; ')}`);
    }
  };

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

  private roleOf(request: FastifyRequest, authorization: string): TokenRole | undefined {
    const bearer = /^Bearer (.+)$/i.exec(authorization)?.[1];
    const fromQuery = (request.query as Record<string, unknown> | undefined)?.token;
    const candidate = bearer ?? cookie(request, TOKEN_COOKIE) ?? (typeof fromQuery === 'string' ? fromQuery : undefined);
    if (candidate === undefined) return undefined;
    let role: TokenRole | undefined;
    for (const t of this.tokens) if (same(candidate, t.token) && role !== 'admin') role = t.role;
    return role;
  }
}
