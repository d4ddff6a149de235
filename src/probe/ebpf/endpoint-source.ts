/**
 * The endpoint reporter's eBPF mode (wire §5.5.5): owns the tracker's life cycle and turns its
 * connections into client → server pairs with pids. Start-up is asynchronous (bpftrace compiles
 * for a few seconds); until it is ready, or if it cannot run, the reporter stays in /proc mode.
 * Exactly one log line says which mode is used and, for the fallback, why.
 */
import type { Logger } from '../../common/log.js';
import type { ConnectionSource, ObservedConnection } from '../endpoint/reporter.js';
import { ConnectionTracker, ebpfUnavailableReason, type TrackedConnection } from './tracker.js';

/** Per-connection figures, from the client's point of view. */
export interface ConnectionStats {
  /** Bytes the client sent to the server. */
  sentBytes: number;
  /** Bytes the client received from the server. */
  receivedBytes: number;
  /** Last smoothed RTT, µs (0 = no sample). */
  srttMicros: number;
}

/** Latest keys of the per-connection figures on the client endpoint node (additions to Scope). */
export const BYTES_SENT_KEY = 'openscope_bytes_sent';
export const BYTES_RECEIVED_KEY = 'openscope_bytes_received';
export const RTT_MICROS_KEY = 'openscope_rtt_us';

/** A connection the tracker saw, oriented client → server, with its figures when any. */
export interface TrackedPair extends ObservedConnection {
  stats?: ConnectionStats | undefined;
}

function statsLatest(s: ConnectionStats): Array<readonly [string, string]> {
  const out: Array<readonly [string, string]> = [
    [BYTES_SENT_KEY, String(s.sentBytes)],
    [BYTES_RECEIVED_KEY, String(s.receivedBytes)],
  ];
  if (s.srttMicros > 0) out.push([RTT_MICROS_KEY, String(s.srttMicros)]);
  return out;
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
}

/** A connection seen by the start-up /proc scan. */
export type SeedConnection = Omit<TrackedConnection, 'sentBytes' | 'receivedBytes' | 'srttMicros' | 'closed'>;

export class EbpfConnections implements ConnectionSource {
  private tracker: ConnectionTracker | undefined;
  private state: 'starting' | 'running' | 'off' = 'starting';
  private fellBack = false;
  private restarts = 0;
  private lastRestartMillis = 0;
  /** Whether the start-up /proc scan was fed to the tracker. */
  seeded = false;
  /** Whether eBPF was given up (disabled, unavailable, or failed): /proc + conntrack. */
  get fellBackToProc(): boolean {
    return this.fellBack && this.state === 'off';
  }

  constructor(private readonly opts: EbpfConnectionsOptions) {
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
    const tracker = new ConnectionTracker({
      logger: opts.logger,
      summaryIntervalMillis: opts.summaryIntervalMillis ?? 1000,
      ...(opts.bpftrace === undefined ? {} : { bpftrace: opts.bpftrace }),
    });
    this.tracker = tracker;
    tracker.start().then(
      () => {
        if (this.state !== 'starting' || this.tracker !== tracker) return;
        this.state = 'running';
        if (this.restarts === 0) opts.logger.info('endpoint: eBPF connection tracking on (bpftrace tracepoints)');
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

  /** Feeds a /proc scan (connections with a known pid); the first one after attaching is kept. */
  seed(conns: readonly SeedConnection[]): void {
    if (this.seeded || !this.active) return;
    this.tracker?.seed(conns.filter((c) => c.pid !== undefined));
    this.seeded = true;
  }

  /** /proc is scanned until the tracker runs and was seeded, and again after a fallback. */
  scanNeeded(): boolean {
    return !(this.seeded && this.active);
  }

  /**
   * Every open connection and every one closed since the last call, client → server. A connection
   * between two local processes is seen from both ends (two pairs with the same ends), so both pids
   * end up on the pair. Empty until the tracker runs, and after a fallback.
   */
  connections(): TrackedPair[] {
    const tracker = this.active;
    if (!tracker) return [];
    const out: TrackedPair[] = [];
    // A local → local connection is seen from both ends: the client's figures win.
    const clientSide = new Set<string>();
    for (const c of tracker.drain()) {
      const has = c.sentBytes > 0 || c.receivedBytes > 0 || c.srttMicros > 0;
      if (c.outgoing) {
        out.push({
          netns: c.netns, fromIp: c.localIp, fromPort: c.localPort, fromPid: c.pid, toIp: c.remoteIp, toPort: c.remotePort,
          stats: has ? { sentBytes: c.sentBytes, receivedBytes: c.receivedBytes, srttMicros: c.srttMicros } : undefined,
        });
        clientSide.add(`${c.netns}|${c.localIp}|${c.localPort}|${c.remoteIp}|${c.remotePort}`);
      } else {
        out.push({
          netns: c.netns, fromIp: c.remoteIp, fromPort: c.remotePort, toIp: c.localIp, toPort: c.localPort, toPid: c.pid,
          stats: has ? { sentBytes: c.receivedBytes, receivedBytes: c.sentBytes, srttMicros: c.srttMicros } : undefined,
        });
      }
    }
    for (const p of out) {
      if (!p.stats) continue;
      const seenByClient = p.fromPid !== undefined || p.toPid === undefined || !clientSide.has(`${p.netns}|${p.fromIp}|${p.fromPort}|${p.toIp}|${p.toPort}`);
      if (seenByClient) p.fromLatest = statsLatest(p.stats);
    }
    return out;
  }

  async stop(): Promise<void> {
    this.state = 'off';
    this.fellBack = true; // nothing to fall back from once stopped
    await this.tracker?.stop();
  }

  private fallBack(reason: string): void {
    this.state = 'off';
    if (this.fellBack) return;
    this.fellBack = true;
    void this.tracker?.stop();
    const level = this.opts.enabled ? 'warn' : 'info';
    this.opts.logger[level]({ reason }, `endpoint: eBPF connection tracking unavailable (${reason}); using /proc + conntrack`);
    this.opts.onFallback?.();
  }
}
