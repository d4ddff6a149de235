/**
 * The incremental /proc walker shared by the process and endpoint reporters. Every tick it lists
 * pids and re-reads only what changes cheaply (`stat` and the fd count, both less often for idle
 * processes); `cmdline`, `comm` and the network namespace are read once per process (pid + start
 * time), `limits` once a minute.
 * Reads are synchronous and done in slices of at most `sliceMillis`, yielding between slices.
 */
import { readdirSync } from 'node:fs';
import { bracketInode, detectFdStatSize, fdCount, ProcFileReader, tryClose, tryOpen, tryReadlink, yieldToEventLoop } from './read.js';
import { isKernelThread, parseCmdline, parseMaxOpenFiles, parsePidStat, parseProcStat, type CpuTimes, type PidStat } from './parse.js';

/** One process as last seen. Mutated in place each tick (no per-tick allocation for old processes). */
export interface ProcInfo {
  readonly pid: number;
  readonly startTime: number;
  ppid: number;
  /** argv[0] (or `[comm]` for kernel threads). */
  name: string;
  /** Whole command line, NULs replaced by spaces (Scope's form, usually ending in a space). */
  cmdline: string;
  threads: number;
  jiffies: number;
  /** Jiffies at the previous tick; undefined for a process first seen this tick. */
  prevJiffies: number | undefined;
  /**
   * Machine-wide jiffies (all CPUs) elapsed over which `jiffies − prevJiffies` was used: the
   * denominator of the CPU %. Spans several ticks after an idle process's skipped reads.
   */
  cpuWindowJiffies: number;
  /** Machine-wide jiffies at the last read of this process's `stat`. */
  readAtTotalJiffies: number;
  /** Consecutive `stat` reads that found no CPU time used since the previous read. */
  idleReads: number;
  /** Walk number before which an idle process's `stat` is not read again. */
  nextReadTick: number;
  /** Walk number of the last fd count. */
  fdCountTick: number;
  /** `jiffies` at the last fd count (CPU used since then makes a recount due sooner). */
  fdCountJiffies: number;
  rssBytes: number;
  rssLimitBytes: number;
  /** Open fd count; undefined if unreadable. */
  openFiles: number | undefined;
  /** Open fd count at the previous tick (a change hints at new sockets). */
  prevOpenFiles: number | undefined;
  openFilesLimit: number;
  limitsReadAtMillis: number;
  /** Inode of the network namespace (`/proc/<pid>/ns/net`), 0 if unknown. */
  netns: number;
  /** Ticks this process has been seen in. */
  ticks: number;
  /** Zombie or dead: kept in the cache, not reported. */
  defunct: boolean;
  /** Open fd of `/proc/<pid>/stat`, re-read each tick; undefined when not kept open. */
  statFd: number | undefined;
}

/** Result of one walk. */
export interface WalkSnapshot {
  readonly procs: ReadonlyMap<number, ProcInfo>;
  /** Machine-wide jiffies elapsed since the previous walk (since boot for the first). */
  readonly totalJiffiesDelta: number;
  readonly cpus: number;
  /** Wall-clock time of the walk, ms since the epoch. */
  readonly atMillis: number;
}

/** Options of {@link ProcWalker}. */
export interface ProcWalkerOptions {
  /** procfs mount point. Default `/proc`. */
  procRoot?: string;
  /** Longest synchronous stretch before yielding to the event loop, in ms. Default 5. */
  sliceMillis?: number;
}

const LIMITS_TTL_MILLIS = 60_000;
/**
 * Most `/proc/<pid>/stat` files kept open between ticks: re-reading an open procfs file (one
 * `pread`) costs a third of open+read+close. Beyond this many processes the rest are opened each tick.
 */
const MAX_OPEN_STAT_FDS = 4096;
/**
 * The fd count (a `stat` of /proc/<pid>/fd: a path walk in the kernel and a Stats object with four
 * Dates in Node) is refreshed for each process that used CPU time since its last count every this
 * many ticks; in between the last count is reported.
 */
const FD_COUNT_EVERY_TICKS = 3;
/**
 * A process that used no CPU time (less than one clock tick) since its last fd count is recounted
 * only every this many ticks: opening or closing files takes CPU, so its count rarely moves, and
 * most processes of a host sleep. Freshness chosen: the open-files figure of such a process may
 * be up to this many seconds old (at the default 1-s spy interval); a process that works is
 * recounted every FD_COUNT_EVERY_TICKS as before. (The count also orders the fd walk of the
 * /proc connection scan; it never decides whether a pid is walked.)
 */
const FD_COUNT_IDLE_EVERY_TICKS = 12;
/**
 * Most ticks in a row an idle process's `stat` is not read. Most processes of a host sleep: after
 * a read that shows no CPU time used, the next 1, then 2 ticks skip it (its last values are
 * reported, with 0 % CPU); any CPU use puts it back to every tick, and the CPU time used meanwhile
 * is spread over the whole window since its previous read. New processes are read every tick.
 * Exits are still seen at once (the pid leaves /proc).
 */
