/**
 * The fuzzer shared by test/security/fuzz.test.ts (bounded) and bench/fuzz.bench.ts (bigger):
 * mutated probe reports (the recorded fixtures, decompressed, as msgpack and as JSON, mutated
 * byte-wise with a seeded PRNG, sent gzip and plain) and random HTTP requests (methods, paths with
 * odd encodings, headers, bodies, and raw malformed request bytes) at one app on 127.0.0.1.
 * Pass criteria: no 5xx, the app process alive, its memory back near the baseline afterwards.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { gunzipSync, gzipSync } from 'node:zlib';
import { decodeReportBody, encodeReport } from '../../src/report/codec/index.js';
import { FIXTURES } from '../helpers/openscope-process.js';

/** mulberry32: small, fast, seedable; the seed is printed so a failure can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
const int = (rng: Rng, n: number): number => Math.floor(rng() * n);
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[int(rng, xs.length)]!;

/** The recorded reports, decompressed: msgpack bytes and the same reports as JSON bytes. */
export async function loadSeeds(): Promise<{ msgpack: Buffer[]; json: Buffer[] }> {
  const dir = join(FIXTURES, 'probe-reports');
  const files = readdirSync(dir).filter((f) => f.endsWith('.msgpack.gz')).sort();
  const msgpack = files.map((f) => gunzipSync(readFileSync(join(dir, f))));
  const json: Buffer[] = [];
  for (const m of msgpack) {
    const report = await decodeReportBody(m, { contentType: 'application/msgpack', contentEncoding: '' });
    json.push(Buffer.from(encodeReport(report, 'json')));
  }
  return { msgpack, json };
}

/** Bytes that are msgpack type markers or edge values, to land on format boundaries. */
const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xc4, 0xc7, 0xcc, 0xcf, 0xd4,
  0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xff, 0x22, 0x5b, 0x5d, 0x7b, 0x7d, 0x3a, 0x2c, 0x5c];

/** 1–8 byte-level mutations of `seed` (flip, set, delete, duplicate, insert, truncate, splice). */
export function mutate(rng: Rng, seed: Buffer, other: Buffer): Buffer {
  let b = Buffer.from(seed);
  const rounds = 1 + int(rng, 8);
  for (let r = 0; r < rounds && b.length > 0; r++) {
    const at = int(rng, b.length);
    switch (int(rng, 8)) {
      case 0:
        b[at] = b[at]! ^ (1 << int(rng, 8));
        break;
      case 1:
        b[at] = pick(rng, INTERESTING);
        break;
      case 2: {
        const len = 1 + int(rng, Math.min(64, b.length - at));
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + len)]);
        break;
      }
      case 3: {
        const len = 1 + int(rng, Math.min(256, b.length - at));
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + len), b.subarray(at)]);
        break;
      }
      case 4: {
        const junk = Buffer.alloc(1 + int(rng, 16));
        for (let i = 0; i < junk.length; i++) junk[i] = int(rng, 256);
        b = Buffer.concat([b.subarray(0, at), junk, b.subarray(at)]);
        break;
      }
      case 5:
        b = b.subarray(0, at);
        break;
      case 6: {
        const from = int(rng, other.length);
        b = Buffer.concat([b.subarray(0, at), other.subarray(from, from + 1 + int(rng, 512))]);
        break;
      }
      default:
        // A 32-bit length field (msgpack str32/array32/map32) set huge: allocation bombs.
        if (b.length >= 4) b.writeUInt32BE(pick(rng, [0xffffffff, 0x7fffffff, 0x10000000]) >>> 0, Math.min(at, Math.max(0, b.length - 4)));
    }
  }
  return b;
}

