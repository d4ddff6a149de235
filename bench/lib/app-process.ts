/**
 * Starting and stopping `openscope --mode=app` as its own process for the HTTP benches (api,
 * ingest, load): one copy of the free-port pick, the readiness poll and the SIGTERM-then-SIGKILL stop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { RUNTIME_NODE_FLAGS } from '../../src/cli/node-flags.js';
import { freePort } from '../../test/helpers/openscope-process.js';

const ROOT = new URL('../..', import.meta.url).pathname;

/**
 * The V8 flags the app runs with in the benches: `openscope`'s own (src/cli/node-flags.ts), so
 * the figures are those of the app as users start it. `BENCH_RUNTIME_FLAGS` replaces them for an
 * A/B (space-separated; empty: none).
 */
export const BENCH_RUNTIME_FLAGS: readonly string[] =
  process.env.BENCH_RUNTIME_FLAGS === undefined ? RUNTIME_NODE_FLAGS : process.env.BENCH_RUNTIME_FLAGS.split(' ').filter((f) => f !== '');

/** What the bench notes say of the runtime flags. */
export const runtimeFlagsNote = (): string =>
  BENCH_RUNTIME_FLAGS.length > 0 ? `node ${BENCH_RUNTIME_FLAGS.join(' ')}` : 'node without runtime flags';

export interface BenchApp {
  proc: ChildProcess;
  /** `http://127.0.0.1:<port>/` */
  base: string;
}

/**
 * Spawns node with {@link BENCH_RUNTIME_FLAGS} and `nodeFlags`, then `cliArgs` (the compiled CLI, see compiled.ts), `--mode=app`,
 * `appFlags` and a free loopback address; resolves once `GET /api` answers.
 */
export async function startBenchApp(
  cliArgs: readonly string[],
  appFlags: readonly string[],
  opts: { nodeFlags?: readonly string[]; stdout?: 'ignore' | 'inherit' } = {},
): Promise<BenchApp> {
  const port = await freePort();
  const proc = spawn(
    process.execPath,
    [...BENCH_RUNTIME_FLAGS, ...(opts.nodeFlags ?? []), ...cliArgs, '--mode=app', ...appFlags, `--app.http.address=127.0.0.1:${port}`, '--app.log.level=warn'],
    { stdio: ['ignore', opts.stdout ?? 'ignore', 'inherit'], cwd: ROOT },
  );
  const base = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${base}api`)).ok) return { proc, base };
    } catch {
      // not up yet
    }
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error('app did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Sends `signal` and waits for the exit; SIGKILL after 10 s. */
export async function stopProcess(proc: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const t = setTimeout(() => {
      proc.kill('SIGKILL');
      resolve();
    }, 10_000);
    proc.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    proc.kill(signal);
  });
}
