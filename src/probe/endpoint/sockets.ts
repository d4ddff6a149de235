/**
 * The connection scanner (wire §5.5.1, "proc spy"): reads the TCP tables once per network
 * namespace and maps socket inodes to pids through `/proc/<pid>/fd`, incrementally.
 *
 * Cost model: the tables must be read every tick, but the fd walk (a `readlink` per open fd) is
 * what made Scope's probe expensive. Here a pid's fds are walked only when its namespace has
 * sockets whose owner is unknown, in this order: pids never walked, pids whose fd count changed
 * since their last walk, then the least recently walked. At most `fdBudgetPerTick` readlinks per
 * tick; the walk stops as soon as every unknown inode is found. An inode that a full rotation over
 * its namespace did not find (a kernel-owned socket) is not searched for again.
 *
 * The tables themselves are costly too: every read of `net/tcp` walks the kernel's whole
 * established hash (262,144 buckets on a 24 GiB machine: ~2.6 ms per read, ×2 with tcp6, per
 * namespace), however few sockets there are, the final read that returns 0 included; a table that
 * fits one page is therefore read with one read (`ProcFileReader.readSeqFile`). And each tick
 * first reads the namespace's TCP counters from `net/snmp`
 * (µs): unless ActiveOpens, PassiveOpens, EstabResets or CurrEstab moved, no connection was opened
 * or closed and the previous table is reused; it is re-read at least every `maxTableAgeTicks`
 * anyway (to catch FIN_WAIT/LISTEN changes the counters do not show).
 */
import { ProcFileReader, tryReaddir, tryReadlink, yieldToEventLoop } from '../procfs/read.js';
import type { ProcInfo, WalkSnapshot } from '../procfs/walker.js';
import { TcpTableParser, type TcpSocket, type TcpTable } from './procnet.js';

/** The connections of one network namespace at one tick. */
export interface NamespaceTable extends TcpTable {
  /** Inode of the namespace (`/proc/<pid>/ns/net`). */
  readonly netns: number;
}

/** What one scan yields. */
export interface ScanResult {
  readonly namespaces: readonly NamespaceTable[];
  /** Socket inode → owning pid (only inodes present in the tables). */
  readonly owner: (inode: number) => number | undefined;
}

interface NamespaceState {
  parser: TcpTableParser;
  /** Last pid whose net files could be read. */
  readerPid: number | undefined;
  /** TCP counters at the last table read. */
  signature: string;
  table: NamespaceTable | undefined;
  readAtTick: number;
}

/** ActiveOpens, PassiveOpens, EstabResets, CurrEstab from `net/snmp`'s Tcp lines; '' if absent. */
export function tcpSignature(snmp: string): string {
  const first = snmp.indexOf('\nTcp: ');
  const second = first < 0 ? -1 : snmp.indexOf('\nTcp: ', first + 1);
  if (second < 0) return '';
  const end = snmp.indexOf('\n', second + 1);
  const values = snmp.slice(second + 6, end < 0 ? undefined : end).split(' ');
  return `${values[4]}/${values[5]}/${values[7]}/${values[8]}`;
}

/**
 * Whether `/proc/<pid>/net/sockstat6` text reports TCPv6 sockets in use (`TCP6: inuse N`, N > 0);
 * true when unreadable or unparsable, so that `tcp6` is read then.
 */
export function hasTcp6Sockets(sockstat6: string | undefined): boolean {
  if (sockstat6 === undefined) return true;
  const m = /^TCP6: inuse (\d+)/m.exec(sockstat6);
  return m === null || m[1] !== '0';
}

interface PidSockets {
  startTime: number;
  /** Walk sequence number of the last walk (0 = never). */
  walkedAt: number;
  openFilesAtWalk: number | undefined;
  inodes: number[];
}

/** Options of {@link SocketScanner}. */
export interface SocketScannerOptions {
  procRoot: string;
  /** Map sockets to pids at all (`--probe.proc.spy`). */
  procSpy: boolean;
  /** Most `readlink`s per scan. */
  fdBudgetPerTick: number;
  /** Longest synchronous stretch before yielding, ms. Default 5. */
  sliceMillis?: number;
  /** Re-read a namespace's tables at least every this many scans. Default 10. */
  maxTableAgeTicks?: number;
  /**
   * Most re-reads of already known namespaces' tables per scan, stalest first (first reads are
   * not counted). With many busy namespaces (containers opening connections every second) each is
   * then re-read every few scans instead of every scan; short-lived connections come from
   * conntrack or eBPF anyway. Default 16.
   */
  maxTableRereadsPerTick?: number;
}

