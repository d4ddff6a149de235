/**
 * Runs the real `openscope` CLI (from source, through tsx) as a child process for integration
 * tests, on a free loopback port, and stops it afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/scope/', import.meta.url));

/** A free TCP port on 127.0.0.1 (the kernel picks; small race accepted in tests). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface OpenScopeProcess {
  url: string;
  port: number;
  child: ChildProcess;
  output(): string;
  stop(): Promise<number | null>;
}

/** Polls `fn` every `everyMillis` until it returns a value other than undefined, or throws on timeout. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMillis: number, everyMillis = 250): Promise<T> {
  const deadline = Date.now() + timeoutMillis;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    await sleep(everyMillis);
  }
  throw new Error(`timed out after ${timeoutMillis} ms waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`);
}

/** Starts `openscope <args>` with `--app.http.address=127.0.0.1:<free port>` and waits for `GET /api`. */
export async function startOpenScope(args: string[], opts: { env?: Record<string, string>; timeoutMillis?: number } = {}): Promise<OpenScopeProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', `--app.http.address=127.0.0.1:${port}`, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const proc: OpenScopeProcess = {
    url,
    port,
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  try {
    await waitFor('openscope to answer GET /api', async () => {
      if (child.exitCode !== null) throw new Error(`openscope exited with ${child.exitCode}: ${out}`);
      const res = await fetch(`${url}/api`);
      return res.ok ? true : undefined;
    }, opts.timeoutMillis ?? 20_000);
  } catch (err) {
    await proc.stop();
    throw new Error(`${err instanceof Error ? err.message : 'start failed'}\n--- output ---\n${out}`, { cause: err });
  }
  return proc;
}

export async function getJson<T = unknown>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
