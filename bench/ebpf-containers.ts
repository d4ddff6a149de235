/**
 * Part of bench/ebpf.bench.ts (issue #10): the whole probe (the CLI, `--mode=probe
 * --probe.docker=true`, publishing to a local sink) in eBPF mode vs /proc mode
 * (`--probe.ebpf.connections=false`: /proc scans of every namespace + conntrack + sock_diag),
 * at 5 idle containers and at 55 (the 5 + 25 busybox httpd + 25 clients `wget`-ing one server
 * each every second), as bench/docker.bench.ts sets them up. CPU = utime + stime of the probe and
 * its descendants (bpftrace, conntrack, ss) over a window after start-up (eBPF: after bpftrace
 * attached).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';

const WINDOW_SECONDS = 20;
const SETTLE_MILLIS = 4000;
const IDLE = 5;
const PAIRS = 25;
const IMAGE = 'localbb:latest';
const REPO = fileURLToPath(new URL('..', import.meta.url));
const PREFIX = `osbench-ebpf-${process.pid}`;
const NETWORK = `${PREFIX}-net`;

const execFileAsync = promisify(execFile);
const docker = async (...args: string[]): Promise<string> => (await execFileAsync('docker', args, { timeout: 60_000 })).stdout.trim();

/** CPU ticks (1/100 s) of `root` and its descendants. */
function treeTicks(root: number): number {
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(name), Number(f[1]));
      // Children that exited and were waited for are in cutime/cstime.
      ticks.set(Number(name), Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]));
    } catch {
      // exited meanwhile
    }
  }
  let total = 0;
  for (const [pid, t] of ticks) {
    for (let p: number | undefined = pid, depth = 0; p !== undefined && depth < 64; p = parent.get(p), depth++) {
      if (p === root) {
        total += t;
        break;
      }
    }
  }
  return total;
}

async function startSink(): Promise<{ url: string; close: () => void }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'GET' && req.url?.startsWith('/api') === true && !req.url.startsWith('/api/')) res.setHeader('content-type', 'application/json').end('{"id":"bench"}');
      else res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** Starts the probe CLI and waits until its connection tracking mode is decided. */
async function startProbe(sink: string, ebpf: boolean): Promise<{ child: ChildProcess; mode: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--mode=probe', '--probe.docker=true', '--probe.publish.stdout=false',
    `--probe.ebpf.connections=${ebpf}`, sink], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
  const mode = await new Promise<string>((resolve) => {
    const timer = setTimeout(() => resolve('undecided after 180 s'), 180_000);
    let buf = '';
    child.stderr.on('data', (d: Buffer) => {
      buf = (buf + d.toString()).slice(-8000);
      if (/eBPF connection tracking on/.test(buf)) resolve('eBPF');
      else if (/eBPF connection tracking unavailable/.test(buf)) resolve('/proc');
      else return;
      clearTimeout(timer);
    });
    child.once('exit', () => resolve('exited'));
  });
  return { child, mode };
}

async function measureProbe(sink: string, ebpf: boolean): Promise<{ percent: number; mode: string }> {
  const { child, mode } = await startProbe(sink, ebpf);
  try {
    await sleep(SETTLE_MILLIS);
    const t0 = treeTicks(child.pid!);
    const w0 = performance.now();
    await sleep(WINDOW_SECONDS * 1000);
    const ticks = treeTicks(child.pid!) - t0;
    return { percent: ((ticks * 10) / (performance.now() - w0)) * 100, mode };
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.once('exit', r)));
  }
}

async function startContainers(names: string[], args: (i: number) => string[]): Promise<void> {
  for (let i = 0; i < names.length; i += 5) {
    await Promise.all(names.slice(i, i + 5).map((n, j) => docker('run', '-d', '--name', n, '--label', `osbench=${PREFIX}`, ...args(i + j))));
  }
}

async function cleanup(): Promise<void> {
  try {
    const ids = (await docker('ps', '-aq', '--filter', `label=osbench=${PREFIX}`)).split('\n').filter(Boolean);
    if (ids.length > 0) await docker('rm', '-f', ...ids);
  } catch (e) {
    console.error('ebpf bench cleanup (containers):', e);
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      if ((await docker('network', 'ls', '-q', '--filter', `name=^${NETWORK}$`)) === '') return;
      await docker('network', 'rm', NETWORK);
      return;
    } catch {
      await sleep(2000);
    }
  }
}

/** Probe CPU (% of one core) per container count, eBPF vs /proc mode. */
export interface ContainerFigures {
  containers: number;
  ebpf: { percent: number; mode: string };
  proc: { percent: number; mode: string };
}

export async function measureContainers(): Promise<ContainerFigures[]> {
  await docker('version', '--format', '{{.Server.Version}}');
  const sink = await startSink();
  const out: ContainerFigures[] = [];
  const config = async (containers: number): Promise<void> => {
    const proc = await measureProbe(sink.url, false);
    const ebpf = await measureProbe(sink.url, true);
    out.push({ containers, ebpf, proc });
  };
  try {
    await startContainers(Array.from({ length: IDLE }, (_, i) => `${PREFIX}-idle-${i}`), () => [IMAGE, 'sh', '-c', 'while true; do sleep 1; done']);
    await config(IDLE);
    await docker('network', 'create', '--label', `osbench=${PREFIX}`, NETWORK);
    const servers = Array.from({ length: PAIRS }, (_, i) => `${PREFIX}-srv-${i}`);
    await startContainers(servers, () => ['--network', NETWORK, IMAGE, 'sh', '-c',
      'mkdir -p /www && echo hi > /www/index.html && httpd -p 80 -h /www; while true; do sleep 1; done']);
    await startContainers(Array.from({ length: PAIRS }, (_, i) => `${PREFIX}-cli-${i}`), (i) => ['--network', NETWORK, IMAGE, 'sh', '-c',
      `while true; do wget -q -O /dev/null http://${servers[i]}/; sleep 1; done`]);
    await config(IDLE + 2 * PAIRS);
  } finally {
    sink.close();
    await cleanup();
  }
  return out;
}
