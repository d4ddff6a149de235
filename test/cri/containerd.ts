/**
 * A private, real containerd with its CRI plugin for the CRI tests: its own config, root, state and
 * socket under a temporary directory, so Docker's containerd is untouched. No registry is
 * reachable, so the sandbox ("pause") image is made from the local busybox image through Docker
 * and imported with `ctr`; sandboxes use the host network, which needs no CNI plugin.
 *
 * `restrict_oom_score_adj = true`: CRI gives sandboxes an OOM score of -998, which some kernels
 * and sandboxed hosts (this one included) refuse; restricted, it stays at the caller's score.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CriClient } from '../../src/probe/cri/index.js';

const run = promisify(execFile);

/** The sandbox image, made from `localbb:latest` (see scripts/make-test-image.sh). */
export const PAUSE_IMAGE = 'docker.io/openscope-cri-test/pause:1';
const DOCKER_TAG = 'openscope-cri-test/pause:1';

export interface Containerd {
  dir: string;
  socket: string;
  client: CriClient;
  /** Removes every sandbox, stops containerd, unmounts and deletes its directory. */
  stop(): Promise<void>;
}

async function which(cmd: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${cmd}`]);
    return true;
  } catch {
    return false;
  }
}

/** Why containerd cannot run here, or undefined when it can. */
export async function containerdMissing(): Promise<string | undefined> {
  for (const cmd of ['containerd', 'ctr', 'runc', 'containerd-shim-runc-v2', 'docker']) {
    if (!(await which(cmd))) return `${cmd} not installed (Debian: apt-get install containerd runc docker.io)`;
  }
  try {
    await run('docker', ['image', 'inspect', 'localbb:latest']);
  } catch {
    return 'docker image localbb:latest missing (bash scripts/make-test-image.sh)';
  }
  return undefined;
}

async function waitFor(cond: () => Promise<boolean> | boolean, millis: number, what: string): Promise<void> {
  const deadline = Date.now() + millis;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function setToml(config: string, key: string, value: string): string {
  const re = new RegExp(`^([ \\t]*)${key.replace(/\./g, '\\.')} = .*$`, 'm');
  if (!re.test(config)) throw new Error(`containerd config has no ${key}`);
  return config.replace(re, `$1${key} = ${value}`);
}

/** Builds the sandbox image in Docker once (idempotent), then imports it into `socket`. */
async function importPauseImage(socket: string): Promise<void> {
  try {
    await run('docker', ['image', 'inspect', DOCKER_TAG]);
  } catch {
    const { stdout } = await run('docker', ['create', 'localbb:latest', 'true']);
    const cid = stdout.trim();
    try {
      await run('sh', [
        '-c',
        `docker export ${cid} | docker import --change 'CMD ["/bin/sleep","2147483647"]' --change 'ENV PATH=/bin:/sbin:/usr/bin:/usr/sbin' - ${DOCKER_TAG}`,
      ]);
    } finally {
      await run('docker', ['rm', '-f', cid]).catch(() => undefined);
    }
  }
  await run('sh', ['-c', `docker save ${DOCKER_TAG} | ctr -a ${socket} -n k8s.io images import -`], { timeout: 60_000 });
}

/** Starts a private containerd and waits until its CRI plugin answers. */
export async function startContainerd(): Promise<Containerd> {
  const dir = await mkdtemp(join(tmpdir(), 'osc-cri-'));
  const socket = join(dir, 'containerd.sock');
  let config = (await run('containerd', ['config', 'default'])).stdout;
  config = setToml(config, 'root', JSON.stringify(join(dir, 'root')));
  config = setToml(config, 'state', JSON.stringify(join(dir, 'state')));
  config = config.replace(/^(\[grpc\]\s*\n\s*address = ).*$/m, `$1${JSON.stringify(socket)}`);
  config = setToml(config, 'sandbox_image', JSON.stringify(PAUSE_IMAGE));
  config = setToml(config, 'restrict_oom_score_adj', 'true');
  config = config.replace(/^disabled_plugins = .*$/m, 'disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]');
  if (!config.includes(JSON.stringify(socket))) throw new Error('could not set the containerd socket');
  const cfgPath = join(dir, 'config.toml');
  await writeFile(cfgPath, config);
  const logPath = join(dir, 'containerd.log');
  const logFd = openSync(logPath, 'a');
  const child: ChildProcess = spawn('containerd', ['--config', cfgPath], { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  const client = new CriClient(socket, { timeoutMillis: 10_000 });

  const stop = async (): Promise<void> => {
    // Sandboxes first (their containers go with them), so the shims exit and unmount.
    try {
      for (const s of await client.listPodSandboxes()) {
        await client.call('runtime', 'StopPodSandbox', { pod_sandbox_id: s.id }).catch(() => undefined);
        await client.call('runtime', 'RemovePodSandbox', { pod_sandbox_id: s.id }).catch(() => undefined);
      }
    } catch {
      // containerd already gone
    }
    client.close();
    if (!exited) {
      child.kill('SIGTERM');
      await waitFor(() => exited, 10_000, 'containerd to exit').catch(() => child.kill('SIGKILL'));
    }
    // Anything still mounted under our directory (a crash mid-test) is unmounted before removal.
    const mounts = (await readFile('/proc/mounts', 'utf8')).split('\n').map((l) => l.split(' ')[1] ?? '');
    for (const m of mounts.filter((m) => m.startsWith(dir)).reverse()) await run('umount', ['-l', m]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  };

  try {
    await waitFor(() => exited || existsSync(socket), 20_000, 'the containerd socket');
    if (exited) throw new Error(`containerd exited at start; log: ${(await readFile(logPath, 'utf8')).slice(-2000)}`);
    await waitFor(
      () =>
        client.version().then(
          () => true,
          () => false,
        ),
      20_000,
      'the CRI plugin',
    );
    await importPauseImage(socket);
  } catch (err) {
    await stop();
    throw err;
  }
  return { dir, socket, client, stop };
}

/** A pod sandbox config on the host network (no CNI needed). */
export function sandboxConfig(name: string, uid: string, namespace: string, logDir: string): Record<string, unknown> {
  return {
    metadata: { name, uid, namespace, attempt: 0 },
    log_directory: logDir,
    labels: { 'io.kubernetes.pod.uid': uid, 'io.kubernetes.pod.name': name, 'io.kubernetes.pod.namespace': namespace },
    linux: { security_context: { namespace_options: { network: 'NODE' } } },
  };
}

/** Runs a sandbox and returns its id. */
export async function runPod(client: CriClient, config: Record<string, unknown>): Promise<string> {
  const r = (await client.call('runtime', 'RunPodSandbox', { config })) as { pod_sandbox_id: string };
  return r.pod_sandbox_id;
}

/** Creates (and, with `start`, starts) a container with kubelet-style labels; returns its id. */
export async function runContainer(
  client: CriClient,
  podId: string,
  sandbox: Record<string, unknown>,
  name: string,
  command: string[],
  start: boolean,
): Promise<string> {
  const meta = sandbox.metadata as { uid: string; name: string; namespace: string };
  const config = {
    metadata: { name, attempt: 0 },
    image: { image: PAUSE_IMAGE },
    command,
    log_path: `${name}.log`,
    labels: {
      'io.kubernetes.pod.uid': meta.uid,
      'io.kubernetes.pod.name': meta.name,
      'io.kubernetes.pod.namespace': meta.namespace,
      'io.kubernetes.container.name': name,
    },
  };
  const r = (await client.call('runtime', 'CreateContainer', { pod_sandbox_id: podId, config, sandbox_config: sandbox })) as { container_id: string };
  if (start) await client.call('runtime', 'StartContainer', { container_id: r.container_id });
  return r.container_id;
}
