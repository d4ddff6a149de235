/**
 * The endpoint reporter's eBPF mode (wire §5.5.5): owns the tracker's life cycle and turns its
 * connections into client → server pairs with pids and the edge figures of docs/edge-metrics.md.
 * Start-up is asynchronous (bpftrace compiles for a few seconds); until it is ready, or if it
 * cannot run, the reporter stays in /proc mode, where the figures sock_diag gives (`ss`) are
 * attached to the connections the /proc scan found. Exactly one log line says which mode is used
 * and, for the fallback, why.
 */
import { isLoopback } from '../../report/ip.js';
import type { Logger } from '../../common/log.js';
import type { ConnectionSource, ObservedConnection } from '../endpoint/reporter.js';
import { SockDiag } from './sockdiag.js';
import { ConnectionTracker, ebpfUnavailableReason, type SeedConnection, type TrackedConnection } from './tracker.js';

export type { SeedConnection } from './tracker.js';

/** Per-connection figures, from the client's point of view (docs/edge-metrics.md). */
export interface ConnectionStats {
  /** Bytes the client sent to the server (acknowledged), cumulative. */
  sentBytes: number;
  /** Bytes the client received from the server, cumulative. */
  receivedBytes: number;
  /** Bytes/s each way over the last interval; undefined if unknown. */
  sentPerSecond?: number | undefined;
  receivedPerSecond?: number | undefined;
  /** Last smoothed RTT, µs (0 = no sample). */
  srttMicros: number;
  /** Retransmitted segments, cumulative; undefined if unknown. */
  retransmits?: number | undefined;
  /** Resets sent or received; undefined if unknown. */
  resets?: number | undefined;
  /** Connections these figures stand for (aggregates of short-lived ones). Default 1. */
  count?: number | undefined;
  /** New connections per second these figures stand for (aggregates). */
  connectionsPerSecond?: number | undefined;
}

/** Latest keys of the per-connection figures on the client endpoint node (additions to Scope). */
export const BYTES_SENT_KEY = 'openscope_bytes_sent';
export const BYTES_RECEIVED_KEY = 'openscope_bytes_received';
export const BYTES_SENT_PER_S_KEY = 'openscope_bytes_sent_per_s';
export const BYTES_RECEIVED_PER_S_KEY = 'openscope_bytes_received_per_s';
/** Also the id of the RTT metric (one sample per tick). */
export const RTT_MICROS_KEY = 'openscope_rtt_us';
export const RETRANSMITS_KEY = 'openscope_retransmits';
export const RESETS_KEY = 'openscope_resets';
/** Scope's own key: how many connections the endpoint node stands for. */
export const CONN_COUNT_KEY = 'conn_count';
export const CONNECTIONS_PER_S_KEY = 'openscope_connections_per_s';

/** A connection the tracker saw, oriented client → server, with its figures when any. */
export interface TrackedPair extends ObservedConnection {
  stats?: ConnectionStats | undefined;
}

const num = (n: number): string => String(Math.round(n));

function statsLatest(s: ConnectionStats): Array<readonly [string, string]> {
  const out: Array<readonly [string, string]> = [
    [BYTES_SENT_KEY, num(s.sentBytes)],
    [BYTES_RECEIVED_KEY, num(s.receivedBytes)],
  ];
  if (s.sentPerSecond !== undefined) out.push([BYTES_SENT_PER_S_KEY, num(s.sentPerSecond)]);
  if (s.receivedPerSecond !== undefined) out.push([BYTES_RECEIVED_PER_S_KEY, num(s.receivedPerSecond)]);
  if (s.srttMicros > 0) out.push([RTT_MICROS_KEY, num(s.srttMicros)]);
  if (s.retransmits !== undefined) out.push([RETRANSMITS_KEY, num(s.retransmits)]);
  if (s.resets !== undefined) out.push([RESETS_KEY, num(s.resets)]);
  if ((s.count ?? 1) > 1) out.push([CONN_COUNT_KEY, num(s.count!)]);
  if (s.connectionsPerSecond !== undefined) out.push([CONNECTIONS_PER_S_KEY, (Math.round(s.connectionsPerSecond * 100) / 100).toString()]);
  return out;
}

