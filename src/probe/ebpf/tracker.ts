/**
 * eBPF connection tracker (wire §5.5.5): runs the bpftrace program of script.ts as a child process
 * and keeps the table of open TCP connections, with the pid of the connecting task (outgoing) or
 * the accepting task (incoming), their kernel counters (bytes, smoothed RTT, retransmits, resets)
 * and rates, plus the connections closed since the last `drain()` (reported once). Short-lived
 * connections arrive already aggregated by the kernel per (direction, pid, netns, addresses,
 * server port), with a count: the work here grows with distinct peers, not with the rate.
 *
 * The program dumps one generation of maps when sent SIGCONT (script.ts). The tracker asks once
 * per dump interval (the drain interval or a multiple of it): at a `drain()` (the endpoint
 * reporter's tick, so no wakeup of its own), or from a timer when nobody drains; and it keeps bpftrace stopped (SIGSTOP) from one dump's `T`
 * line to the next ask, so bpftrace's own 10 Hz poll loop does not run while there is nothing to
 * print (those wakeups were most of an idle tracker's CPU). Lines are buffered
 * until the dump's `T` line and applied together, so the order of maps within a dump does not
 * matter.
 *
 * The child is spawned under `setpriv --pdeathsig KILL`, so it (and its BPF programs, which live
 * as long as its file descriptors) dies with the probe even on SIGKILL; `stop()` kills it too.
 * Lines are read with a bounded buffer; tables are bounded (excess is dropped and counted).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Logger } from '../../common/log.js';
import { parseTrackerLine, type AnnounceEvent, type CloseEvent, type Counters, type GroupEvent, type GroupKey, type TrackerEvent, type Tuple } from './parse.js';
import { trackerScript } from './script.js';

/** One tracked connection (or an aggregate of short-lived ones), from this host's side. */
export interface TrackedConnection extends Tuple, Counters {
  /** true: initiated here (connect); false: accepted here. */
  outgoing: boolean;
  /** Connecting (outgoing) or accepting (incoming) pid; undefined if unknown. */
  pid: number | undefined;
  /** Bytes/s sent and received over the last dump interval (0 if idle). */
  sentPerSecond: number;
  receivedPerSecond: number;
  /** Resets sent or received (cumulative). */
  resets: number;
  /** Whether it closed (reported once by `drain()`). */
  closed: boolean;
  /**
   * How many connections this entry stands for: 1, or the number of short-lived connections
   * aggregated into it since the last drain (then `localPort`/`remotePort` on the client side is
   * one of their client ports, kept stable across drains while the group lives).
   */
  count: number;
  /** Whether this entry aggregates short-lived connections (then it is also `closed`). */
  aggregated: boolean;
  /** Aggregates: new connections per second since the last drain. 0 for single connections. */
  connectionsPerSecond: number;
}

interface Open extends TrackedConnection {
  /** Counters at the previous snapshot, for rates. */
  prevSent: number;
  prevReceived: number;
  /** Dump (generation) of the last snapshot. */
  movedAt: number;
}

/** A connection known from the start-up /proc scan. */
export type SeedConnection = Omit<TrackedConnection, keyof Counters | 'sentPerSecond' | 'receivedPerSecond' | 'resets' | 'closed' | 'count' | 'aggregated' | 'connectionsPerSecond'>;

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
/** Most aggregates of short-lived connections (and remembered client ports) kept. */
const MAX_GROUPS = 20_000;
/** Most lines buffered for one dump. */
const MAX_DUMP_LINES = 500_000;
/** Longest line accepted from the child (anything longer is garbage). */
const MAX_LINE_CHARS = 512;
/** Entries per kernel map (bpftrace's default, 4096, is too small for a busy host). */
const MAP_KEYS_MAX = 65_536;
/** A group's client port is forgotten after this many dumps without the group. */
const GROUP_PORT_DUMPS = 60;

