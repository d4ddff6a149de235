/**
 * Real Docker for tests: the `docker` CLI against the running engine, with the local busybox image
 * `localbb:latest` (scripts/make-test-image.sh). In CI a missing engine is a failure, elsewhere a skip.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { timeout: 60_000 });
  return stdout.trim();
}

/** undefined when Docker and the test image are usable, otherwise why not (a skip reason). Throws in CI. */
export async function dockerUnavailable(): Promise<string | undefined> {
  let reason: string | undefined;
  try {
    await docker('image', 'inspect', 'localbb:latest');
  } catch (err) {
    reason = `Docker engine or image localbb:latest not available (${String(err).split('\n')[0]})`;
  }
  if (reason && process.env.CI === 'true') throw new Error(`${reason} — CI must provide it (.ci/run)`);
  return reason;
}

/** Removes containers and networks whose names start with `prefix`; never throws. */
export async function cleanupDocker(prefix: string): Promise<void> {
  try {
    const ids = (await docker('ps', '-aq', '--filter', `name=${prefix}`)).split('\n').filter(Boolean);
    if (ids.length) await docker('rm', '-f', ...ids);
  } catch { /* best effort */ }
  try {
    const nets = (await docker('network', 'ls', '-q', '--filter', `name=${prefix}`)).split('\n').filter(Boolean);
    if (nets.length) await docker('network', 'rm', ...nets);
  } catch { /* best effort */ }
}

/**
 * runc on cgroup v1 may fail to pause a container whose processes keep forking (a shell loop's
 * `sleep`) on a slow machine: "OCI runtime pause failed: unable to freeze". runc's own source calls
 * freezing such a cgroup "a game of chances" (fixed only in cgroup v2); a user would click again.
 */
const PAUSE_RETRIES = 5;
const transientFreezeFailure = (message: string): boolean => /unable to freeze/.test(message);

/**
 * `call()`, made again (at most {@link PAUSE_RETRIES} times in all) while it fails with runc's
 * transient "unable to freeze", thrown or (through `failureOf`) in its result; any other failure,
 * and the last try's, is the caller's as it came.
 */
export async function retryingFreezeFailures<T>(call: () => Promise<T>, failureOf: (result: T) => string = () => ''): Promise<T> {
  for (let tries = 1; ; tries++) {
    const last = tries >= PAUSE_RETRIES;
    let result: T;
    try {
      result = await call();
    } catch (err) {
      if (last || !transientFreezeFailure(String(err))) throw err;
      continue;
    }
    if (last || !transientFreezeFailure(failureOf(result))) return result;
  }
}
