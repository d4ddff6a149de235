/**
 * Traffic figures without eBPF: the kernel's sock_diag view of TCP sockets, read with iproute2's
 * `ss -tinHn` inside each network namespace (`nsenter -t <pid> -n`). Gives per open connection
 * bytes_acked, bytes_received, smoothed RTT and total retransmits; rates come from two samples of
 * the same socket. Short-lived connections and resets are out of its reach (they are gone by the
 * time it looks).
 *
 * Cost is bounded: one `sh` child per run, at most `namespacesPerRun` namespaces per run (the
 * least recently sampled first), never two runs at a time; callers read the last results.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { ip } from './parse.js';

/** Figures of one socket, from its own side. */
export interface SocketDiag {
  /** bytes_acked. */
  sentBytes: number;
  receivedBytes: number;
  /** Smoothed RTT, µs (0 if unknown). */
  srttMicros: number;
  retransmits: number;
  /** Bytes/s between the last two samples of this socket; undefined after the first sample. */
  sentPerSecond: number | undefined;
  receivedPerSecond: number | undefined;
}

/** Options of {@link SockDiag}. */
export interface SockDiagOptions {
  /** Most namespaces sampled per run. Default 8. */
  namespacesPerRun?: number;
  /** Longest a run may take, ms. Default 10000. */
  timeoutMillis?: number;
}

const SOCKET = /^\S+\s+\d+\s+\d+\s+(\S+)\s+(\S+)/;
const NS_MARK = '#ns ';
/** Most sockets kept per namespace. */
const MAX_SOCKETS = 50_000;

/** `1.2.3.4:80`, `[::1]:80`, `[::ffff:1.2.3.4]:80`, `fe80::1%eth0:22` → [ip, port]. */
function hostPort(s: string): [string, number] | undefined {
  const colon = s.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const port = Number(s.slice(colon + 1));
  let host = s.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const pct = host.indexOf('%');
  if (pct >= 0) host = host.slice(0, pct);
  if (!Number.isInteger(port) || port <= 0 || port > 65535 || !/^[0-9a-fA-F:.]+$/.test(host)) return undefined;
  return [ip(host), port];
}

function field(info: string, name: string): string | undefined {
  const at = info.indexOf(` ${name}:`);
  if (at < 0) return undefined;
  const start = at + name.length + 2;
  const end = info.indexOf(' ', start);
  return info.slice(start, end < 0 ? undefined : end);
}

/** A socket's key within its namespace. */
export const socketKey = (localIp: string, localPort: number, remoteIp: string, remotePort: number): string =>
  `${localIp}|${localPort}|${remoteIp}|${remotePort}`;

type Raw = Omit<SocketDiag, 'sentPerSecond' | 'receivedPerSecond'>;

/** Parses `ss -tinHn` output: socket key → figures. Pure. */
export function parseSs(text: string): Map<string, Raw> {
  const out = new Map<string, Raw>();
  let key: string | undefined;
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    if (line.charCodeAt(0) === 9 || line.charCodeAt(0) === 32) {
      if (key === undefined) continue;
      const info = ` ${line.trim()} `;
      const rtt = Number(field(info, 'rtt')?.split('/')[0] ?? 0);
      const retrans = field(info, 'retrans')?.split('/')[1];
      if (out.size < MAX_SOCKETS) {
        out.set(key, {
          sentBytes: Number(field(info, 'bytes_acked') ?? 0) || 0,
          receivedBytes: Number(field(info, 'bytes_received') ?? 0) || 0,
          srttMicros: Number.isFinite(rtt) ? Math.round(rtt * 1000) : 0,
          retransmits: Number(retrans ?? 0) || 0,
        });
      }
      key = undefined;
      continue;
    }
    const m = SOCKET.exec(line);
    const local = m ? hostPort(m[1]!) : undefined;
    const remote = m ? hostPort(m[2]!) : undefined;
    key = local && remote ? socketKey(local[0], local[1], remote[0], remote[1]) : undefined;
  }
  return out;
}