/** Hand-made hostile bodies: deep nesting, prototype keys, huge numbers. */
function evilJson(rng: Rng): Buffer {
  switch (int(rng, 4)) {
    case 0:
      return Buffer.from('['.repeat(50_000 + int(rng, 50_000)));
    case 1:
      return Buffer.from('{"__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}},"Host":{"nodes":{"__proto__":{}}}}');
    case 2:
      return Buffer.from(`{"ID":"x","Host":{"nodes":{"a":{"latest":{"k":{"timestamp":"${'9'.repeat(400)}","value":1e999}}}}}}`);
    default:
      return Buffer.from(`{"Endpoint":{"nodes":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}}`);
  }
}

/** One HTTP request to send. */
export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

/** Mutated report POST: gzip or plain, msgpack or JSON (and now and then a lying content type). */
export function reportRequest(rng: Rng, seeds: { msgpack: Buffer[]; json: Buffer[] }, probeToken: string): FuzzRequest {
  const asJson = rng() < 0.4;
  const pool = asJson ? seeds.json : seeds.msgpack;
  const raw = rng() < 0.03 && asJson ? evilJson(rng) : mutate(rng, pick(rng, pool), pick(rng, pool));
  const gzip = rng() < 0.6;
  const body = gzip ? gzipSync(raw, { level: 1 }) : raw;
  const contentType = rng() < 0.05 ? pick(rng, ['text/plain', '', 'application/msgpack; charset=x', 'application/json']) : asJson ? 'application/json' : 'application/msgpack';
  const headers: Record<string, string> = {
    'content-type': contentType,
    authorization: `Scope-Probe token=${probeToken}`,
    // Many probe ids, so the per-probe rate limit lets the mutated bodies reach the decoder.
    'x-scope-probe-id': `fuzz-${int(rng, 5000).toString(16)}`,
  };
  if (gzip) headers['content-encoding'] = rng() < 0.05 ? pick(rng, ['deflate', 'br', 'identity', 'gzip, gzip']) : 'gzip';
  return { method: 'POST', path: '/api/report', headers, body };
}

const SEGMENTS = ['hosts', 'containers', 'processes', 'pods', 'nope', '', '.', '..', '%', '%zz', '%2F', '%00', '%C0%AF', '%E2%80%AE',
  'a%2Fb', 'ü', '%F0%9F%92%A9', '__proto__', 'constructor', 'ws', 'check', 'probe', 'x'.repeat(5000), ';', '%3B', '+', '*', '~'];
const TEMPLATES = ['/api', '/api/topology', '/api/topology/{}', '/api/topology/{}/{}', '/api/topology/{}/ws', '/api/report', '/api/probes',
  '/api/control/{}/{}/{}', '/api/pipe/{}', '/api/pipe/{}/check', '/api/pipe/{}/probe', '/api/health', '/metrics', '/admin/summary',
  '/', '/index.html', '/ui/{}', '/assets/{}', '/{}', '//api//topology', '/api/topology/{}/{}/{}', '/terminal.html'];
const QUERIES = ['', '?t=1ns', '?t=-5s', '?t=99999999999h', '?timestamp=garbage', '?timestamp=1970-01-01T00:00:00Z', '?token=', '?token=T1',
  '?sparse', '?hideCommandLineArguments=true&hideEnvironmentVariables=true', '?a=1&a=2&__proto__=x', '?%zz=%zz', '?namespace=%00', `?q=${'a'.repeat(3000)}`];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'PROPFIND'];

