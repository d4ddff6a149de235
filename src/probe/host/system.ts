/**
 * Reads the host facts the host reporter needs (wire §5.3) from procfs and the OS.
 */
import { networkInterfaces, release, version } from 'node:os';
import { ProcFileReader } from '../procfs/read.js';
import { parseProcStat, type CpuTimes } from '../procfs/parse.js';

/** Memory figures from `/proc/meminfo`, in bytes. */
export interface MemInfo {
  usedBytes: number;
  totalBytes: number;
}

/** Reads the numeric kB fields Scope uses; undefined if unreadable. */
export function parseMemInfo(text: string): MemInfo | undefined {
  // Read every second: a plain scan (no RegExp built per field per call).
  const field = (name: string): number | undefined => {
    const key = `${name}:`;
    let i: number;
    if (text.startsWith(key)) i = key.length;
    else {
      const line = text.indexOf(`\n${key}`);
      if (line < 0) return undefined;
      i = line + 1 + key.length;
    }
    while (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9) i++;
    const digits = i;
    while (text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
    return i > digits ? Number(text.slice(digits, i)) : undefined;
  };
  const total = field('MemTotal');
  const free = field('MemFree');
  if (total === undefined || free === undefined) return undefined;
  const used = total - free - (field('Buffers') ?? 0) - (field('Cached') ?? 0);
  return { usedBytes: used * 1024, totalBytes: total * 1024 };
}

/** `uname -r` + space + `uname -v`, as Scope's `kernel_version`. */
export function kernelVersion(): string {
  return `${release()} ${version()}`;
}

/**
 * Every interface address as a CIDR with its host bits (`10.0.0.5/24`), sorted. IPv4 as Scope
 * does; IPv6 too (except link-local, whose zone makes it ambiguous), because OpenScope models IPv6
 * connections and the app uses `local_networks` to tell local addresses from the Internet.
 */
export function localNetworks(): string[] {
  const out = new Set<string>();
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80')) continue;
      if (a.cidr) out.add(a.cidr);
    }
  }
  return [...out].sort();
}

/** Reads the per-tick host counters (through fds kept open until `close`: a `pread` each). */
export class HostSampler {
  private readonly reader = new ProcFileReader();
  private last: CpuTimes | undefined;

  constructor(private readonly procRoot: string) {}

  /** Seconds since boot (truncated), undefined if unreadable. */
  uptimeSeconds(): number | undefined {
    const text = this.reader.readKeptText(`${this.procRoot}/uptime`);
    const n = text === undefined ? NaN : Math.trunc(Number(text.split(' ')[0]));
    return Number.isFinite(n) ? n : undefined;
  }

  /** 1-minute load average. */
  load1(): number | undefined {
    const text = this.reader.readKeptText(`${this.procRoot}/loadavg`);
    const n = text === undefined ? NaN : Number(text.split(' ')[0]);
    return Number.isFinite(n) ? n : undefined;
  }

  /** CPU busy % of all CPUs since the previous call (since boot the first time). */
  cpuUsagePercent(): number | undefined {
    const text = this.reader.readKeptText(`${this.procRoot}/stat`);
    const now = text === undefined ? undefined : parseProcStat(text);
    if (!now) return undefined;
    const prev = this.last ?? { idle: 0, total: 0, cpus: now.cpus };
    this.last = now;
    const total = now.total - prev.total;
    if (total <= 0) return 0;
    return (100 * (total - (now.idle - prev.idle))) / total;
  }

  /** Closes the files kept open. */
  close(): void {
    this.reader.closeKept();
  }

  memory(): MemInfo | undefined {
    const text = this.reader.readKeptText(`${this.procRoot}/meminfo`);
    return text === undefined ? undefined : parseMemInfo(text);
  }
}