function statsMetrics(s: ConnectionStats): Array<readonly [string, number]> {
  return s.srttMicros > 0 ? [[RTT_MICROS_KEY, s.srttMicros]] : [];
}

/** The client's view of a tracked connection's figures (`flip`: seen from the server side). */
function statsOf(c: TrackedConnection, flip: boolean): ConnectionStats {
  return {
    sentBytes: flip ? c.receivedBytes : c.sentBytes,
    receivedBytes: flip ? c.sentBytes : c.receivedBytes,
    sentPerSecond: flip ? c.receivedPerSecond : c.sentPerSecond,
    receivedPerSecond: flip ? c.sentPerSecond : c.receivedPerSecond,
    srttMicros: c.srttMicros,
    retransmits: c.retransmits,
    resets: c.resets,
    count: c.count,
    connectionsPerSecond: c.aggregated ? c.connectionsPerSecond : undefined,
  };
}

/** Options of {@link EbpfConnections}. */
export interface EbpfConnectionsOptions {
  /** `--probe.ebpf.connections`. */
  enabled: boolean;
  logger: Logger;
  /** Called once when eBPF cannot be used (at start or later). Default: nothing. */
  onFallback?: () => void;
  /** bpftrace binary. Default `bpftrace`. */
  bpftrace?: string;
  /** Summary interval (the spy interval), ms. Default 1000. */
  summaryIntervalMillis?: number;
  /**
   * How often the kernel maps are dumped, ms (the publish interval). Default
   * {@link DUMP_EVERY_TICKS} summary intervals (the default publish interval, 3 s).
   */
  dumpIntervalMillis?: number;
  /** In /proc mode, read traffic figures with sock_diag (`ss`). Default true. */
  sockDiag?: boolean;
}

/**
 * Default dump interval, in summary intervals: one dump per publish (3 s / 1 s by default) instead
 * of one per tick. Each dump costs bpftrace a wakeup, print() and clear() of the maps that moved
 * and two signals, and node the SIGCHLDs and the parsing. Trade-offs: a connection reaches the
 * report up to two ticks later (at most ~4 s after it opened instead of ~2 s: still within one
 * publish); one that opens and closes within a dump interval arrives in its short-lived aggregate
 * (with a count, one client port) instead of on its own (as before for those under ~1 s); rates
 * are averages over the dump interval, repeated at the ticks in between.
 */
export const DUMP_EVERY_TICKS = 3;

/** Most start-up /proc scans fed to the tracker. */
const SEED_SCANS = 10;

/** Ids are scoped by netns for loopback addresses only (report/ids.ts): the same for pairing. */
const scope = (netns: number, ipAddr: string): number => (isLoopback(ipAddr) ? netns : 0);
const pairKey = (p: ObservedConnection): string => `${scope(p.netns, p.fromIp)}|${p.fromIp}|${p.fromPort}|${p.toIp}|${p.toPort}`;

export class EbpfConnections implements ConnectionSource {
  private tracker: ConnectionTracker | undefined;
  private state: 'starting' | 'running' | 'off' = 'starting';
  private fellBack = false;
  private restarts = 0;
  private lastRestartMillis = 0;
  private readonly diag: SockDiag | undefined;
  /** The last /proc scan, in /proc mode (for sock_diag figures). */
  private lastScan: readonly SeedConnection[] = [];
  private stopped = false;
  /** Whether the start-up /proc scans were fed to the tracker. */
  seeded = false;
  private seedScans = 0;
  /** Whether eBPF was given up (disabled, unavailable, or failed): /proc + conntrack. */
  get fellBackToProc(): boolean {
    return this.fellBack && this.state === 'off';
  }

  constructor(private readonly opts: EbpfConnectionsOptions) {
    this.diag = opts.sockDiag === false ? undefined : new SockDiag();
    const reason = opts.enabled ? ebpfUnavailableReason(opts.bpftrace === undefined ? {} : { bpftrace: opts.bpftrace }) : 'disabled by --probe.ebpf.connections=false';
    if (reason !== undefined) {
      this.fallBack(reason);
      return;
    }
    this.startTracker();
  }

