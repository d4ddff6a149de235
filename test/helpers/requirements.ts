/**
 * What the tests on the real kernel need, and the one rule for when it is missing: CI provides
 * everything (.ci/run installs bpftrace, mounts tracefs, runs Docker), so there a missing
 * requirement fails the test; elsewhere it is a skip that says what is missing.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ebpfUnavailableReason } from '../../src/probe/ebpf/index.js';
import { dockerUnavailable } from './docker.js';

const run = promisify(execFile);

/**
 * Why the traffic-shaping tests cannot run here, or undefined: they need eBPF, Docker with the
 * test image, and tc and nsenter to shape and read a container's network namespace.
 */
export async function ebpfShapingMissing(): Promise<string | undefined> {
  const missing = ebpfUnavailableReason() ?? (await dockerUnavailable().catch((e: unknown) => String(e)));
  if (missing !== undefined) return missing;
  try {
    await run('tc', ['-V']);
    await run('nsenter', ['--version']);
  } catch {
    return 'tc (iproute2) or nsenter (util-linux) is not installed';
  }
  return undefined;
}

/**
 * True when nothing is `missing`; otherwise fails the test in CI and skips it elsewhere (then
 * false: the caller returns).
 */
export function requirementMet(t: { skip: (message: string) => void }, missing: string | undefined): boolean {
  if (missing === undefined) return true;
  if (process.env.CI === 'true') assert.fail(`requirement missing in CI: ${missing}`);
  t.skip(missing);
  return false;
}
