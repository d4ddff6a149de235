/**
 * Allocation-light parsers for the procfs files read every tick. They work on the raw bytes of a
 * `ProcFileReader` buffer so the hot path creates no per-field strings.
 */

/** What the probe needs from `/proc/<pid>/stat`. */
export interface PidStat {
  /** State letter (`R`, `S`, `Z`…) as a char code. */
  state: number;
  ppid: number;
  /** The kernel's per-process flags (`PF_*`); see {@link isKernelThread}. */
  flags: number;
  /** utime + stime, in clock ticks. */
  jiffies: number;
  threads: number;
  /** Start time after boot in clock ticks: with the pid, identifies a process across pid reuse. */
  startTime: number;
  /** Resident set size in pages. */
  rssPages: number;
  /** RLIMIT_RSS in bytes (often 2^64−1, which a double rounds to 1.8446744073709552e19 as Scope's float64 does). */
  rssLimitBytes: number;
}

/**
 * Parses `/proc/<pid>/stat` bytes into `out`. Fields are counted from the *last* `)`, so a `comm`
 * containing spaces or parentheses does not shift them (Scope counts from the start and does).
 * Returns the index range of `comm` in the buffer, or undefined if malformed.
 */
export function parsePidStat(buf: Buffer, length: number, out: PidStat): [start: number, end: number] | undefined {
  const open = buf.indexOf(40 /* ( */);
  let close = length - 1;
  while (close > 0 && buf[close] !== 41 /* ) */) close--;
  if (open < 0 || close <= open) return undefined;
  // Fields after ") ": 0 state, 1 ppid, 6 flags, 11 utime, 12 stime, 17 num_threads, 19 starttime, 21 rss, 22 rsslim.
  let field = 0;
  let i = close + 2;
  out.state = buf[i] ?? 0;
  out.jiffies = 0;
  while (i < length && field <= 22) {
    // Skip to the start of the next field.
    while (i < length && buf[i] !== 32) i++;
    i++;
    field++;
    if (field === 1 || field === 6 || field === 11 || field === 12 || field === 17 || field === 19 || field === 21 || field === 22) {
      let value = 0;
      let negative = false;
      if (buf[i] === 45) {
        negative = true;
        i++;
      }
      while (i < length) {
        const c = buf[i]!;
        if (c < 48 || c > 57) break;
        value = value * 10 + (c - 48);
        i++;
      }
      if (negative) value = -value;
      switch (field) {
        case 1: out.ppid = value; break;
        case 6: out.flags = value; break;
        case 11: out.jiffies = value; break;
        case 12: out.jiffies += value; break;
        case 17: out.threads = value; break;
        case 19: out.startTime = value; break;
        case 21: out.rssPages = value; break;
        case 22: out.rssLimitBytes = value; break;
      }
    }
  }
  return field > 22 ? [open + 1, close] : undefined;
}

/** `PF_KTHREAD` (include/linux/sched.h): set for kernel threads, which have no files, memory or cmdline. */
const PF_KTHREAD = 0x00200000;

/** Whether parsed `stat` flags mark a kernel thread. */
export function isKernelThread(flags: number): boolean {
  return (flags & PF_KTHREAD) !== 0;
}

/** Machine-wide CPU counters from the first (`cpu`) line of `/proc/stat`, in clock ticks. */
export interface CpuTimes {
  /** idle + iowait. */
  idle: number;
  /** idle + iowait + user + nice + system + irq + softirq + steal. */
  total: number;
  /** Number of `cpuN` lines. */
  cpus: number;
}

/** Parses `/proc/stat` text (small: one line per CPU). */
export function parseProcStat(text: string): CpuTimes | undefined {
  const nl = text.indexOf('\n');
  const first = nl < 0 ? text : text.slice(0, nl);
  if (!first.startsWith('cpu ')) return undefined;
  const f = first.trim().split(/\s+/).slice(1, 9).map(Number);
  if (f.length < 4 || f.some((n) => !Number.isFinite(n))) return undefined;
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  let cpus = 0;
  for (let i = text.indexOf('\ncpu'); i >= 0; i = text.indexOf('\ncpu', i + 1)) cpus++;
  return {
    idle: idle + iowait,
    total: user + nice + system + idle + iowait + irq + softirq + steal,
    cpus,
  };
}

/** Soft limit of `Max open files` from `/proc/<pid>/limits`; undefined if absent or unlimited. */
export function parseMaxOpenFiles(text: string): number | undefined {
  const at = text.indexOf('Max open files');
  if (at < 0) return undefined;
  const rest = text.slice(at + 'Max open files'.length).trimStart();
  const soft = rest.slice(0, rest.search(/\s/));
  const n = Number(soft);
  return Number.isFinite(n) ? n : undefined;
}

/** `cmdline` bytes → [name, cmdline] as Scope builds them: argv[0], and NULs replaced by spaces. */
export function parseCmdline(buf: Buffer, length: number): [name: string, cmdline: string] {
  if (length === 0) return ['', ''];
  const nul = buf.indexOf(0);
  const name = buf.toString('utf8', 0, nul < 0 || nul > length ? length : nul);
  let cmdline = buf.toString('utf8', 0, length);
  cmdline = cmdline.replaceAll('\0', ' ');
  return [name, cmdline];
}