export class SocketScanner {
  private readonly reader = new ProcFileReader();
  private readonly nsState = new Map<number, NamespaceState>();
  private scanNumber = 0;
  /** Table reads skipped by the last scan because the TCP counters had not moved. */
  lastTablesReused = 0;
  /** Re-reads of moved tables put off to a later scan by the per-scan budget (last scan). */
  lastTablesDeferred = 0;
  private rereadBudget = 0;
  private readonly owners = new Map<number, number>();
  private readonly pids = new Map<number, PidSockets>();
  /** Unowned inode → walk sequence number when first seen unowned. */
  private readonly unknownSince = new Map<number, number>();
  private readonly unresolvable = new Set<number>();
  private walkSeq = 1;
  private readonly sliceMillis: number;
  /** readlinks done by the last scan (for benchmarks and logs). */
  lastReadlinks = 0;

  constructor(private readonly opts: SocketScannerOptions) {
    this.sliceMillis = opts.sliceMillis ?? 5;
  }

  async scan(snap: WalkSnapshot): Promise<ScanResult> {
    this.scanNumber++;
    this.lastTablesReused = 0;
    const byNetns = new Map<number, ProcInfo[]>();
    for (const p of snap.procs.values()) {
      if (p.defunct || p.netns === 0) continue;
      let list = byNetns.get(p.netns);
      if (!list) byNetns.set(p.netns, (list = []));
      list.push(p);
    }
    const namespaces: NamespaceTable[] = [];
    const present = new Set<number>();
    let sliceStart = performance.now();
    // Stalest first, so that the re-read budget goes round all busy namespaces.
    const order = [...byNetns].sort((a, b) => (this.nsState.get(a[0])?.readAtTick ?? 0) - (this.nsState.get(b[0])?.readAtTick ?? 0));
    this.rereadBudget = this.opts.maxTableRereadsPerTick ?? 16;
    this.lastTablesDeferred = 0;
    for (const [netns, procs] of order) {
      const table = this.readNamespace(netns, procs);
      if (!table) continue;
      namespaces.push(table);
      for (const s of table.connections) if (s.inode !== 0) present.add(s.inode);
      for (const s of table.listeners) if (s.inode !== 0) present.add(s.inode);
      if (performance.now() - sliceStart > this.sliceMillis) {
        await yieldToEventLoop();
        sliceStart = performance.now();
      }
    }
    for (const ns of this.nsState.keys()) if (!byNetns.has(ns)) this.nsState.delete(ns);
    this.forgetGone(snap, present);
    this.lastReadlinks = 0;
    if (this.opts.procSpy) await this.walkFds(byNetns, namespaces);
    const owners = this.owners;
    return { namespaces, owner: (inode) => owners.get(inode) };
  }

  private readNamespace(netns: number, procs: ProcInfo[]): NamespaceTable | undefined {
    let st = this.nsState.get(netns);
    if (!st) {
      st = { parser: new TcpTableParser(), readerPid: undefined, signature: '', table: undefined, readAtTick: 0 };
      this.nsState.set(netns, st);
    }
    const maxAge = this.opts.maxTableAgeTicks ?? 10;
    // The last reader first (almost always still there), then any pid of the namespace.
    for (let i = st.readerPid !== undefined ? -1 : 0; i < procs.length; i++) {
      const pid = i < 0 ? st.readerPid! : procs[i]!.pid;
      const base = `${this.opts.procRoot}/${pid}/net/`;
      const snmp = this.reader.readText(`${base}snmp`);
      if (snmp === undefined) continue;
      const signature = tcpSignature(snmp);
      if (st.table && signature !== '' && signature === st.signature && this.scanNumber - st.readAtTick < maxAge) {
        this.lastTablesReused++;
        return st.table;
      }
      if (st.table) {
        // A re-read: bounded per tick (a table read costs ~1.5 ms of kernel time however small).
        if (this.rereadBudget <= 0) {
          this.lastTablesDeferred++;
          return st.table;
        }
        this.rereadBudget--;
      }
      const n4 = this.reader.readSeqFile(`${base}tcp`);
      if (n4 < 0) continue;
      const table = st.parser.begin();
      st.parser.parse(this.reader.buffer, n4, table);
      // tcp6 costs as much as tcp even when empty; sockstat6 (µs) says whether there is any TCPv6
      // socket at all (dual-stack listeners and their IPv4 connections count as TCPv6).
      if (hasTcp6Sockets(this.reader.readText(`${base}sockstat6`))) {
        const n6 = this.reader.readSeqFile(`${base}tcp6`);
        if (n6 >= 0) st.parser.parse(this.reader.buffer, n6, table);
      }
      st.readerPid = pid;
      st.signature = signature;
      st.readAtTick = this.scanNumber;
      st.table = { netns, ...table };
      return st.table;
    }
    return undefined;
  }

