/**
 * eBPF connection tracker (wire §5.5.5): runs the bpftrace program of script.ts as a child process
 * and keeps the table of open TCP connections, with the pid of the connecting task (outgoing) or
 * the accepting task (incoming), plus the connections closed since the last `drain()` (reported
 * once, so a connection that lived a few milliseconds is still reported), with byte counts and
 * smoothed RTT.
 *
 * The child is spawned under `setpriv --pdeathsig KILL`, so it (and its BPF programs, which live
 * as long as its file descriptors) dies with the probe even on SIGKILL; `stop()` kills it too.
 * Lines are read with a bounded buffer; tables are bounded (excess is dropped and counted).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Logger } from '../../common/log.js';
import { parseTrackerLine, type CloseEvent, type EstablishedEvent, type TrackerEvent } from './parse.js';
import { trackerScript } from './script.js';

/** One tracked connection, from this host's side. */
export interface TrackedConnection {
  netns: number;
  /** true: initiated here (connect); false: accepted here. */
  outgoing: boolean;
  /** Connecting (outgoing) or accepting (incoming) pid; undefined if unknown. */
  pid: number | undefined;
  localIp: string;
  localPort: number;
  remoteIp: string;
  remotePort: number;
  /** Bytes this side sent / received since the tracker saw the connection open. */
  sentBytes: number;
  receivedBytes: number;
  /** Last smoothed RTT, µs; 0 if no sample. */
  srttMicros: number;
  /** Whether it closed (reported once by `drain()`). */
  closed: boolean;
}

/** Why the tracker cannot run, or undefined if it may try. */
export function ebpfUnavailableReason(opts: { bpftrace?: string; tracefsRoots?: readonly string[] } = {}): string | undefined {
  if (process.getuid?.() !== 0) return 'not running as root (bpftrace needs CAP_BPF and CAP_PERFMON)';
  const roots = opts.tracefsRoots ?? ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];
  if (!roots.some((r) => existsSync(`${r}/events/sock/inet_sock_set_state`))) {
    return 'tracefs is not mounted (mount -t tracefs tracefs /sys/kernel/tracing) or the kernel lacks the sock:inet_sock_set_state tracepoint';
  }
  if (!existsSync('/sys/kernel/btf/vmlinux')) return 'the kernel has no BTF (/sys/kernel/btf/vmlinux)';
  if (findBinary(opts.bpftrace ?? 'bpftrace') === undefined) return 'bpftrace is not installed (apt-get install bpftrace)';
  return undefined;
}

