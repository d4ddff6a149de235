/**
 * eBPF connection tracker benchmark (issue #10): probe CPU at RATE new TCP connections per second
 * (each lives a few ms: connect, 4-byte ping, 4-byte pong, close), endpoint reporter ticking every
 * second for SECONDS, in two modes:
 *
 * - eBPF: the tracker (bpftrace child) feeding the endpoint reporter, conntrack off;
 * - /proc: the endpoint reporter with conntrack on (Scope's way of seeing short-lived connections).
 *
 * CPU = this process (walk + reports + parsing) + its helper children (bpftrace or `conntrack -E`),
 * as % of one core. In eBPF mode the in-kernel program time (tracepoints run in the context of the
 * tasks that connect, not the probe's) is read from the BPF programs' fdinfo with
 * `kernel.bpf_stats_enabled` on, and reported separately. Also: how many of the load's connections
 * appear as an edge carrying the client's pid (the figure /proc mode cannot reach).
 *
 * Then the whole probe (CLI) in eBPF vs /proc mode at 5 and 55 containers (ebpf-containers.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '../src/common/log.js';
import { EbpfConnections, ebpfUnavailableReason } from '../src/probe/ebpf/index.js';
import { createEndpointReporter } from '../src/probe/endpoint/reporter.js';
import { ProcWalker } from '../src/probe/procfs/walker.js';
import type { BenchResult } from './lib/types.js';
import { measureContainers } from './ebpf-containers.js';

const RATE = 1000;
const SECONDS = 10;
const TICKS_PER_SECOND = 100; // USER_HZ

const LOAD = `const net = require('net');
const s = net.createServer((c) => { c.on('data', () => c.end('pong')); c.on('error', () => {}); });
s.listen(0, '127.0.0.1', () => {
  const port = s.address().port; console.log(port);
  setInterval(() => { for (let i = 0; i < ${RATE / 100}; i++) { const c = net.connect(port, '127.0.0.1', () => c.write('ping'));
    c.on('data', () => c.end()); c.on('error', () => {}); } }, 10);
});`;

function cpuTicksOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

/** Pids of this process's children except `exclude`. */
function helperChildren(exclude: number): number[] {
  const out: number[] = [];
  for (const tid of readdirSync(`/proc/${process.pid}/task`)) {
    try {
      for (const p of readFileSync(`/proc/${process.pid}/task/${tid}/children`, 'utf8').trim().split(' ')) if (p && Number(p) !== exclude) out.push(Number(p));
    } catch {
      // thread gone
    }
  }
  return out;
}

/** Sum of run_time_ns over the BPF programs a process holds (needs kernel.bpf_stats_enabled=1). */
function bpfRunNanos(pid: number): number {
  let total = 0;
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) !== 'anon_inode:bpf-prog') continue;
        const m = /run_time_ns:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
        if (m) total += Number(m[1]);
      } catch {
        // fd closed meanwhile
      }
    }
  } catch {
    // process gone
  }
  return total;
}

interface ModeResult {
  cpuPercent: number;
  helperPercent: number;
  kernelPercent: number;
  connectionsWithClientPid: number;
}

async function runMode(mode: 'ebpf' | 'proc', load: ChildProcess, port: number): Promise<ModeResult> {
  const walker = new ProcWalker();
  const ebpf = mode === 'ebpf' ? new EbpfConnections({ enabled: true, logger: silentLogger() }) : undefined;
  const reporter = createEndpointReporter({
    hostId: 'bench', walker, procRoot: '/proc', procSpy: true, conntrack: mode === 'proc', fdBudgetPerTick: 4000,
    localNetworks: () => [], logger: silentLogger(), connectionSource: ebpf,
  });
  try {
    if (ebpf) {
      const deadline = Date.now() + 180_000; // bpftrace compiles slowly on a loaded host
      while (!ebpf.active && Date.now() < deadline) await sleep(200);
      if (!ebpf.active) throw new Error('eBPF tracker did not start');
    }
    // Warm up two ticks (first /proc walk, conntrack dump).
    for (let i = 0; i < 2; i++) {
      await walker.walk();
      await reporter.report();
      await sleep(1000);
    }
    const helpers = helperChildren(load.pid!);
    const helperStart = helpers.map(cpuTicksOf);
    const kernelStart = helpers.reduce((s, p) => s + bpfRunNanos(p), 0);
    const cpuStart = process.cpuUsage();
    const wallStart = performance.now();
    let withClientPid = 0;
    const loadPid = String(load.pid);
    for (let i = 0; i < SECONDS; i++) {
      const tickStart = performance.now();
      await walker.walk();
      const rpt = await reporter.report();
      for (const n of rpt.topologies.endpoint.nodes.values()) {
        if (n.latest.get('pid')?.value === loadPid && n.adjacency.some((a) => a.endsWith(`;${port}`))) withClientPid += Number(n.latest.get('conn_count')?.value ?? '1');
      }
      await sleep(Math.max(0, 1000 - (performance.now() - tickStart)));
    }
    const wallMillis = performance.now() - wallStart;
    const cpu = process.cpuUsage(cpuStart);
    // A helper that exited meanwhile reads 0: count none of its time rather than a negative.
    const helperTicks = helpers.reduce((s, p, i) => s + Math.max(0, cpuTicksOf(p) - helperStart[i]!), 0);
    const helperMillis = (helperTicks * 1000) / TICKS_PER_SECOND;
    const kernelMillis = (helpers.reduce((s, p) => s + bpfRunNanos(p), 0) - kernelStart) / 1e6;
    const ownMillis = (cpu.user + cpu.system) / 1000;
    return {
      cpuPercent: ((ownMillis + helperMillis) / wallMillis) * 100,
      helperPercent: (helperMillis / wallMillis) * 100,
      kernelPercent: (kernelMillis / wallMillis) * 100,
      connectionsWithClientPid: withClientPid,
    };
  } finally {
    await reporter.stop?.();
    await ebpf?.stop();
  }
}