function executable(candidates: readonly string[]): string | undefined {
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

const SCRIPT = `for p in "$@"; do echo "${NS_MARK}$p"; nsenter -t "$p" -n ss -tinHn 2>/dev/null; done`;

interface NamespaceSample {
  atMillis: number;
  sockets: Map<string, SocketDiag>;
}

/** Samples sock_diag per network namespace in the background; see the module comment. */
export class SockDiag {
  /** Why it cannot run (no ss / nsenter), or undefined. */
  readonly unavailable: string | undefined;
  private readonly samples = new Map<number, NamespaceSample>();
  private running = false;
  private readonly nsenter: string | undefined;
  private readonly ss: string | undefined;

  constructor(private readonly opts: SockDiagOptions = {}) {
    this.ss = executable(['/usr/bin/ss', '/bin/ss', '/usr/sbin/ss', '/sbin/ss']);
    this.nsenter = executable(['/usr/bin/nsenter', '/bin/nsenter', '/usr/sbin/nsenter']);
    this.unavailable = this.ss === undefined ? 'ss (iproute2) is not installed' : this.nsenter === undefined ? 'nsenter (util-linux) is not installed' : undefined;
  }

  /** Figures of a socket from the last sample of its namespace, if any. */
  get(netns: number, localIp: string, localPort: number, remoteIp: string, remotePort: number): SocketDiag | undefined {
    return this.samples.get(netns)?.sockets.get(socketKey(localIp, localPort, remoteIp, remotePort));
  }

  /**
   * Starts a background run over the namespaces that need it most (given as netns → a pid in
   * it), unless one is running. Namespaces no longer given are forgotten. Resolves when the run
   * ends (callers need not wait).
   */
  async refresh(namespaces: ReadonlyMap<number, number>): Promise<void> {
    for (const ns of this.samples.keys()) if (!namespaces.has(ns)) this.samples.delete(ns);
    if (this.running || this.unavailable !== undefined || namespaces.size === 0) return;
    const order = [...namespaces].sort((a, b) => (this.samples.get(a[0])?.atMillis ?? 0) - (this.samples.get(b[0])?.atMillis ?? 0));
    const batch = order.slice(0, this.opts.namespacesPerRun ?? 8);
    this.running = true;
    try {
      const text = await new Promise<string>((resolve) => {
        execFile('/bin/sh', ['-c', SCRIPT, 'sh', ...batch.map(([, pid]) => String(pid))],
          { timeout: this.opts.timeoutMillis ?? 10_000, maxBuffer: 64 * 1024 * 1024, env: { PATH: `${process.env.PATH ?? ''}:/usr/sbin:/usr/bin:/sbin:/bin` } },
          (_err, stdout) => resolve(stdout));
      });
      const now = Date.now();
      const byPid = new Map(batch.map(([ns, pid]) => [String(pid), ns]));
      const parts = text.split(NS_MARK);
      for (const part of parts) {
        const nl = part.indexOf('\n');
        const ns = byPid.get(part.slice(0, nl < 0 ? undefined : nl));
        if (ns === undefined || nl < 0) continue;
        this.store(ns, now, parseSs(part.slice(nl + 1)));
      }
    } finally {
      this.running = false;
    }
  }

  private store(ns: number, now: number, raw: Map<string, Raw>): void {
    const prev = this.samples.get(ns);
    const seconds = prev ? (now - prev.atMillis) / 1000 : 0;
    const sockets = new Map<string, SocketDiag>();
    for (const [key, r] of raw) {
      const before = prev?.sockets.get(key);
      const rate = before && seconds > 0;
      sockets.set(key, {
        ...r,
        sentPerSecond: rate ? Math.max(0, r.sentBytes - before.sentBytes) / seconds : undefined,
        receivedPerSecond: rate ? Math.max(0, r.receivedBytes - before.receivedBytes) / seconds : undefined,
      });
    }
    this.samples.set(ns, { atMillis: now, sockets });
  }
}