const IDLE_SKIP_MAX_TICKS = 2;
/** Processes younger than this many ticks are read every tick (they settle: exec, setns…). */
const YOUNG_TICKS = 4;
/**
 * A process's netns is re-read at these ticks of its life (read first when it is seen): runtimes
 * `setns`/`unshare` right after fork. Not every early tick: on a host that starts tens of
 * processes a second, each re-read is a readlink per new process.
 */
const NETNS_RECHECK_TICKS = new Set([1, 3]);

export class ProcWalker {
  readonly procRoot: string;
  private readonly sliceMillis: number;
  private readonly reader = new ProcFileReader();
  private readonly stat: PidStat = { state: 0, ppid: 0, flags: 0, jiffies: 0, threads: 0, startTime: 0, rssPages: 0, rssLimitBytes: 0 };
  private readonly pageSize = 4096;
  private readonly fdStatSize: boolean;
  private procs = new Map<number, ProcInfo>();
  private lastCpu: CpuTimes | undefined;
  private inFlight: Promise<WalkSnapshot> | undefined;
  private latest: WalkSnapshot | undefined;
  private tickNumber = 0;
  private openStatFds = 0;

  constructor(opts: ProcWalkerOptions = {}) {
    this.procRoot = opts.procRoot ?? '/proc';
    this.sliceMillis = opts.sliceMillis ?? 5;
    this.fdStatSize = detectFdStatSize(this.procRoot);
  }

  /** The last completed walk, if any. */
  get snapshot(): WalkSnapshot | undefined {
    return this.latest;
  }

  /** Closes the stat files kept open. */
  close(): void {
    this.reader.closeKept();
    for (const p of this.procs.values()) {
      if (p.statFd !== undefined) tryClose(p.statFd);
      p.statFd = undefined;
    }
    this.openStatFds = 0;
  }

