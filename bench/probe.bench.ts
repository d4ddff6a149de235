/**
 * Probe benchmarks (issue #3):
 *
 * 1. CPU per spy tick with ≥ 500 processes and 5,000 TCP connections (created here: `sleep`
 *    processes, one server and 10 clients holding 500 connections each), steady state, as a ratio
 *    to a plain read of the same /proc files (readdir /proc; every /proc/<pid>/stat; stat of every
 *    /proc/<pid>/fd; /proc/stat; net/tcp and tcp6 once per namespace) — no parsing, no report.
 *    Target ≤ 3×. The cold first tick (full fd walk) is reported too.
 * 2. The whole probe (compiled JS, as deployed, default flags) idle on this host for 60 s as in the
 *    issue, publishing to a local sink: CPU % of one core (utime + stime of the probe process) and
 *    RSS, in steady state: the window opens after a 30-s warm-up, because a probe runs for days and
 *    its first half-minute is mostly V8 compiling it (measured: ~30 % more CPU in a window from 5 s
 *    on). The start-up window (5 s to 35 s) is given in the note. Scope 1.13.2: 2.9 % / 103 MiB; target ≤ 1.5 %, ≤ 80 MiB. The CPU of the probe's helper
 *    children (bpftrace for eBPF connection tracking, or conntrack) is reported beside it.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import http from 'node:http';
import { loadavg } from 'node:os';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '../src/common/log.js';
import { ProcWalker } from '../src/probe/procfs/walker.js';
import { createProcessReporter } from '../src/probe/process/reporter.js';
import { createEndpointReporter } from '../src/probe/endpoint/reporter.js';
import { createHostReporter } from '../src/probe/host/reporter.js';
import { BENCH_RUNTIME_FLAGS, runtimeFlagsNote } from './lib/app-process.js';
import type { BenchResult } from './lib/types.js';

const PROCESSES = 500;
const CONNECTIONS = 5000;
const CLIENTS = 10;
const IDLE_SECONDS = 60;
/** Seconds between start-up (5 s) and the idle window: see the header. */
const WARMUP_SECONDS = 30;
/** Processes on the host during the idle run (the Scope figure: ~150); `sleep`s fill up. */
const IDLE_HOST_PROCESSES = 150;
const REPO = fileURLToPath(new URL('..', import.meta.url));
const cpus = (await import('node:os')).cpus().length;

const cpuMillis = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
};

/** The plain read: the same files the tick reads, read and thrown away. */
function plainRead(netnsReaders: number[]): number {
  let bytes = 0;
  bytes += readFileSync('/proc/stat').length;
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    try {
      bytes += readFileSync(`/proc/${name}/stat`).length;
      bytes += statSync(`/proc/${name}/fd`).size;
    } catch {
      // exited meanwhile
    }
  }
  for (const pid of netnsReaders) {
    try {
      bytes += readFileSync(`/proc/${pid}/net/tcp`).length;
    } catch {
      continue; // the namespace's representative exited (other sessions' containers come and go)
    }
    try {
      bytes += readFileSync(`/proc/${pid}/net/tcp6`).length;
    } catch {
      // no IPv6
    }
  }
  return bytes;
}

/** One pid per network namespace (what the scanner reads tables from). */
function netnsRepresentatives(): number[] {
  const seen = new Map<string, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const ns = execFileSync('readlink', [`/proc/${name}/ns/net`]).toString().trim();
      if (!seen.has(ns)) seen.set(ns, Number(name));
    } catch {
      // gone
    }
  }
  return [...seen.values()];
}

