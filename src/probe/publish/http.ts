/**
 * Minimal HTTP client for talking to apps: node:http(s) with a per-request timeout, optional TLS
 * verification skip (`--probe.insecure`), a bounded response body, and Scope's probe headers.
 */
import http from 'node:http';
import https from 'node:https';

/** Identity and auth sent with every request to an app (wire §4.1). */
export interface ProbeIdentity {
  probeId: string;
  version: string;
  /** Value of `Authorization`: `Scope-Probe token=<t>` or `Basic …`. */
  authorization: string;
  insecure: boolean;
}

/** Scope's probe headers. */
export function probeHeaders(id: ProbeIdentity): Record<string, string> {
  return {
    Authorization: id.authorization,
    'X-Scope-Probe-ID': id.probeId,
    'X-Scope-Probe-Version': id.version,
    'User-Agent': `Scope_Probe/${id.version}`,
  };
}

/** A completed HTTP exchange. */
export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Error class for transport failures (as opposed to non-2xx answers). */
export class HttpTransportError extends Error {
  constructor(
    message: string,
    readonly timedOut: boolean,
  ) {
    super(message);
    this.name = 'HttpTransportError';
  }
}

const MAX_RESPONSE_BYTES = 1024 * 1024;

/** One request; rejects with HttpTransportError on connection failure or timeout. */
export function request(
  method: string,
  url: string,
  opts: { headers: Record<string, string>; body?: Uint8Array; timeoutMillis: number; insecure: boolean },
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      reject(new HttpTransportError(`invalid URL ${url}`, false));
      return;
    }
    const lib = target.protocol === 'https:' ? https : http;
    const headers = { ...opts.headers, ...(opts.body ? { 'Content-Length': String(opts.body.byteLength) } : {}) };
    const req = lib.request(
      target,
      { method, headers, rejectUnauthorized: !opts.insecure, signal: AbortSignal.timeout(opts.timeoutMillis) },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= MAX_RESPONSE_BYTES) chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', (err) => reject(new HttpTransportError(err.message, false)));
      },
    );
    req.on('error', (err) => {
      const timedOut = err.name === 'AbortError' || err.name === 'TimeoutError';
      reject(new HttpTransportError(timedOut ? `timeout after ${opts.timeoutMillis} ms` : err.message, timedOut));
    });
    req.end(opts.body);
  });
}