  private startTracker(): void {
    const opts = this.opts;
    this.state = 'starting';
    this.seeded = false; // a new tracker needs a new /proc scan
    this.seedScans = 0;
    const tracker = new ConnectionTracker({
      logger: opts.logger,
      summaryIntervalMillis: opts.summaryIntervalMillis ?? 1000,
      dumpIntervalMillis: opts.dumpIntervalMillis ?? DUMP_EVERY_TICKS * (opts.summaryIntervalMillis ?? 1000),
      ...(opts.bpftrace === undefined ? {} : { bpftrace: opts.bpftrace }),
    });
    this.tracker = tracker;
    tracker.start().then(
      () => {
        if (this.state !== 'starting' || this.tracker !== tracker) return;
        this.state = 'running';
        if (this.restarts === 0) opts.logger.info('endpoint: eBPF connection tracking on (bpftrace tracepoints, in-kernel aggregation)');
      },
      (err: unknown) => {
        if (this.tracker === tracker) this.fallBack(err instanceof Error ? err.message : String(err));
      },
    );
  }

  /** The tracker, once attached (and while it keeps running). */
  get active(): ConnectionTracker | undefined {
    if (this.state !== 'running' || !this.tracker) return undefined;
    if (!this.tracker.running) {
      // As Scope: a tracker that dies is restarted, but twice within a minute means /proc for good.
      const reason = this.tracker.exitReason ?? 'bpftrace stopped';
      const now = Date.now();
      if (now - this.lastRestartMillis < 60_000) this.fallBack(`${reason}, twice within a minute`);
      else {
        this.lastRestartMillis = now;
        this.restarts++;
        this.opts.logger.warn({ reason }, 'endpoint: eBPF connection tracker stopped; restarting it');
        this.startTracker();
      }
      return undefined;
    }
    return this.tracker;
  }

  /**
   * Receives each /proc scan (connections with a known pid or not). With eBPF, the first one after
   * attaching seeds the tracker; in /proc mode, each one is kept for the sock_diag figures.
   */
  seed(conns: readonly SeedConnection[]): void {
    if (this.stopped) return;
    if (this.state === 'off') {
      if (!this.diag || this.diag.unavailable !== undefined) return;
      this.lastScan = conns;
      const namespaces = new Map<number, number>();
      for (const c of conns) if (c.pid !== undefined && !namespaces.has(c.netns)) namespaces.set(c.netns, c.pid);
      void this.diag.refresh(namespaces);
      return;
    }
    if (this.seeded || !this.active) return;
    this.tracker?.seed(conns.filter((c) => c.pid !== undefined));
    // The fd walk is incremental (a budget per scan): scan again until every connection has its
    // process, or SEED_SCANS times (some sockets have none).
    this.seedScans++;
    if (this.seedScans >= SEED_SCANS || conns.every((c) => c.pid !== undefined)) this.seeded = true;
  }

  /** /proc is scanned until the tracker runs and was seeded, and again after a fallback. */
  scanNeeded(): boolean {
    return !(this.seeded && this.active);
  }

