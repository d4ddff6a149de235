/** Shared helpers of the probe tests: child processes that always die, and polling. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';

/** Spawns `node -e code`; the child prints lines to stdout. Tracked for `killAll`. */
export function spawnNode(children: ChildProcess[], code: string): ChildProcess {
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return child;
}

/** First stdout line of a child (e.g. the port it listens on), with a timeout. */
export async function firstLine(child: ChildProcess, timeoutMillis = 5000): Promise<string> {
  const stdout = child.stdout;
  if (!stdout) throw new Error('child has no stdout');
  let buf = '';
  const timer = AbortSignal.timeout(timeoutMillis);
  while (!buf.includes('\n')) {
    const [chunk] = (await once(stdout, 'data', { signal: timer })) as [Buffer];
    buf += chunk.toString();
  }
  return buf.split('\n')[0]!;
}

/** SIGKILLs every child still running and waits for them to exit. */
export async function killAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(async (c) => {
      if (c.exitCode !== null || c.signalCode !== null) return;
      c.kill('SIGKILL');
      await Promise.race([once(c, 'exit'), sleep(2000)]);
    }),
  );
  children.length = 0;
}

/** Polls `fn` until it returns non-undefined; throws after `timeoutMillis`. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMillis = 10_000, everyMillis = 100): Promise<T> {
  const deadline = Date.now() + timeoutMillis;
  while (Date.now() < deadline) {
    const v = await fn();
    if (v !== undefined) return v;
    await sleep(everyMillis);
  }
  throw new Error(`timed out after ${timeoutMillis} ms waiting for ${what}`);
}