  /** Drops owners of sockets that are gone and state of pids that exited. */
  private forgetGone(snap: WalkSnapshot, present: Set<number>): void {
    for (const inode of this.owners.keys()) if (!present.has(inode)) this.owners.delete(inode);
    for (const inode of this.unknownSince.keys()) if (!present.has(inode)) this.unknownSince.delete(inode);
    for (const inode of this.unresolvable) if (!present.has(inode)) this.unresolvable.delete(inode);
    for (const [pid, s] of this.pids) {
      const p = snap.procs.get(pid);
      if (!p || p.startTime !== s.startTime) this.pids.delete(pid);
    }
  }

  private async walkFds(byNetns: Map<number, ProcInfo[]>, namespaces: NamespaceTable[]): Promise<void> {
    let budget = this.opts.fdBudgetPerTick;
    let sliceStart = performance.now();
    for (const ns of namespaces) {
      const unknown = new Set<number>();
      const collect = (socks: readonly TcpSocket[]): void => {
        for (const s of socks) {
          if (s.inode === 0 || this.owners.has(s.inode) || this.unresolvable.has(s.inode)) continue;
          unknown.add(s.inode);
          if (!this.unknownSince.has(s.inode)) this.unknownSince.set(s.inode, this.walkSeq);
        }
      };
      collect(ns.connections);
      collect(ns.listeners);
      if (unknown.size === 0) continue;
      const order = this.walkOrder(byNetns.get(ns.netns) ?? []);
      for (const p of order) {
        if (unknown.size === 0 || budget <= 0) break;
        budget -= await this.walkPid(p, unknown);
        if (performance.now() - sliceStart > this.sliceMillis) {
          await yieldToEventLoop();
          sliceStart = performance.now();
        }
      }
      // Inodes every pid of the namespace was walked for since they appeared: not owned by a process.
      if (unknown.size > 0) {
        let oldestWalk = Infinity;
        for (const p of order) oldestWalk = Math.min(oldestWalk, this.pids.get(p.pid)?.walkedAt ?? 0);
        for (const inode of unknown) {
          if ((this.unknownSince.get(inode) ?? Infinity) < oldestWalk) {
            this.unresolvable.add(inode);
            this.unknownSince.delete(inode);
          }
        }
      }
    }
    this.lastReadlinks = this.opts.fdBudgetPerTick - budget;
  }

  /** Pids in walk priority order (see module comment). */
  private walkOrder(procs: ProcInfo[]): ProcInfo[] {
    const rank = (p: ProcInfo): number => {
      const s = this.pids.get(p.pid);
      if (!s || s.startTime !== p.startTime || s.walkedAt === 0) return -2e15;
      if (s.openFilesAtWalk !== p.openFiles) return -1e15 + s.walkedAt;
      return s.walkedAt;
    };
    return [...procs].sort((a, b) => rank(a) - rank(b));
  }

  /** Walks one pid's fds (yielding every `sliceMillis`); returns the number of readlinks spent. */
  private async walkPid(p: ProcInfo, unknown: Set<number>): Promise<number> {
    const dir = `${this.opts.procRoot}/${p.pid}/fd`;
    const fds = tryReaddir(dir) ?? [];
    const inodes: number[] = [];
    let sliceStart = performance.now();
    for (let i = 0; i < fds.length; i++) {
      const fd = fds[i]!;
      if ((i & 255) === 255 && performance.now() - sliceStart > this.sliceMillis) {
        await yieldToEventLoop();
        sliceStart = performance.now();
      }
      const link = tryReadlink(`${dir}/${fd}`);
      // `socket:[12345]`
      if (link === undefined || link.charCodeAt(0) !== 115 || !link.startsWith('socket:[')) continue;
      const inode = Number(link.slice(8, -1));
      inodes.push(inode);
      this.owners.set(inode, p.pid);
      unknown.delete(inode);
      this.unknownSince.delete(inode);
    }
    const prev = this.pids.get(p.pid);
    // Sockets this pid owned before and no longer does are forgotten (closed or passed on).
    if (prev && prev.inodes.length > 0) {
      const now = new Set(inodes);
      for (const inode of prev.inodes) if (this.owners.get(inode) === p.pid && !now.has(inode)) this.owners.delete(inode);
    }
    this.pids.set(p.pid, { startTime: p.startTime, walkedAt: ++this.walkSeq, openFilesAtWalk: p.openFiles, inodes });
    return fds.length + 1;
  }
}