  /**
   * Every open connection and every one closed since the last call, client → server (short-lived
   * ones as aggregates with a count). A connection between two local processes is seen from both
   * ends (two pairs with the same ends), so both pids end up on the pair. In /proc mode: the last
   * scan's connections that sock_diag has figures for.
   */
  connections(): TrackedPair[] {
    if (this.state === 'off') return this.sockDiagPairs();
    const tracker = this.active;
    if (!tracker) return [];
    const out: TrackedPair[] = [];
    const clientSide = new Map<string, TrackedPair>();
    /** Client port shown for each aggregate, by (client, server): the server side's aggregate joins it. */
    const groupPorts = new Map<string, number>();
    const groupKey = (netns: number, clientIp: string, serverIp: string, serverPort: number): string =>
      `${scope(netns, clientIp)}|${clientIp}|${serverIp}|${serverPort}`;
    const all = tracker.drain();
    for (const c of all) {
      if (!c.outgoing) continue;
      const p: TrackedPair = {
        netns: c.netns, fromIp: c.localIp, fromPort: c.localPort, fromPid: c.pid, toIp: c.remoteIp, toPort: c.remotePort,
        stats: statsOf(c, false),
      };
      out.push(p);
      clientSide.set(pairKey(p), p);
      if (c.aggregated) groupPorts.set(groupKey(c.netns, c.localIp, c.remoteIp, c.remotePort), c.localPort);
    }
    for (const c of all) {
      if (c.outgoing) continue;
      const fromPort = c.aggregated ? groupPorts.get(groupKey(c.netns, c.remoteIp, c.localIp, c.localPort)) ?? c.remotePort : c.remotePort;
      const p: TrackedPair = {
        netns: c.netns, fromIp: c.remoteIp, fromPort, toIp: c.localIp, toPort: c.localPort, toPid: c.pid,
        stats: statsOf(c, true),
      };
      out.push(p);
      const client = clientSide.get(pairKey(p));
      // The client's figures win; a reset seen only by the server still counts.
      if (client?.stats) client.stats.resets = Math.max(client.stats.resets ?? 0, p.stats!.resets ?? 0);
      else {
        p.fromLatest = statsLatest(p.stats!);
        p.fromMetrics = statsMetrics(p.stats!);
      }
    }
    for (const p of clientSide.values()) {
      p.fromLatest = statsLatest(p.stats!);
      p.fromMetrics = statsMetrics(p.stats!);
    }
    return out;
  }

  /** /proc mode: the last scan's connections with sock_diag figures, client's view. */
  private sockDiagPairs(): TrackedPair[] {
    const diag = this.diag;
    if (!diag || this.lastScan.length === 0) return [];
    const out: TrackedPair[] = [];
    const clientSide = new Set<string>();
    for (const outgoingPass of [true, false]) {
      for (const c of this.lastScan) {
        if (c.outgoing !== outgoingPass) continue;
        const d = diag.get(c.netns, c.localIp, c.localPort, c.remoteIp, c.remotePort);
        if (!d) continue;
        const p: TrackedPair = c.outgoing
          ? { netns: c.netns, fromIp: c.localIp, fromPort: c.localPort, fromPid: c.pid, toIp: c.remoteIp, toPort: c.remotePort }
          : { netns: c.netns, fromIp: c.remoteIp, fromPort: c.remotePort, toIp: c.localIp, toPort: c.localPort, toPid: c.pid };
        const key = pairKey(p);
        if (!c.outgoing && clientSide.has(key)) continue;
        if (c.outgoing) clientSide.add(key);
        p.stats = {
          sentBytes: c.outgoing ? d.sentBytes : d.receivedBytes,
          receivedBytes: c.outgoing ? d.receivedBytes : d.sentBytes,
          sentPerSecond: c.outgoing ? d.sentPerSecond : d.receivedPerSecond,
          receivedPerSecond: c.outgoing ? d.receivedPerSecond : d.sentPerSecond,
          srttMicros: d.srttMicros,
          retransmits: d.retransmits,
        };
        p.fromLatest = statsLatest(p.stats);
        p.fromMetrics = statsMetrics(p.stats);
        out.push(p);
      }
    }
    return out;
  }

  async stop(): Promise<void> {
    this.state = 'off';
    this.stopped = true;
    this.fellBack = true; // nothing to fall back from once stopped
    this.lastScan = [];
    await this.tracker?.stop();
  }

  private fallBack(reason: string): void {
    this.state = 'off';
    if (this.fellBack) return;
    this.fellBack = true;
    void this.tracker?.stop();
    const level = this.opts.enabled ? 'warn' : 'info';
    const figures = !this.diag ? 'no traffic figures' : this.diag.unavailable === undefined
      ? 'traffic figures of open connections from sock_diag (ss); short-lived connections without client pids, no resets'
      : `no traffic figures (${this.diag.unavailable})`;
    this.opts.logger[level]({ reason }, `endpoint: eBPF connection tracking unavailable (${reason}); using /proc + conntrack, ${figures}`);
    this.opts.onFallback?.();
  }
}
