/** Shared pieces of the security tests: the real CLI as a child process, HTTP and websocket calls. */
import { WebSocket } from 'ws';
import { waitFor, type SpawnedOpenScope } from '../helpers/openscope-process.js';

export { spawnOpenScope } from '../helpers/openscope-process.js';
/** A running `openscope` child process (any mode). */
export type Child = SpawnedOpenScope;

/** Waits until `GET <base>/api/health` answers 200 (the one route that needs no credentials). */
export async function waitHealthy(base: string, proc: Child, timeoutMillis = 30_000): Promise<void> {
  await waitFor('openscope to answer /api/health', async () => {
    if (proc.child.exitCode !== null) throw new Error(`openscope exited with ${proc.child.exitCode}: ${proc.output()}`);
    const res = await fetch(`${base}/api/health`, { signal: AbortSignal.timeout(2000) });
    return res.ok ? true : undefined;
  }, timeoutMillis);
}

export interface Answer {
  status: number;
  text: string;
  headers: Headers;
}

/** One HTTP call, never following redirects, with a timeout. */
export async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(15_000), ...init });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** Opens a websocket; resolves with it once open, or with the HTTP status that refused the upgrade. */
export function openWs(url: string, headers: Record<string, string> = {}): Promise<{ ws?: WebSocket; status: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, handshakeTimeout: 10_000 });
    ws.once('open', () => resolve({ ws, status: 101 }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      res.resume();
      ws.terminate();
    });
    ws.once('error', (err) => reject(err));
  });
}
