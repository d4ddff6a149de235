/** Shared helpers of the app tests: a real app on port 0, fixtures, and bounded waits. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { silentLogger } from '../../src/common/log.js';
import { defaultAppConfig, startApp, type AppConfig, type RunningApp } from '../../src/app/index.js';
import { loadScaledMillis } from '../helpers/deadline.js';

export const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/scope/', import.meta.url));

export interface FixtureReport {
  body: Buffer;
  /** Headers as recorded, minus the hop-by-hop ones and content-length (recomputed by fetch). */
  headers: Record<string, string>;
}

/** `report-0N.msgpack.gz` with the headers a real Scope probe sent with it. */
export function fixtureReport(n: number): FixtureReport {
  const base = `${FIXTURES}probe-reports/report-0${n}`;
  const recorded = JSON.parse(readFileSync(`${base}.headers.json`, 'utf8')) as { headers: Record<string, string> };
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(recorded.headers)) {
    // host/connection belong to the recorded connection, and the recorded content-length is of
    // the bytes on that wire (the stored file was re-compressed); fetch sets all three itself.
    if (!['host', 'connection', 'content-length'].includes(k)) headers[k] = v;
  }
  return { body: readFileSync(`${base}.msgpack.gz`), headers };
}

export async function startTestApp(overrides: Partial<AppConfig> = {}): Promise<RunningApp> {
  return startApp(
    { ...defaultAppConfig(), listenAddress: '127.0.0.1:0', version: 'test', hostname: 'testhost', ...overrides },
    silentLogger(),
  );
}

/** POSTs a body to /api/report. */
export async function postReport(app: RunningApp, body: Uint8Array, headers: Record<string, string>): Promise<Response> {
  return fetch(`${app.url}api/report`, { method: 'POST', body, headers, signal: AbortSignal.timeout(10_000) });
}

export async function getJson(app: RunningApp, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${app.url}${path}`, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep text
  }
  return { status: res.status, body };
}

/** Resolves when `predicate` holds, polling every 20 ms; rejects after `timeoutMillis`. */
export async function waitFor(predicate: () => boolean, timeoutMillis = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Opens a websocket to the app; rejects on error or after 5 s. */
export async function openWs(url: string, headers: Record<string, string> = {}, localAddress?: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { headers, ...(localAddress === undefined ? {} : { localAddress }) });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`websocket ${url} did not open`)), 5000);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve();
    });
    ws.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  return ws;
}

/** The next message of `ws` (as a Buffer), or a rejection after `timeoutMillis`. */
export function nextMessage(ws: WebSocket, timeoutMillis = 5000): Promise<{ data: Buffer; isBinary: boolean }> {
  timeoutMillis = loadScaledMillis(timeoutMillis); // stretched on an overloaded machine
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.off('message', onMessage);
      reject(new Error('no websocket message in time'));
    }, timeoutMillis);
    const onMessage = (data: Buffer, isBinary: boolean) => {
      clearTimeout(timer);
      resolve({ data, isBinary });
    };
    ws.once('message', onMessage);
  });
}

export function wsUrl(app: RunningApp, path: string): string {
  return `${app.url.replace(/^http/, 'ws')}${path}`;
}

/** Tries a websocket upgrade that the app should refuse; resolves with the HTTP answer. */
export function wsRefusal(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`websocket ${url} neither opened nor was refused`));
    }, 5000);
    ws.once('open', () => {
      clearTimeout(timer);
      ws.terminate();
      reject(new Error(`websocket ${url} opened but should have been refused`));
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    ws.once('error', () => undefined); // the refusal is reported through 'unexpected-response'
  });
}

/** Resolves when the async `predicate` holds, polling every 50 ms; rejects after `timeoutMillis`. */
export async function eventually(predicate: () => Promise<boolean>, timeoutMillis = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + loadScaledMillis(timeoutMillis); // stretched on an overloaded machine
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `promise`, or a rejection naming `what` after `timeoutMillis`: no test waits forever. */
export async function withTimeout<T>(promise: Promise<T>, timeoutMillis: number, what: string): Promise<T> {
  timeoutMillis = loadScaledMillis(timeoutMillis); // stretched on an overloaded machine
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMillis} ms waiting for ${what}`)), timeoutMillis);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Backstop for every suite: a stuck test fails instead of hanging the run. */
export const SUITE = { timeout: 120_000 };
