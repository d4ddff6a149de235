/**
 * Scope's HTTP conventions in one place (app §1.1): JSON bodies with `Cache-Control: no-cache`,
 * errors as a JSON string, Go's plain-text `404 page not found`, and path segments taken from the
 * raw request URI so node ids may carry `%2F`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Answers `status` with `body` encoded as JSON (Scope's `respondWith`). */
export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply
    .code(status)
    .header('Cache-Control', 'no-cache')
    .header('Content-Type', 'application/json')
    // A Buffer, so the content type stays exactly Scope's (fastify adds a charset to strings).
    .send(Buffer.from(JSON.stringify(body) ?? 'null'));
}

/** Answers 200 with an already serialised JSON body (cached renders). */
export function sendJsonBytes(reply: FastifyReply, body: Buffer): FastifyReply {
  return reply.code(200).header('Cache-Control', 'no-cache').header('Content-Type', 'application/json').send(body);
}

/** An error answer: status plus the message as a JSON string, e.g. `"probe x is not connected right now"`. */
export function sendError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return sendJson(reply, status, message);
}

/** Go's `http.NotFound`: plain text `404 page not found`. */
export function sendNotFound(reply: FastifyReply): FastifyReply {
  return reply.code(404).type('text/plain; charset=utf-8').header('X-Content-Type-Options', 'nosniff')
    .send('404 page not found\n');
}

/** Thrown when a path segment is not valid percent-encoding. */
export class BadPathError extends Error {
  override name = 'BadPathError';
}

/**
 * The raw path of `request` below `prefix` (the mount point plus a route's fixed part, e.g.
 * `/api/topology/`), split on `/` and each segment percent-decoded on its own, as Scope does.
 * `+` stays `+` (Scope's query-unescaping turned it into a space; the UI always sends `%2B`, so
 * keeping it literal breaks nobody and lets ids contain `+`). Returns undefined if the raw path
 * does not start with `prefix`.
 */
export function rawSegments(request: FastifyRequest, prefix: string): string[] | undefined {
  const url = request.raw.url ?? '';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (!path.startsWith(prefix)) return undefined;
  return path
    .slice(prefix.length)
    .split('/')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        throw new BadPathError(`malformed path segment "${segment}"`);
      }
    });
}

/** The request's query as a flat record (first value of repeated keys), as renderers take it. */
export function flatQuery(request: FastifyRequest): Record<string, string> {
  const url = request.raw.url ?? '';
  const q = url.indexOf('?');
  // No prototype, so a `__proto__` parameter is just a key.
  const out = Object.create(null) as Record<string, string>;
  if (q === -1) return out;
  for (const [key, value] of new URLSearchParams(url.slice(q + 1))) {
    if (!Object.hasOwn(out, key)) out[key] = value;
  }
  return out;
}