/** Options of {@link ConnectionTracker}. */
export interface ConnectionTrackerOptions {
  logger: Logger;
  /** Interval of the `drain()` calls, ms (the spy interval). Default 1000. */
  summaryIntervalMillis?: number;
  /**
   * Interval of the in-kernel map dumps, ms: at most one per this many ms is asked for at a
   * `drain()`. Longer than the drain interval, it saves bpftrace's printing and the stop/continue
   * signals of the ticks in between; their drains return the open connections as of the last dump.
   * Default (and minimum): `summaryIntervalMillis`.
   */
  dumpIntervalMillis?: number;
  /** bpftrace binary. Default `bpftrace`. */
  bpftrace?: string;
  /** How long bpftrace may take to compile and attach, ms (slow on a loaded host). Default 120000. */
  startTimeoutMillis?: number;
}

const tupleKey = (t: Tuple): string => `${t.netns}|${t.localIp}|${t.localPort}|${t.remoteIp}|${t.remotePort}`;
const groupId = (k: GroupKey): string => `${k.outgoing ? 1 : 0}|${k.pid}|${k.netns}|${k.localIp}|${k.remoteIp}|${k.serverPort}`;
const sameTuple = (a: Tuple, b: Tuple): boolean =>
  a.localPort === b.localPort && a.remotePort === b.remotePort && a.localIp === b.localIp && a.remoteIp === b.remoteIp;

function fresh(t: Tuple, outgoing: boolean, pid: number | undefined): TrackedConnection {
  return {
    netns: t.netns, localIp: t.localIp, localPort: t.localPort, remoteIp: t.remoteIp, remotePort: t.remotePort, outgoing, pid,
    sentBytes: 0, receivedBytes: 0, srttMicros: 0, retransmits: 0, resets: 0, sentPerSecond: 0, receivedPerSecond: 0,
    closed: false, count: 1, aggregated: false, connectionsPerSecond: 0,
  };
}

/** One dump's fields of an aggregate, by the key as printed. */
interface GroupFields {
  key: GroupKey;
  n: number;
  t: number;
  r: number;
  x: number;
  z: number;
  port: number;
  srtt: number;
}

export class ConnectionTracker {
  private child: ChildProcess | undefined;
  /** Open connections by socket address (as printed). */
  private readonly open = new Map<string, Open>();
  /** Connections known from the start-up /proc scan, by tuple (no socket address yet). */
  private readonly seeded = new Map<string, SeedConnection>();
  private closed: TrackedConnection[] = [];
  /** Aggregates of short-lived connections since the last drain. */
  private groups = new Map<string, TrackedConnection>();
  /** Client port shown for each group, kept while the group keeps appearing (stable node ids). */
  private readonly groupPorts = new Map<string, { port: number; seenAt: number }>();
  private dump: TrackerEvent[] = [];
  private dumps = 0;
  private lastDumpNanos: bigint | undefined;
  /** Sum of the dump intervals since the last drain, ns (for aggregate rates). */
  private windowNanos = 0;
  private partial = '';
  private stopped = false;
  /** Timer of the next dump request. */
  private dumpTimer: NodeJS.Timeout | undefined;
  /** Whether bpftrace is attached (its `R` line came), so dumps can be asked for. */
  private attached = false;
  /** Whether a dump was asked for and its `T` line has not arrived yet. */
  private dumpAsked = false;
  /** When the last dump was asked for (ms, monotonic), for the cadence. */
  private lastAskAt = 0;
  /** Counters for logs, tests and benchmarks. */
  readonly stats = { lines: 0, dumps: 0, announced: 0, accepted: 0, closes: 0, shortLived: 0, lost: 0, dropped: 0, malformed: 0 };
  /** Set when the child exits after having started (the caller falls back). */
  exitReason: string | undefined;

  constructor(private readonly opts: ConnectionTrackerOptions) {}

  private get intervalNanos(): number {
    return Math.max(100, Math.round(this.opts.summaryIntervalMillis ?? 1000)) * 1e6;
  }

  /** Dump interval, ns: never shorter than the drain interval. */
  private get dumpNanos(): number {
    return Math.max(this.intervalNanos, Math.round(this.opts.dumpIntervalMillis ?? 0) * 1e6);
  }