export async function run(): Promise<BenchResult[]> {
  const why = ebpfUnavailableReason();
  if (why !== undefined) return [{ name: 'eBPF connection tracker', value: 0, unit: '', note: `skipped: ${why}` }];
  let statsWasOn = '0';
  try {
    statsWasOn = readFileSync('/proc/sys/kernel/bpf_stats_enabled', 'utf8').trim();
    writeFileSync('/proc/sys/kernel/bpf_stats_enabled', '1');
  } catch {
    // without stats, the kernel figure reads 0
  }
  const load = spawn(process.execPath, ['-e', LOAD], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = Number(await new Promise<string>((resolve, reject) => {
      load.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()));
      load.once('error', reject);
    }));
    const proc = await runMode('proc', load, port);
    const ebpf = await runMode('ebpf', load, port);
    const loadAfterRate = loadavg()[0]!.toFixed(1);
    load.kill('SIGKILL');
    const containers = await measureContainers();
    const total = RATE * SECONDS;
    return [
      ...containers.map((c): BenchResult => ({
        name: `probe CPU (CLI, Docker on), ${c.containers} containers, eBPF mode`, value: c.ebpf.percent, unit: '% of one core',
        baseline: { name: '--probe.ebpf.connections=false (/proc + conntrack + sock_diag)', value: c.proc.percent },
        target: c.containers > 5 ? 'eBPF mode cheaper than /proc mode' : undefined,
        note: `probe and its helpers (bpftrace / conntrack / ss), 20 s window after start-up; modes as logged: ${c.ebpf.mode} vs ${c.proc.mode}; load average ${loadavg()[0]!.toFixed(1)} on a shared 2-core machine`,
      })),
      {
        name: `probe CPU at ${RATE} new connections/s, eBPF mode`, value: ebpf.cpuPercent, unit: '% of one core',
        baseline: { name: '/proc + conntrack mode', value: proc.cpuPercent }, target: '< 5 % of a core',
        note: `of which bpftrace ${ebpf.helperPercent.toFixed(2)} % (conntrack -E in /proc mode: ${proc.helperPercent.toFixed(2)} %); endpoint reporter ticking every 1 s over ${SECONDS} s; in-kernel aggregation, one map dump per 3 ticks (DUMP_EVERY_TICKS); load average ${loadAfterRate} on a shared 2-core machine`,
      },
      {
        name: `in-kernel BPF program time at ${RATE} connections/s`, value: ebpf.kernelPercent, unit: '% of one core',
        note: 'run_time_ns of the tracker\'s programs (kernel.bpf_stats_enabled); charged to the tasks that connect, send and receive',
      },
      {
        name: `short-lived connections seen with the client pid (of ${total})`, value: ebpf.connectionsWithClientPid, unit: 'connections',
        baseline: { name: '/proc + conntrack mode', value: proc.connectionsWithClientPid },
        note: 'connections (conn_count of the client endpoint nodes with the client pid and an edge to the server), summed over the ticks',
      },
    ];
  } finally {
    load.kill('SIGKILL');
    try {
      writeFileSync('/proc/sys/kernel/bpf_stats_enabled', statsWasOn);
    } catch {
      // left as it was
    }
  }
}