/** A random request: method, path with odd encodings, query, headers and body. */
export function randomRequest(rng: Rng, adminToken: string, probeToken: string): FuzzRequest {
  const path = pick(rng, TEMPLATES).replace(/\{\}/g, () => pick(rng, SEGMENTS)) + pick(rng, QUERIES);
  const headers: Record<string, string> = {};
  const auth = rng();
  if (auth < 0.6) headers.authorization = `Bearer ${adminToken}`;
  else if (auth < 0.7) headers.authorization = `Scope-Probe token=${probeToken}`;
  else if (auth < 0.8) headers.authorization = pick(rng, ['Bearer', 'Basic !!!', 'Bearer T1 T1', 'Scope-Probe token', 'Basic YWRtaW46YWRtaW4=']);
  if (rng() < 0.2) headers.cookie = pick(rng, [`openscope_token=${adminToken}`, 'openscope_token=%zz', 'a=b; openscope_token', '=;=;=']);
  if (rng() < 0.2) headers.origin = pick(rng, ['http://evil.example', 'null', 'http://127.0.0.1', 'not a url']);
  if (rng() < 0.3) headers['content-type'] = pick(rng, ['application/json', 'application/msgpack', 'text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded']);
  if (rng() < 0.1) headers['content-encoding'] = pick(rng, ['gzip', 'deflate', 'br', 'bogus']);
  if (rng() < 0.1) headers['x-scope-probe-id'] = pick(rng, ['', 'p', 'x'.repeat(2000)]);
  if (rng() < 0.1) headers.accept = pick(rng, ['application/msgpack', '*/*', 'text/html']);
  if (rng() < 0.05) headers.upgrade = 'websocket';
  const method = pick(rng, METHODS);
  let body: Buffer | undefined;
  if (method !== 'GET' && method !== 'HEAD' && rng() < 0.7) {
    body = pick(rng, [
      Buffer.from('{"a":"b"}'),
      Buffer.from('null'),
      Buffer.from('[1,2,3]'),
      Buffer.from('{"a":1}'),
      Buffer.from('{'),
      gzipSync(Buffer.from('{"x":1}')),
      Buffer.alloc(int(rng, 200_000), 0x41),
    ]);
  }
  return { method, path, headers, ...(body === undefined ? {} : { body }) };
}

