/**
 * `openscope launch` / `openscope stop` (like `scope launch` / `scope stop`): run the OpenScope
 * image on this Docker host as one privileged container with the host's network and PID
 * namespaces and the Docker socket mounted — app and probe in one process — and print its URLs;
 * `stop` removes it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type Docker from 'dockerode';
import { createDockerClient } from '../probe/docker/client.js';

/** Linux capability names by number (capability.h), as Docker spells them. */
const CAP_NAMES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
  'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER',
  'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE',
  'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP',
  'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
  'CHECKPOINT_RESTORE',
];

/** Capabilities missing from this process's bounding set (a sandboxed Docker host lacks some). */
export function missingCapabilities(statusText: string): string[] {
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(statusText);
  if (!m) return [];
  const bound = BigInt(`0x${m[1]}`);
  return CAP_NAMES.filter((_, i) => (bound & (1n << BigInt(i))) === 0n);
}

/** Options of {@link launch} and {@link stopLaunched}; defaults from the environment. */
export interface LaunchOptions {
  /** Image to run. Default `$OPENSCOPE_IMAGE` or `openscope:latest`. */
  image: string;
  /** Container name. Default `$OPENSCOPE_CONTAINER_NAME` or `openscope`. */
  containerName: string;
  /** Docker endpoint; default `DOCKER_HOST` or the local socket. */
  dockerHost?: string;
  /** How long to wait for the UI to answer, milliseconds. Default 60000. */
  readyTimeoutMillis: number;
  /**
   * Login token given to the app (`OPENSCOPE_APP_TOKEN`): the launched app listens beyond loopback,
   * so it needs one. Default `$OPENSCOPE_APP_TOKEN`, else a new random one; unused when the
   * arguments configure authentication themselves.
   */
  token?: string;
  out(text: string): void;
}

/** Marks the container as OpenScope's own (a system container in the containers view, as Scope's). */
const ROLE_LABEL = 'works.weave.role';

export function launchOptionsFromEnv(env: NodeJS.ProcessEnv, out: (text: string) => void): LaunchOptions {
  return {
    image: env.OPENSCOPE_IMAGE || 'openscope:latest',
    containerName: env.OPENSCOPE_CONTAINER_NAME || 'openscope',
    readyTimeoutMillis: 60_000,
    ...(env.OPENSCOPE_APP_TOKEN ? { token: env.OPENSCOPE_APP_TOKEN } : {}),
    out,
  };
}

function readStatus(): string {
  try {
    return readFileSync('/proc/self/status', 'utf8');
  } catch {
    return '';
  }
}

/** The app port the arguments ask for (`--app.http.address=[host]:port`), default 4040. */
export function appPortOf(args: readonly string[]): number {
  let port = 4040;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const m = /^--?app\.http\.address(?:=(.*))?$/.exec(a);
    if (!m) continue;
    const value = m[1] ?? args[i + 1] ?? '';
    const p = /:(\d+)$/.exec(value);
    if (p) port = Number(p[1]);
  }
  return port;
}

/** http://<addr>:<port>/ for every non-internal IPv4 address of this host (what Scope printed). */
export function launchUrls(port: number): string[] {
  const urls: string[] = [];
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) urls.push(`http://${a.address}:${port}/`);
  }
  return urls.length > 0 ? urls : [`http://localhost:${port}/`];
}