  /** Starts bpftrace; resolves once every probe is attached, rejects with the reason otherwise. */
  start(): Promise<void> {
    const script = trackerScript();
    const bin = this.opts.bpftrace ?? 'bpftrace';
    const args = ['-B', 'line', '-e', script];
    const env = { ...process.env, BPFTRACE_MAP_KEYS_MAX: String(MAP_KEYS_MAX) };
    const child = SETPRIV
      ? spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env })
      : spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
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
        reject(new Error(`bpftrace did not attach within ${this.opts.startTimeoutMillis ?? 120_000} ms`));
      }, this.opts.startTimeoutMillis ?? 120_000);
      timer.unref();
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        this.onData(chunk, () => {
          ready = true;
          clearTimeout(timer);
          this.attached = true;
          this.lastAskAt = performance.now();
          this.pause();
          resolve();
        });
      });
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        clearTimeout(this.dumpTimer);
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
  seed(conns: Iterable<SeedConnection>): void {
    // May be called a few times (an incremental scan): connections already placed are skipped.
    const placed = new Set<string>();
    for (const o of this.open.values()) placed.add(tupleKey(o));
    for (const c of conns) {
      if (this.seeded.size >= MAX_OPEN) break;
      const key = tupleKey(c);
      if (!placed.has(key)) this.seeded.set(key, { ...c });
    }
  }

  /**
   * Open connections, then those closed since the last call (each closed one reported once), then
   * the aggregates of short-lived connections since the last call.
   */
  drain(): TrackedConnection[] {
    const seconds = (this.windowNanos > 0 ? this.windowNanos : this.intervalNanos) / 1e9;
    const out: TrackedConnection[] = [];
    for (const s of this.seeded.values()) out.push(fresh(s, s.outgoing, s.pid));
    for (const o of this.open.values()) out.push(o);
    out.push(...this.closed);
    for (const g of this.groups.values()) {
      g.sentPerSecond = g.sentBytes / seconds;
      g.receivedPerSecond = g.receivedBytes / seconds;
      g.connectionsPerSecond = g.count / seconds;
      out.push(g);
    }
    this.closed = [];
    this.groups = new Map();
    this.windowNanos = 0;
    // The next dump starts now, while the process is awake anyway; it is applied by the next drain.
    // Half a drain interval of slack: drains come about every interval, a little early or late.
    if (!this.dumpAsked && performance.now() - this.lastAskAt >= (this.dumpNanos - this.intervalNanos / 2) / 1e6) this.askDump();
    return out;
  }

  /** Kills the child (its BPF programs go with it). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.dumpTimer);
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
      // A stopped process acts on SIGTERM only once continued (this also asks for a last dump).
      child.kill('SIGCONT');
    });
  }

  /**
   * Stops bpftrace until the next dump is asked for. A timer asks a quarter interval after the
   * tick would have, so it fires only when nothing drains every interval.
   */
  private pause(): void {
    const child = this.child;
    if (!child || this.stopped) return;
    child.kill('SIGSTOP');
    const interval = this.dumpNanos / 1e6;
    const wait = Math.min(interval * 1.25, Math.max(0, this.lastAskAt + interval * 1.25 - performance.now()));
    clearTimeout(this.dumpTimer);
    this.dumpTimer = setTimeout(() => this.askDump(), wait);
    this.dumpTimer.unref();
  }

  /** Continues bpftrace, which makes it flip generations and dump the one that ended. */
  private askDump(): void {
    const child = this.child;
    if (!child || this.stopped || !this.attached || this.dumpAsked) return;
    clearTimeout(this.dumpTimer);
    this.dumpAsked = true;
    this.lastAskAt = performance.now();
    child.kill('SIGCONT');
  }

  private onData(chunk: string, onReady: () => void): void {
    let text = this.partial + chunk;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const line = text.slice(start, nl);
      start = nl + 1;
      if (line.length === 0 || line.length > MAX_LINE_CHARS) continue;
      this.stats.lines++;
      const ev = parseTrackerLine(line);
      if (!ev) {
        if (!line.startsWith('Attaching')) this.stats.malformed++;
      } else if (ev.kind === 'R') onReady();
      else if (ev.kind === 'T') {
        this.applyDump(ev.value);
        if (this.dumpAsked) {
          this.dumpAsked = false;
          this.pause();
        }
      }
      else if (ev.kind === 'lost') {
        this.stats.lost += Number(ev.value);
        this.opts.logger.warn({ lost: Number(ev.value) }, 'eBPF connection tracker lost events (perf buffer full)');
      } else if (this.dump.length < MAX_DUMP_LINES) this.dump.push(ev);
      else this.stats.dropped++;
    }
    text = text.slice(start);
    // A line longer than the bound is dropped rather than buffered without limit.
    this.partial = text.length > MAX_LINE_CHARS ? '' : text;
  }

  /** Applies raw program output directly (for tests). */
  feed(lines: string): void {
    this.onData(lines, () => undefined);
  }

  /** Applies one generation's dump, ended by its `T` line at kernel time `nanos`. */
  private applyDump(nanos: bigint): void {
    const intervalNanos = this.lastDumpNanos === undefined || nanos <= this.lastDumpNanos ? this.dumpNanos : Number(nanos - this.lastDumpNanos);
    this.lastDumpNanos = nanos;
    const seconds = intervalNanos / 1e9;
    this.dumps++;
    this.stats.dumps++;
    this.windowNanos += intervalNanos;
    const closes: CloseEvent[] = [];
    const late: CloseEvent[] = [];
    const groups = new Map<string, GroupFields>();
    // Accepts by socket: an incoming connection announced in an earlier generation (the flip came
    // between its handshake and the server's accept) may be accepted and closed in this one.
    const accepts = new Map<string, number>();
    for (const ev of this.dump) {
      if (ev.kind === 'c') closes.push(ev);
      else if (ev.kind === 'g') this.collect(groups, ev);
      else if (ev.kind === 'a') accepts.set(ev.sk, ev.pid);
    }
    // A socket address may be reused within a generation: the close of the old connection first,
    // then the announce of the new one; a socket older than the tracker may be announced and
    // closed in the same generation (its close then comes after its announce).
    for (const c of closes) if (!this.closeOpen(c, seconds, accepts)) late.push(c);
    for (const ev of this.dump) if (ev.kind === 'e') this.announce(ev);
    for (const c of late) if (!this.closeOpen(c, seconds, accepts)) this.closeSeeded(c);
    for (const ev of this.dump) {
      if (ev.kind === 'a') {
        this.stats.accepted++;
        const o = this.open.get(ev.sk);
        if (o && !o.outgoing) o.pid = ev.pid;
      } else if (ev.kind === 's') {
        const o = this.open.get(ev.sk);
        if (o) this.move(o, ev, seconds);
      }
    }
    for (const o of this.open.values()) {
      if (o.movedAt === this.dumps) continue;
      o.sentPerSecond = 0;
      o.receivedPerSecond = 0;
    }
    this.addGroups(groups);
    this.dump = [];
  }

  private announce(a: AnnounceEvent): void {
    this.stats.announced++;
    if (this.open.size >= MAX_OPEN) {
      this.stats.dropped++;
      return;
    }
    const key = tupleKey(a);
    const seed = this.seeded.get(key);
    if (seed) this.seeded.delete(key);
    let conn: TrackedConnection;
    let baseline = 0;
    if (a.dir !== 2) conn = fresh(a, a.dir === 1, a.dir === 1 && a.pid > 0 ? a.pid : undefined);
    else if (seed) {
      // Older than the tracker: its counters hold its whole past, so the first one is a baseline.
      conn = fresh(a, seed.outgoing, seed.pid);
      baseline = -1;
    } else return; // older than the tracker and unknown to the start-up scan: no direction, no pid
    this.open.set(a.sk, { ...conn, prevSent: baseline, prevReceived: baseline, movedAt: 0 });
  }

  /** Updates counters and rates from a snapshot or a close. */
  private move(o: Open, c: Counters, seconds: number): void {
    if (o.prevSent >= 0) {
      o.sentPerSecond = Math.max(0, c.sentBytes - o.prevSent) / seconds;
      o.receivedPerSecond = Math.max(0, c.receivedBytes - o.prevReceived) / seconds;
    }
    o.prevSent = o.sentBytes = c.sentBytes;
    o.prevReceived = o.receivedBytes = c.receivedBytes;
    if (c.srttMicros > 0) o.srttMicros = c.srttMicros;
    o.retransmits = c.retransmits;
    o.movedAt = this.dumps;
  }

  private closeOpen(c: CloseEvent, seconds: number, accepts: ReadonlyMap<string, number>): boolean {
    const o = this.open.get(c.sk);
    if (!o || !sameTuple(o, c)) return false;
    if (!o.outgoing && o.pid === undefined) o.pid = accepts.get(c.sk);
    this.stats.closes++;
    this.open.delete(c.sk);
    this.move(o, c, seconds);
    o.resets = c.resets;
    o.closed = true;
    this.pushClosed(o);
    return true;
  }

  private closeSeeded(c: CloseEvent): void {
    const key = tupleKey(c);
    const seed = this.seeded.get(key);
    if (!seed) return;
    this.stats.closes++;
    this.seeded.delete(key);
    const conn = fresh(seed, seed.outgoing, seed.pid);
    conn.sentBytes = c.sentBytes;
    conn.receivedBytes = c.receivedBytes;
    conn.srttMicros = c.srttMicros;
    conn.retransmits = c.retransmits;
    conn.resets = c.resets;
    conn.closed = true;
    this.pushClosed(conn);
  }

  private pushClosed(c: TrackedConnection): void {
    if (this.closed.length < MAX_CLOSED) this.closed.push(c);
    else this.stats.dropped++;
  }

  private collect(groups: Map<string, GroupFields>, ev: GroupEvent): void {
    let g = groups.get(ev.keyText);
    if (!g) groups.set(ev.keyText, (g = { key: ev.key, n: 0, t: 0, r: 0, x: 0, z: 0, port: 0, srtt: 0 }));
    if (ev.field === 'l') {
      g.port = ev.value;
      g.srtt = ev.srttMicros;
    } else g[ev.field] = ev.value;
  }

  private addGroups(groups: Map<string, GroupFields>): void {
    for (const g of groups.values()) {
      if (g.n === 0) continue;
      this.stats.shortLived += g.n;
      const id = groupId(g.key);
      let port = this.groupPorts.get(id);
      if (!port) {
        if (this.groupPorts.size >= MAX_GROUPS) this.groupPorts.clear();
        this.groupPorts.set(id, (port = { port: g.port, seenAt: this.dumps }));
      }
      port.seenAt = this.dumps;
      let agg = this.groups.get(id);
      if (!agg) {
        if (this.groups.size >= MAX_GROUPS) {
          this.stats.dropped += g.n;
          continue;
        }
        const k = g.key;
        const tuple: Tuple = {
          netns: k.netns, localIp: k.localIp, remoteIp: k.remoteIp,
          localPort: k.outgoing ? port.port : k.serverPort, remotePort: k.outgoing ? k.serverPort : port.port,
        };
        agg = fresh(tuple, k.outgoing, k.pid > 0 ? k.pid : undefined);
        agg.count = 0;
        agg.closed = true;
        agg.aggregated = true;
        this.groups.set(id, agg);
      }
      agg.count += g.n;
      agg.sentBytes += g.t;
      agg.receivedBytes += g.r;
      agg.retransmits += g.x;
      agg.resets += g.z;
      if (g.srtt > 0) agg.srttMicros = g.srtt;
    }
    if (this.dumps % GROUP_PORT_DUMPS === 0) {
      for (const [id, p] of this.groupPorts) if (this.dumps - p.seenAt > GROUP_PORT_DUMPS) this.groupPorts.delete(id);
    }
  }
}

/** The first line of bpftrace's stderr that is not its harmless RLIMIT_MEMLOCK notice. */
function firstError(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '' && !l.includes('RLIMIT_MEMLOCK'));
  return lines[0]?.slice(0, 300) ?? 'no error output';
}