function findBinary(name: string): string | undefined {
  const candidates = name.includes('/') ? [name] : [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin'].map((d) => join(d, name));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return undefined;
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
/** Most open connections tracked. */
const MAX_OPEN = 200_000;
/** Most closed connections kept between two drains (a burst beyond is dropped, counted). */
const MAX_CLOSED = 50_000;
/** Most out-of-order accepts/closes waiting for their ESTABLISHED line. */
const MAX_PENDING = 10_000;
/** Longest line accepted from the child (anything longer is garbage). */
const MAX_LINE_CHARS = 512;

/** Options of {@link ConnectionTracker}. */
export interface ConnectionTrackerOptions {
  logger: Logger;
  /** Interval of the in-kernel byte/RTT summaries, ms. Default 1000. */
  summaryIntervalMillis?: number;
  /** bpftrace binary. Default `bpftrace`. */
  bpftrace?: string;
  /** How long bpftrace may take to compile and attach, ms. Default 60000. */
  startTimeoutMillis?: number;
}

type Key = string;
const tupleKey = (netns: number, lip: string, lp: number, rip: string, rp: number): Key => `${netns}|${lip}|${lp}|${rip}|${rp}`;

export class ConnectionTracker {
  private child: ChildProcess | undefined;
  /** Open connections by socket address. */
  private readonly open = new Map<string, TrackedConnection & { tNanos: bigint }>();
  /** Connections known from the start-up /proc scan, by tuple (no socket address). */
  private readonly seeded = new Map<Key, TrackedConnection>();
  private closed: TrackedConnection[] = [];
  /** Closed since the last drain, by socket: an accept line may be read after the close line. */
  private closedBySk = new Map<string, TrackedConnection>();
  private readonly pendingAccept = new Map<string, { tNanos: bigint; pid: number }>();
  private readonly pendingClose = new Map<string, CloseEvent>();
  private partial = '';
  private stopped = false;
  /** Counters for logs, tests and benchmarks. */
  readonly stats = { lines: 0, established: 0, accepted: 0, closes: 0, lost: 0, dropped: 0, malformed: 0 };
  /** Set when the child exits after having started (the caller falls back). */
  exitReason: string | undefined;

  constructor(private readonly opts: ConnectionTrackerOptions) {}

  /** Starts bpftrace; resolves once every probe is attached, rejects with the reason otherwise. */
  start(): Promise<void> {
    const script = trackerScript(this.opts.summaryIntervalMillis ?? 1000);
    const bin = this.opts.bpftrace ?? 'bpftrace';
    const args = ['-B', 'line', '-e', script];
    const child = SETPRIV
      ? spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 4000) stderr += d.toString();
    });
    return new Promise((resolve, reject) => {
      let ready = false;
      const timer = setTimeout(() => {
        if (ready) return;
        child.kill('SIGKILL');
        reject(new Error(`bpftrace did not attach within ${this.opts.startTimeoutMillis ?? 60_000} ms`));
      }, this.opts.startTimeoutMillis ?? 60_000);
      timer.unref();
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        this.onData(chunk, () => {
          ready = true;
          clearTimeout(timer);
          resolve();
        });
      });
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        this.child = undefined;
        const why = `bpftrace exited (${signal ?? code}): ${firstError(stderr)}`;
        if (!ready) reject(new Error(why));
        else if (!this.stopped) this.exitReason = why;
      });
    });
  }

  /** Pid of the bpftrace child while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Whether the child is running and attached. */
  get running(): boolean {
    return this.child !== undefined && this.exitReason === undefined && !this.stopped;
  }

  /** Adds connections that existed before the tracker started (from a /proc scan). */
  seed(conns: Iterable<Omit<TrackedConnection, 'sentBytes' | 'receivedBytes' | 'srttMicros' | 'closed'>>): void {
    for (const c of conns) {
      if (this.seeded.size >= MAX_OPEN) break;
      this.seeded.set(tupleKey(c.netns, c.localIp, c.localPort, c.remoteIp, c.remotePort), { ...c, sentBytes: 0, receivedBytes: 0, srttMicros: 0, closed: false });
    }
  }

  /** Open connections, then those closed since the last call (each closed one reported once). */
  drain(): TrackedConnection[] {
    const out: TrackedConnection[] = [...this.seeded.values(), ...this.open.values(), ...this.closed];
    this.closed = [];
    this.closedBySk = new Map();
    // Accepts and closes whose ESTABLISHED line never came (sockets older than the tracker).
    if (this.pendingAccept.size > MAX_PENDING / 2) this.pendingAccept.clear();
    this.pendingClose.clear();
    return out;
  }

  /** Kills the child (its BPF programs go with it). */
  async stop(): Promise<void> {
    this.stopped = true;
    const child = this.child;
    if (!child) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, 3000);
      child.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  /** Feeds raw output (exported for tests through `feed`). */
  private onData(chunk: string, onReady: () => void): void {
    let text = this.partial + chunk;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const line = text.slice(start, nl);
      start = nl + 1;
      if (line.length === 0 || line.length > MAX_LINE_CHARS) continue;
      const ev = parseTrackerLine(line);
      if (ev?.kind === 'R') onReady();
      else if (ev) this.apply(ev);
      else if (!line.startsWith('Attaching')) this.stats.malformed++;
    }
    text = text.slice(start);
    // A line longer than the bound is dropped rather than buffered without limit.
    this.partial = text.length > MAX_LINE_CHARS ? '' : text;
  }

  /** Applies parsed lines directly (for tests). */
  feed(lines: string): void {
    this.onData(lines, () => undefined);
  }

  private apply(ev: TrackerEvent): void {
    this.stats.lines++;
    switch (ev.kind) {
      case 'E':
        this.onEstablished(ev);
        return;
      case 'A': {
        this.stats.accepted++;
        const c = this.open.get(ev.sk);
        const closed = this.closedBySk.get(ev.sk);
        if (c && !c.outgoing && c.tNanos <= ev.tNanos) c.pid = ev.pid;
        else if (closed && !closed.outgoing && closed.pid === undefined) closed.pid = ev.pid;
        else if (this.pendingAccept.size < MAX_PENDING) this.pendingAccept.set(ev.sk, { tNanos: ev.tNanos, pid: ev.pid });
        return;
      }
      case 'C':
        this.onClose(ev);
        return;
      case 'tx':
      case 'rx':
      case 'rtt': {
        const c = this.open.get(ev.sk);
        if (!c) return;
        if (ev.kind === 'tx') c.sentBytes += ev.value;
        else if (ev.kind === 'rx') c.receivedBytes += ev.value;
        else c.srttMicros = ev.value;
        return;
      }
      case 'lost':
        this.stats.lost += ev.count;
        this.opts.logger.warn({ lost: ev.count }, 'eBPF connection tracker lost events (perf buffer full)');
        return;
      default:
        return;
    }
  }

  private onEstablished(ev: EstablishedEvent): void {
    this.stats.established++;
    const conn = {
      netns: ev.netns,
      outgoing: ev.outgoing,
      pid: ev.outgoing && ev.pid > 0 ? ev.pid : undefined,
      localIp: ev.localIp,
      localPort: ev.localPort,
      remoteIp: ev.remoteIp,
      remotePort: ev.remotePort,
      sentBytes: 0,
      receivedBytes: 0,
      srttMicros: 0,
      closed: false,
      tNanos: ev.tNanos,
    };
    const accept = this.pendingAccept.get(ev.sk);
    if (accept) {
      this.pendingAccept.delete(ev.sk);
      if (!ev.outgoing && accept.tNanos >= ev.tNanos) conn.pid = accept.pid;
    }
    // Per-CPU buffers: the close may have been read before its ESTABLISHED line.
    const close = this.pendingClose.get(ev.sk);
    if (close && close.tNanos >= ev.tNanos) {
      this.pendingClose.delete(ev.sk);
      this.finish(conn, close);
      return;
    }
    if (this.open.size >= MAX_OPEN) {
      this.stats.dropped++;
      return;
    }
    this.open.set(ev.sk, conn);
  }

  private onClose(ev: CloseEvent): void {
    this.stats.closes++;
    // A connection opened just before the start-up scan may be both seeded and tracked: the
    // seeded copy goes with the first close of that tuple either way.
    const key = tupleKey(ev.netns, ev.localIp, ev.localPort, ev.remoteIp, ev.remotePort);
    const seeded = this.seeded.get(key);
    if (seeded) this.seeded.delete(key);
    const c = this.open.get(ev.sk);
    if (c && c.tNanos <= ev.tNanos) {
      this.open.delete(ev.sk);
      this.finish(c, ev);
      this.closedBySk.set(ev.sk, c);
      return;
    }
    if (seeded) {
      this.finish(seeded, ev);
      return;
    }
    if (this.pendingClose.size < MAX_PENDING) this.pendingClose.set(ev.sk, ev);
  }

  private finish(c: TrackedConnection, ev: CloseEvent): void {
    c.closed = true;
    c.sentBytes += ev.sentBytes;
    c.receivedBytes += ev.receivedBytes;
    if (ev.srttMicros > 0) c.srttMicros = ev.srttMicros;
    if (this.closed.length < MAX_CLOSED) this.closed.push(c);
    else this.stats.dropped++;
  }
}

/** The first line of bpftrace's stderr that is not its harmless RLIMIT_MEMLOCK notice. */
function firstError(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '' && !l.includes('RLIMIT_MEMLOCK'));
  return lines[0]?.slice(0, 300) ?? 'no error output';
}
