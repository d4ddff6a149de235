/**
 * Runs the real `openscope` CLI (from source, through tsx) as a child process for integration
 * tests, on a free loopback port, and stops it afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { RUNTIME_NODE_FLAGS } from '../../src/cli/node-flags.js';
import { loadScaledMillis } from './deadline.js';

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

/** A running `openscope` child process (any mode); `output()` is its stdout and stderr so far. */
export interface SpawnedOpenScope {
  child: ChildProcess;
  output(): string;
  /** Ends it (SIGTERM, SIGKILL after 8 s); resolves with the exit code. Safe to call twice. */
  stop(): Promise<number | null>;
}

/** An `openscope` serving HTTP on `url` (`http://127.0.0.1:<port>`, no trailing slash). */
export interface OpenScopeProcess extends SpawnedOpenScope {
  url: string;
  port: number;
}

/**
 * Polls `fn` every `everyMillis` until it returns a value other than undefined, or throws on
 * timeout: `timeoutMillis`, stretched on an overloaded machine (see loadScaledMillis).
 */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMillis: number, everyMillis = 250): Promise<T> {
  timeoutMillis = loadScaledMillis(timeoutMillis);
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

/** Polls `holds` until it returns true (a throw counts as not yet), or throws on timeout. */
export async function waitUntil(what: string, holds: () => Promise<boolean>, timeoutMillis: number, everyMillis = 250): Promise<void> {
  await waitFor(what, async () => ((await holds()) ? true : undefined), timeoutMillis, everyMillis);
}

/**
 * Spawns `openscope <args>` from source (no flags added), collecting its output. Node runs with the
 * executable's own V8 flags (src/cli/node-flags.ts), as the installed command does.
 */
export function spawnOpenScope(args: string[], env: Record<string, string> = {}): SpawnedOpenScope {
  const child = spawn(process.execPath, [...RUNTIME_NODE_FLAGS, '--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
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
}

export interface StartOptions {
  env?: Record<string, string>;
  /**
   * How long the start-up may take (default 90 s: a deadline, not an expected time; tsx compiling
   * the sources on a loaded machine took over 20 s at load 70, failing every test of a file).
   */
  timeoutMillis?: number;
  /** Admin token: turns login on (`--app.auth.token`, even on loopback) and signs the readiness check. */
  token?: string;
}

/**
 * Starts `openscope <args>` with `--app.http.address=127.0.0.1:<free port>` and waits for `GET /api`;
 * on failure stops it and throws with its output.
 */
export async function startOpenScope(args: string[], opts: StartOptions = {}): Promise<OpenScopeProcess> {
  const port = await freePort();
  const auth = opts.token === undefined ? [] : [`--app.auth.token=${opts.token}`];
  const spawned = spawnOpenScope([`--app.http.address=127.0.0.1:${port}`, ...auth, ...args], opts.env);
  const url = `http://127.0.0.1:${port}`;
  const headers: Record<string, string> = opts.token === undefined ? {} : { authorization: `Bearer ${opts.token}` };
  try {
    await waitUntil('openscope to answer GET /api', async () => {
      if (spawned.child.exitCode !== null) throw new Error(`openscope exited with ${spawned.child.exitCode}: ${spawned.output()}`);
      return (await fetch(`${url}/api`, { headers })).ok;
    }, opts.timeoutMillis ?? 90_000);
  } catch (err) {
    await spawned.stop();
    throw new Error(`${err instanceof Error ? err.message : 'start failed'}\n--- output ---\n${spawned.output()}`, { cause: err });
  }
  return { ...spawned, url, port };
}

export async function getJson<T = unknown>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