/** Raw bytes no HTTP client would send: broken request lines, headers, chunking, smuggling attempts. */
export function rawRequest(rng: Rng): Buffer {
  return Buffer.from(pick(rng, [
    'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    'POST /api/report HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n',
    'GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n',
    'G\u00e9T / HTTP/1.1\r\n\r\n',
    `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    'GET / HTTP/9.9\r\nHost: x\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n',
    `GET /api HTTP/1.1\r\nHost: x\r\n${'X-A: b\r\n'.repeat(3000)}\r\n`,
    'POST /api/report HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
    'GET /api/topology/%zz HTTP/1.1\r\nHost: x\r\n\r\n',
    '\r\n\r\n\r\n',
  ]));
}

/** Tallies of a run. */
export interface FuzzStats {
  reports: number;
  requests: number;
  raw: number;
  /** Status → count. */
  statuses: Map<number, number>;
  /** 5xx answers (request line and status), at most 20 kept. */
  failures: string[];
  /** Requests the client could not even send (its own validation) or that the connection dropped. */
  clientErrors: number;
}

export const newStats = (): FuzzStats => ({ reports: 0, requests: 0, raw: 0, statuses: new Map(), failures: [], clientErrors: 0 });

/** Sends one request; records the status. Never rejects. */
export function send(port: number, agent: Agent, req: FuzzRequest, stats: FuzzStats): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (): void => {
      if (!done) {
        done = true;
        resolve();
      }
    };
    try {
      const r = httpRequest({ host: '127.0.0.1', port, method: req.method, path: req.path, headers: req.headers, agent, timeout: 30_000 }, (res) => {
        const status = res.statusCode ?? 0;
        stats.statuses.set(status, (stats.statuses.get(status) ?? 0) + 1);
        if (status >= 500 && stats.failures.length < 20) stats.failures.push(`${req.method} ${req.path.slice(0, 200)} → ${status}`);
        res.resume();
        res.once('end', finish);
        res.once('error', finish);
      });
      r.once('timeout', () => r.destroy(new Error('timeout')));
      r.once('error', () => {
        stats.clientErrors++;
        finish();
      });
      r.end(req.body);
    } catch {
      stats.clientErrors++; // the client refused to build it (invalid header or path characters)
      finish();
    }
  });
}

/** Sends raw bytes on a fresh connection; a 5xx status line counts as a failure. */
export function sendRaw(port: number, bytes: Buffer, stats: FuzzStats): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    const timer = setTimeout(() => socket.destroy(), 5000);
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.once('close', () => {
      clearTimeout(timer);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
      if (status !== 0) stats.statuses.set(status, (stats.statuses.get(status) ?? 0) + 1);
      if (status >= 500 && stats.failures.length < 20) stats.failures.push(`raw ${JSON.stringify(bytes.subarray(0, 60).toString('latin1'))} → ${status}`);
      resolve();
    });
    socket.end(bytes);
  });
}

/** Options of {@link runFuzz}. */
export interface FuzzOptions {
  port: number;
  seed: number;
  reports: number;
  requests: number;
  raw: number;
  adminToken: string;
  probeToken: string;
  /** Requests in flight at once. */
  concurrency: number;
  /** Stop early (with what was sent so far) at this time, epoch ms. */
  deadlineMillis: number;
}

/** Runs reports, random and raw requests interleaved, `concurrency` at a time. */
export async function runFuzz(opts: FuzzOptions): Promise<FuzzStats> {
  const seeds = await loadSeeds();
  const rng = prng(opts.seed);
  const stats = newStats();
  const agent = new Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const worker = async (): Promise<void> => {
    while (Date.now() < opts.deadlineMillis) {
      // Pick a kind in proportion to what is left of each, so any prefix of the run mixes all three.
      const reportsLeft = opts.reports - stats.reports;
      const requestsLeft = opts.requests - stats.requests;
      const left = reportsLeft + requestsLeft + (opts.raw - stats.raw);
      if (left <= 0) break;
      const x = rng() * left;
      if (x < reportsLeft) {
        stats.reports++;
        await send(opts.port, agent, reportRequest(rng, seeds, opts.probeToken), stats);
      } else if (x < reportsLeft + requestsLeft) {
        stats.requests++;
        await send(opts.port, agent, randomRequest(rng, opts.adminToken, opts.probeToken), stats);
      } else {
        stats.raw++;
        await sendRaw(opts.port, rawRequest(rng), stats);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  agent.destroy();
  return stats;
}

/** Resident set size of process `pid`, in bytes (Linux /proc). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

/**
 * Node options that open the inspector of a spawned app on a free loopback port, for
 * {@link liveHeapBytes}: the product has no GC trigger, and a heap figure without a GC counts
 * whatever garbage V8 has not collected yet (tens of MiB, so it cannot tell a leak from a lazy GC).
 */
export const INSPECT_ENV = { NODE_OPTIONS: '--inspect=127.0.0.1:0' } as const;

/** The app's live heap (bytes) after a full GC, through the inspector `INSPECT_ENV` opened. */
export async function liveHeapBytes(appOutput: string): Promise<number> {
  const url = /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[\w-]+)/.exec(appOutput)?.[1];
  if (url === undefined) throw new Error(`the app did not open its inspector (spawn it with INSPECT_ENV): ${appOutput.slice(-500)}`);
  const ws = new WebSocket(url, { handshakeTimeout: 10_000 });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  try {
    let nextId = 0;
    const send = (method: string): Promise<Record<string, unknown>> =>
      new Promise((resolve, reject) => {
        const id = ++nextId;
        const onMessage = (data: Buffer): void => {
          const msg = JSON.parse(data.toString()) as { id?: number; result?: Record<string, unknown>; error?: unknown };
          if (msg.id !== id) return;
          ws.off('message', onMessage);
          if (msg.error !== undefined) reject(new Error(`${method}: ${JSON.stringify(msg.error)}`));
          else resolve(msg.result ?? {});
        };
        ws.on('message', onMessage);
        ws.send(JSON.stringify({ id, method }));
      });
    await send('HeapProfiler.collectGarbage');
    const usage = await send('Runtime.getHeapUsage');
    return Number(usage['usedSize']);
  } finally {
    ws.close();
  }
}