async function createLoad(children: ChildProcess[]): Promise<void> {
  const server = spawn(process.execPath, ['-e', `
    const s = require('net').createServer((c) => c.on('error', () => {}));
    s.maxConnections = 100000;
    s.listen(0, '127.0.0.1', () => console.log(s.address().port));`], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(server);
  const [portBuf] = (await once(server.stdout, 'data')) as [Buffer];
  const port = Number(portBuf.toString().trim());
  const per = CONNECTIONS / CLIENTS;
  const ready: Promise<unknown>[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const c = spawn(process.execPath, ['-e', `
      const net = require('net'); let open = 0; const socks = [];
      for (let i = 0; i < ${per}; i++) { const s = net.connect(${port}, '127.0.0.1', () => { if (++open === ${per}) console.log('ok'); }); s.on('error', (e) => { console.error(e.message); process.exit(1); }); socks.push(s); }
      setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(c);
    ready.push(once(c.stdout, 'data'));
  }
  await Promise.all(ready);
  const existing = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length;
  for (let i = existing; i < PROCESSES + 20; i++) children.push(spawn('sleep', ['900'], { stdio: 'ignore' }));
  await sleep(500);
}

async function tickBench(): Promise<BenchResult[]> {
  const walker = new ProcWalker();
  const processes = createProcessReporter({ hostId: 'bench', walker, omitCmdArgs: false });
  const endpoints = createEndpointReporter({
    hostId: 'bench', walker, procRoot: '/proc', procSpy: true, conntrack: false, fdBudgetPerTick: 4000,
    localNetworks: () => [], logger: silentLogger(),
  });
  const host = createHostReporter({ hostId: 'bench', probeId: 'b', version: 'bench', procRoot: '/proc', controlsEnabled: true });
  const tick = async (): Promise<number> => {
    const t0 = cpuMillis();
    await walker.walk();
    const [, p, e] = await Promise.all([host.report(), processes.report(), endpoints.report()]);
    if (p.topologies.process.nodes.size === 0 || e.topologies.endpoint.nodes.size === 0) throw new Error('empty tick');
    return cpuMillis() - t0;
  };
  const cold = await tick();
  const coldReadlinks = endpoints.scanner.lastReadlinks;
  for (let i = 0; i < 5; i++) await tick(); // finish the fd walk, warm the JIT
  const reps = netnsRepresentatives();
  const ticks: number[] = [];
  const plains: number[] = [];
  for (let i = 0; i < 15; i++) {
    ticks.push(await tick());
    const t0 = cpuMillis();
    plainRead(reps);
    plains.push(cpuMillis() - t0);
  }
  const snap = walker.snapshot!;
  const last = await endpoints.report();
  return [
    {
      name: `spy tick, steady state (${snap.procs.size} processes, ${last.topologies.endpoint.nodes.size} endpoint nodes)`,
      value: median(ticks),
      unit: 'ms CPU/tick',
      baseline: { name: 'plain read of the same /proc files', value: median(plains) },
      target: '≤ 3× plain read',
      note: `walk + host, process and endpoint reports; conntrack off; host load average ${loadavg()[0]!.toFixed(1)} on ${cpus} CPUs`,
    },
    {
      name: 'spy tick, cold (first tick: full fd walk)',
      value: cold,
      unit: 'ms CPU/tick',
      note: `${coldReadlinks} readlinks in the first tick (budget 4000/tick); later ticks re-walk only pids with unknown sockets`,
    },
  ];
}

/** Builds the probe to JS (as deployed) for the idle run; falls back to tsx. */
function probeEntry(): { args: string[]; note: string } {
  const out = `${REPO}node_modules/.cache/openscope-bench-probe`;
  try {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.json', '--outDir', out, '--sourceMap', 'false'], { cwd: REPO, stdio: 'ignore', timeout: 180_000 });
  } catch {
    // tsc exits non-zero on type errors elsewhere but still emits
  }
  const js = `${out}/probe/index.js`;
  if (existsSync(js)) return { args: ['--input-type=module', '-e', childCode(js)], note: `compiled JS, ${runtimeFlagsNote()}` };
  return { args: ['--import', 'tsx', '--input-type=module', '-e', childCode(`${REPO}src/probe/index.ts`)], note: 'via tsx (compile failed)' };
}

function childCode(entry: string): string {
  return `
    import { startProbe, defaultProbeConfig } from ${JSON.stringify(entry)};
    const url = process.argv.at(-1);
    await startProbe(defaultProbeConfig({ hostId: 'bench-idle', targets: [{ url }], version: 'bench' }));
    setInterval(() => {}, 1 << 30);`;
}

function procCpuMillis(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}
/** CPU ms of the direct children of `pid` (bpftrace, conntrack), by child pid. */
function childrenCpuMillis(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  let kids: string[] = [];
  try {
    kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim().split(' ').filter((k) => k !== '');
  } catch {
    // no children file (old kernel)
  }
  for (const k of kids) {
    try {
      out.set(Number(k), procCpuMillis(Number(k)));
    } catch {
      // exited
    }
  }
  return out;
}
function procRssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  return Number(m?.[1] ?? 0) / 1024;
}

async function idleBench(): Promise<BenchResult[]> {
  let posts = 0;
  const sink = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/api') res.end('{"id":"bench-app"}');
      else {
        posts++;
        res.end();
      }
    });
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const { args, note } = probeEntry();
  // The (and Scope's) figure is for a host with ~150 processes: top a quiet host up to that.
  const existing = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length;
  const sleepers: ChildProcess[] = [];
  for (let i = existing; i < IDLE_HOST_PROCESSES; i++) sleepers.push(spawn('sleep', ['900'], { stdio: 'ignore' }));
  const child = spawn(process.execPath, [...BENCH_RUNTIME_FLAGS, ...args, url], { stdio: ['ignore', 'ignore', 'ignore'], cwd: REPO });
  try {
    await sleep(5000); // start-up: module load, first walks
    const warm0 = procCpuMillis(child.pid!);
    await sleep(WARMUP_SECONDS * 1000); // JIT warm-up: tiered compilation of the hot paths
    const warmup = ((procCpuMillis(child.pid!) - warm0) / (WARMUP_SECONDS * 1000)) * 100;
    const cpu0 = procCpuMillis(child.pid!);
    const kids0 = childrenCpuMillis(child.pid!);
    const load0 = loadavg()[0]!;
    const posts0 = posts;
    await sleep(IDLE_SECONDS * 1000);
    const cpu = ((procCpuMillis(child.pid!) - cpu0) / (IDLE_SECONDS * 1000)) * 100;
    let kidsMillis = 0;
    // A child started during the window (e.g. bpftrace after a fallback) counts from its start.
    for (const [k, ms] of childrenCpuMillis(child.pid!)) kidsMillis += ms - (kids0.get(k) ?? 0);
    const kidsNote = `helper children (bpftrace/conntrack) ${((kidsMillis / (IDLE_SECONDS * 1000)) * 100).toFixed(2)} % more`;
    const rss = procRssMiB(child.pid!);
    const procs = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length;
    return [
      { name: `probe idle CPU over ${IDLE_SECONDS} s (${procs} processes on host)`, value: cpu, unit: '% of one core', baseline: { name: 'Scope 1.13.2', value: 2.9 }, target: '≤ 1.5 %', note: `${note}; steady state after ${5 + WARMUP_SECONDS} s (the ${WARMUP_SECONDS} s before, start-up and JIT warm-up: ${warmup.toFixed(2)} %); ${posts - posts0} reports published; ${kidsNote}; host load average ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)} (shared machine: CPU time per operation grows with contention)` },
      { name: 'probe idle RSS', value: rss, unit: 'MiB', baseline: { name: 'Scope 1.13.2', value: 103 }, target: '≤ 80 MiB', note },
    ];
  } finally {
    child.kill('SIGKILL');
    for (const s of sleepers) s.kill('SIGKILL');
    sink.closeAllConnections();
    sink.close();
  }
}

export async function run(): Promise<BenchResult[]> {
  const children: ChildProcess[] = [];
  const results: BenchResult[] = [];
  try {
    await createLoad(children);
    results.push(...(await tickBench()));
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await sleep(500);
  }
  results.push(...(await idleBench()));
  return results;
}