function statusOf(err: unknown): number | undefined {
  const s = (err as { statusCode?: unknown }).statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** Runs the container (replacing a stopped one of the same name); resolves once the UI answers. */
/** Whether the arguments set up the app's authentication themselves (then launch adds no token). */
function configuresAuth(args: readonly string[]): boolean {
  return args.some((a) => /^--?app\.(auth|basicAuth)/.test(a));
}

export async function launch(
  args: readonly string[],
  opts: LaunchOptions,
): Promise<{ containerId: string; urls: string[]; token: string | undefined }> {
  const docker = await createDockerClient(opts.dockerHost);
  const port = appPortOf(args);
  const existing = docker.getContainer(opts.containerName);
  try {
    const info = await existing.inspect();
    if (info.State.Running) {
      opts.out(`OpenScope is already running (container ${opts.containerName}); \`openscope stop\` first to relaunch.\n`);
      return { containerId: info.Id, urls: launchUrls(port), token: undefined };
    }
    await existing.remove({ force: true });
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
  }
  try {
    await docker.getImage(opts.image).inspect();
  } catch (err) {
    if (statusOf(err) === 404) {
      throw new Error(`image ${opts.image} not found: build it with scripts/build-image.sh (or set OPENSCOPE_IMAGE)`, { cause: err });
    }
    throw err;
  }
  const token = configuresAuth(args) ? undefined : (opts.token ?? randomBytes(24).toString('base64url'));
  const create = (privileged: boolean): Promise<Docker.Container> =>
    docker.createContainer({
      name: opts.containerName,
      Image: opts.image,
      Cmd: ['--probe.docker=true', ...args],
      Labels: { [ROLE_LABEL]: 'system', 'org.opencontainers.image.title': 'OpenScope' },
      Env: ['CHECKPOINT_DISABLE=1', ...(token !== undefined ? [`OPENSCOPE_APP_TOKEN=${token}`] : [])],
      HostConfig: {
        ...(privileged
          ? { Privileged: true }
          : {
              CapAdd: ['ALL'],
              CapDrop: missingCapabilities(readStatus()),
              SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
            }),
        NetworkMode: 'host',
        PidMode: 'host',
        UsernsMode: 'host',
        Binds: ['/var/run/docker.sock:/var/run/docker.sock'],
        RestartPolicy: { Name: 'unless-stopped' },
      },
    });
  let container = await create(true);
  try {
    await container.start();
  } catch (err) {
    // A Docker host that is itself sandboxed cannot grant every capability (runc: "unable to
    // apply caps"); run with every capability it can grant instead.
    if (!/apply caps/.test(String((err as Error).message))) throw err;
    await container.remove({ force: true });
    opts.out('This Docker host refuses privileged containers; running with every capability it grants instead.\n');
    container = await create(false);
    await container.start();
  }
  await waitForUi(container, port, opts.readyTimeoutMillis);
  const urls = launchUrls(port).map((u) => (token !== undefined ? `${u}?token=${token}` : u));
  opts.out(`OpenScope is listening at the following URL(s):\n${urls.map((u) => `  * ${u}`).join('\n')}\n`);
  return { containerId: container.id, urls, token };
}

async function waitForUi(container: Docker.Container, port: number, timeoutMillis: number): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    const info = await container.inspect();
    if (!info.State.Running) {
      const logs = (await container.logs({ stdout: true, stderr: true, tail: 20 })).toString('utf8');
      throw new Error(`the OpenScope container exited (code ${info.State.ExitCode}):\n${logs}`);
    }
    if (Date.now() > deadline) throw new Error(`OpenScope did not answer on port ${port} within ${timeoutMillis} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Stops and removes the launched container; true when there was one. */
export async function stopLaunched(opts: LaunchOptions): Promise<boolean> {
  const docker = await createDockerClient(opts.dockerHost);
  const c = docker.getContainer(opts.containerName);
  try {
    await c.remove({ force: true });
  } catch (err) {
    if (statusOf(err) === 404) {
      opts.out(`OpenScope is not running (no container ${opts.containerName}).\n`);
      return false;
    }
    throw err;
  }
  opts.out(`Stopped OpenScope (container ${opts.containerName}).\n`);
  return true;
}

/**
 * `openscope launch [flags…]` / `openscope stop`: the positional commands of the CLI. Flags after
 * `launch` go to the launched OpenScope. Exit code 1 (with one line on stderr) on failure.
 */
export async function runLaunchCommand(
  command: 'launch' | 'stop',
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  io: { out: (text: string) => void; err: (text: string) => void } = {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
  },
): Promise<number> {
  const opts = launchOptionsFromEnv(env, io.out);
  try {
    if (command === 'launch') await launch(args, opts);
    else await stopLaunched(opts);
    return 0;
  } catch (err) {
    io.err(`openscope ${command}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
