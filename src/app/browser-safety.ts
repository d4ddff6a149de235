/**
 * What keeps a browser from being used against the app (issue #7): cross-origin websockets and
 * state-changing requests are refused (a foreign page can neither stream topologies with the
 * user's cookie nor run controls), and every answer carries headers that forbid framing and
 * content sniffing, with a CSP fit for the built UI (scripts and styles from the app only).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The UI's Content-Security-Policy: own scripts only, no framing, websockets back to the app. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  // React sets style attributes; the terminal (xterm) injects a style element.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Adds the security headers to `reply` (an onSend hook calls it for every answer). */
export function addSecurityHeaders(reply: FastifyReply): void {
  void reply.header('X-Content-Type-Options', 'nosniff');
  void reply.header('X-Frame-Options', 'DENY');
  void reply.header('Referrer-Policy', 'no-referrer');
  void reply.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
}

/** The hosts this request may legitimately come from: its `Host` and a proxy's `X-Forwarded-Host`. */
function ownHosts(request: FastifyRequest): string[] {
  const hosts: string[] = [];
  const host = request.headers.host;
  if (typeof host === 'string' && host !== '') hosts.push(host.toLowerCase());
  const forwarded = request.headers['x-forwarded-host'];
  if (typeof forwarded === 'string' && forwarded !== '') hosts.push(forwarded.split(',')[0]!.trim().toLowerCase());
  return hosts;
}

/** The `host:port` of an Origin or Referer value; undefined when it is not a URL (e.g. `null`). */
function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return undefined;
  }
}

/** Why a request is refused as cross-origin, or undefined when it may go on. */
export function crossOriginRefusal(request: FastifyRequest, viaCookie: boolean): string | undefined {
  const isWebsocket = (request.headers.upgrade ?? '').toLowerCase() === 'websocket';
  const changesState = request.method !== 'GET' && request.method !== 'HEAD' && request.method !== 'OPTIONS';
  if (!isWebsocket && !changesState) return undefined; // reads: the browser's CORS rules keep the answer from foreign pages
  const origin = request.headers.origin;
  const fetchSite = request.headers['sec-fetch-site'];
  if (fetchSite === 'cross-site') return 'cross-site request refused';
  if (typeof origin === 'string') {
    const host = hostOf(origin);
    if (host === undefined || !ownHosts(request).includes(host)) return `cross-origin request from ${origin} refused`;
    return undefined;
  }
  // No Origin: not a browser (probes, curl) — unless the credentials are the browser's cookie, then
  // a same-origin Referer must vouch for it (CSRF).
  if (viaCookie && changesState) {
    const referer = request.headers.referer;
    const host = typeof referer === 'string' ? hostOf(referer) : undefined;
    if (host === undefined || !ownHosts(request).includes(host)) return 'a cookie-authenticated request needs a same-origin Origin or Referer';
  }
  return undefined;
}