  /** Walks /proc once; concurrent callers share the walk in flight. */
  walk(): Promise<WalkSnapshot> {
    this.inFlight ??= this.doWalk().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async doWalk(): Promise<WalkSnapshot> {
    const atMillis = Date.now();
    this.tickNumber++;
    const cpuText = this.reader.readKeptText(`${this.procRoot}/stat`);
    const cpu = cpuText === undefined ? undefined : parseProcStat(cpuText);
    const totalJiffiesDelta = cpu ? cpu.total - (this.lastCpu?.total ?? 0) : 0;
    if (cpu) this.lastCpu = cpu;

    let names: string[];
    try {
      names = readdirSync(this.procRoot);
    } catch {
      names = [];
    }
    const next = new Map<number, ProcInfo>();
    const total = this.lastCpu?.total ?? 0;
    let sliceStart = performance.now();
    for (const entry of names) {
      const c = entry.charCodeAt(0);
      if (c < 48 || c > 57) continue;
      const pid = Number(entry);
      const known = this.procs.get(pid);
      if (known !== undefined && known.nextReadTick > this.tickNumber) {
        // Idle lately: its last values stand for this tick (no CPU used).
        known.prevJiffies = known.jiffies;
        known.prevOpenFiles = known.openFiles;
        known.cpuWindowJiffies = totalJiffiesDelta;
        known.ticks++;
        next.set(pid, known);
        continue;
      }
      const info = this.readPid(pid, atMillis, total, totalJiffiesDelta);
      if (info) next.set(pid, info);
      if (performance.now() - sliceStart > this.sliceMillis) {
        await yieldToEventLoop();
        sliceStart = performance.now();
      }
    }
    for (const [pid, old] of this.procs) {
      if (old.statFd !== undefined && next.get(pid) !== old) {
        tryClose(old.statFd);
        old.statFd = undefined;
        this.openStatFds--;
      }
    }
    this.procs = next;
    this.latest = { procs: next, totalJiffiesDelta, cpus: cpu?.cpus ?? 1, atMillis };
    return this.latest;
  }

  /** Reads one pid; undefined if it vanished or is unreadable. */
  private readPid(pid: number, nowMillis: number, totalJiffies: number, totalJiffiesDelta: number): ProcInfo | undefined {
    const base = `${this.procRoot}/${pid}`;
    let info = this.procs.get(pid);
    let n = -1;
    let statFd = info?.statFd;
    if (statFd !== undefined) {
      n = this.reader.preadSingle(statFd);
      if (n < 0) {
        // The process behind the fd exited (ESRCH); the pid may already be someone else's.
        tryClose(statFd);
        this.openStatFds--;
        statFd = undefined;
        if (info) info.statFd = undefined;
      }
    }
    if (n < 0) {
      if (this.openStatFds < MAX_OPEN_STAT_FDS) {
        statFd = tryOpen(`${base}/stat`);
        if (statFd === undefined) return undefined;
        this.openStatFds++;
        n = this.reader.preadSingle(statFd);
      } else {
        n = this.reader.readInto(`${base}/stat`);
      }
    }
    const st = this.stat;
    const comm = n < 0 ? undefined : parsePidStat(this.reader.buffer, n, st);
    if (!comm) {
      if (statFd !== undefined) {
        tryClose(statFd);
        this.openStatFds--;
      }
      if (info) info.statFd = undefined;
      return undefined;
    }
    if (info && info.startTime !== st.startTime) {
      // pid reused: the old entry's fd (if any) was already replaced above
      if (info.statFd !== undefined && info.statFd !== statFd) {
        tryClose(info.statFd);
        this.openStatFds--;
      }
      info.statFd = undefined;
      info = undefined;
    }
    if (!info) {
      const commText = this.reader.buffer.toString('utf8', comm[0], comm[1]);
      info = this.newProc(pid, base, commText, st.startTime);
      info.statFd = statFd;
      info.cpuWindowJiffies = totalJiffiesDelta;
    } else {
      info.statFd = statFd;
      info.prevJiffies = info.jiffies;
      info.prevOpenFiles = info.openFiles;
      info.cpuWindowJiffies = totalJiffies - info.readAtTotalJiffies;
      info.ticks++;
      if (NETNS_RECHECK_TICKS.has(info.ticks)) info.netns = bracketInode(tryReadlink(`${base}/ns/net`));
      if (st.jiffies === info.jiffies && info.ticks >= YOUNG_TICKS) {
        info.idleReads++;
        info.nextReadTick = this.tickNumber + 1 + Math.min(info.idleReads, IDLE_SKIP_MAX_TICKS);
      } else {
        info.idleReads = 0;
      }
    }
    info.readAtTotalJiffies = totalJiffies;
    info.ppid = st.ppid;
    info.jiffies = st.jiffies;
    info.threads = st.threads;
    info.rssBytes = st.rssPages * this.pageSize;
    info.rssLimitBytes = st.rssLimitBytes;
    info.defunct = st.state === 90 /* Z */ || st.state === 88 /* X */ || st.state === 120 /* x */;
    if (!info.defunct) {
      if (isKernelThread(st.flags)) {
        // Kernel threads have no file table: their fd directory is always empty (half the
        // processes of a quiet host; a stat each would be most of the fd-count cost).
        info.openFiles = 0;
      } else if (this.fdCountDue(info)) {
        info.openFiles = fdCount(this.procRoot, pid, this.fdStatSize);
        info.fdCountJiffies = info.jiffies;
        // A new process's phase depends on its pid, so the processes of one walk spread over ticks.
        info.fdCountTick = info.ticks === 0 ? this.tickNumber - (pid % FD_COUNT_EVERY_TICKS) : this.tickNumber;
      }
      if (nowMillis - info.limitsReadAtMillis > LIMITS_TTL_MILLIS) {
        const limits = this.reader.readSingleText(`${base}/limits`);
        info.openFilesLimit = (limits === undefined ? undefined : parseMaxOpenFiles(limits)) ?? info.openFilesLimit;
        info.limitsReadAtMillis = nowMillis;
      }
    }
    return info;
  }

  /** Whether `info`'s fd count is to be refreshed this tick (see FD_COUNT_EVERY_TICKS). */
  private fdCountDue(info: ProcInfo): boolean {
    if (info.ticks === 0 || info.openFiles === undefined) return true;
    const age = this.tickNumber - info.fdCountTick;
    if (age < FD_COUNT_EVERY_TICKS) return false;
    // Young processes settle (exec closes the spawner's fds) without necessarily using a clock tick.
    return age >= FD_COUNT_IDLE_EVERY_TICKS || info.ticks < YOUNG_TICKS || info.jiffies !== info.fdCountJiffies;
  }

  private newProc(pid: number, base: string, comm: string, startTime: number): ProcInfo {
    const n = this.reader.readCmdline(`${base}/cmdline`);
    const [argv0, cmdline] = n < 0 ? ['', ''] : parseCmdline(this.reader.buffer, n);
    const name = argv0 !== '' ? argv0 : comm === '' ? '(unknown)' : `[${comm}]`;
    return {
      pid,
      startTime,
      ppid: 0,
      name,
      cmdline,
      threads: 0,
      jiffies: 0,
      prevJiffies: undefined,
      cpuWindowJiffies: 0,
      readAtTotalJiffies: 0,
      idleReads: 0,
      nextReadTick: 0,
      fdCountTick: 0,
      fdCountJiffies: 0,
      rssBytes: 0,
      rssLimitBytes: 0,
      openFiles: undefined,
      prevOpenFiles: undefined,
      openFilesLimit: 0,
      limitsReadAtMillis: -Infinity,
      netns: bracketInode(tryReadlink(`${base}/ns/net`)),
      ticks: 0,
      defunct: false,
      statFd: undefined,
    };
  }
}
