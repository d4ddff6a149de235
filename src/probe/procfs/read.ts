/**
 * Cheap synchronous reads of procfs files. procfs files are generated on read and tiny, so a
 * blocking open/read/close into one reused buffer costs a few microseconds, far less than the
 * libuv thread-pool round trips of `fs.promises` (measured in bench/probe.bench.ts). Callers keep
 * each batch short and yield between batches so the event loop is never blocked for long.
 */
import { closeSync, openSync, readSync, readlinkSync, readdirSync, statSync } from 'node:fs';

/** Opens a file read-only; undefined on any error. */
export function tryOpen(path: string): number | undefined {
  try {
    return openSync(path, 'r');
  } catch {
    return undefined;
  }
}

/** Closes an fd, ignoring errors. */
export function tryClose(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

/** Smallest seq_file buffer (a 4-KiB page): `ProcFileReader.readSeqFile` always asks for at least this much. */
const SEQ_PAGE = 4096;
/**
 * A read of a multi-record seq_file shorter than this ended with the records (see
 * `ProcFileReader.readSeqFile`): a page less 1 KiB, more than any one record of the files it is
 * used for (net/tcp lines are 150 bytes, net/tcp6 lines under 200).
 */
const SEQ_WHOLE_BELOW = SEQ_PAGE - 1024;

/** Reads procfs files into a reused buffer; one instance per walker (not shared across awaits). */
export class ProcFileReader {
  private buf = Buffer.allocUnsafe(64 * 1024);

  /** Reads the whole file; returns the number of bytes in `this.buffer`, or -1 if unreadable. */
  readInto(path: string): number {
    return this.readPath(path, 1);
  }

  /**
   * `readInto` for multi-record seq_files whose reads cost a walk of a large kernel table however
   * few records they yield: /proc/<pid>/net/tcp and tcp6 walk the TCP established hash shared by
   * all namespaces. Measured in a container's namespace on a 24 GiB host (262,144 buckets): net/tcp
   * with one socket 2.8 ms for the read with the records, then 2.7 ms for the read that returns 0;
   * net/tcp6 with 60 sockets 1.1 + 1.2 + 0.3 ms for three reads of records, then 2.4 ms for the 0.
   *
   * The kernel fills a read with whole records until the next one no longer fits its seq_file
   * buffer (a page: 4 KiB on x86-64, more on some arm64 kernels; larger only after a single record
   * overflowed it) or the caller's buffer, or until the records end. So, with at least a page of
   * room asked for, a read shorter than {@link SEQ_WHOLE_BELOW} bytes (leaving more than a
   * record's room in any page) ended with the records, and the costly empty read after it is
   * saved. -1 if unreadable.
   */
  readSeqFile(path: string): number {
    return this.readPath(path, SEQ_WHOLE_BELOW);
  }

  /** Opens `path` and reads it to its end (`readToEnd` with plain sequential reads); -1 if unreadable. */
  private readPath(path: string, endsBelow: number): number {
    const fd = tryOpen(path);
    if (fd === undefined) return -1;
    try {
      // Sequential reads: a multi-record seq_file (/proc/<pid>/net/tcp) continues where it stopped.
      return this.readToEnd(fd, false, endsBelow);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * `readInto` for procfs files the kernel generates whole on each read (`single_open` seq files,
   * see `preadSingle`: /proc/<pid>/cgroup, /proc/<pid>/limits…): a short first read that ends in
   * a newline is the whole file, which saves the second `read` that would only return 0. These
   * are read once per new process, and a host's short-lived processes make several a second.
   */
  readSingle(path: string): number {
    return this.readFirstWhole(path, true);
  }

  /**
   * `readInto` for /proc/<pid>/cmdline, which the kernel copies whole up to the size asked for
   * (not in seq_file records): a first read shorter than the buffer is the whole file, which saves
   * the second `read` that would only return 0 (one per new process).
   */
  readCmdline(path: string): number {
    return this.readFirstWhole(path, false);
  }

  /** Opens `path` for one `preadFirst` (see there); -1 if it cannot be opened or read. */
  private readFirstWhole(path: string, single: boolean): number {
    const fd = tryOpen(path);
    if (fd === undefined) return -1;
    try {
      return this.preadFirst(fd, single);
    } finally {
      closeSync(fd);
    }
  }

  /** `readSingle` as latin1 text; undefined if unreadable. */
  readSingleText(path: string): string | undefined {
    const n = this.readSingle(path);
    return n < 0 ? undefined : this.buf.toString('latin1', 0, n);
  }

  /**
   * Re-reads an already open procfs file from offset 0 (procfs regenerates it), saving the path
   * lookup, open and close of `readInto`. Returns the byte count, or -1 (e.g. ESRCH: the process exited).
   */
  preadInto(fd: number): number {
    return this.readToEnd(fd, true, 1);
  }

  /**
   * Reads `fd` into the buffer from offset 0 (with `pread` at each offset when `positional`, else
   * with plain reads from the fd's current position, a fresh fd's) until a read returns fewer
   * than `endsBelow` bytes: 1 for any file (the read that returns 0), {@link SEQ_WHOLE_BELOW} for
   * the multi-record seq_files of `readSeqFile`. Each read asks for at least a page (the buffer is
   * doubled when less is left), which `readSeqFile`'s rule needs. The byte count, or -1 on an error.
   */
  private readToEnd(fd: number, positional: boolean, endsBelow: number): number {
    try {
      let length = 0;
      for (;;) {
        if (this.buf.length - length < SEQ_PAGE) {
          const bigger = Buffer.allocUnsafe(this.buf.length * 2);
          this.buf.copy(bigger, 0, 0, length);
          this.buf = bigger;
        }
        const n = readSync(fd, this.buf, length, this.buf.length - length, positional ? length : null);
        length += n;
        if (n < endsBelow) return length;
      }
    } catch {
      return -1;
    }
  }

  /**
   * `preadInto` for procfs files the kernel generates whole on each read (`single_open` seq
   * files: /proc/<pid>/stat, /proc/stat, /proc/meminfo, /proc/loadavg, /proc/uptime): all of such
   * a file comes in the first read when it fits the buffer, so a short read that ends in a newline
   * is the whole file. This saves the second `pread` that would only return 0 (measured: one read
   * of /proc/<pid>/stat 4.9 µs, read + the empty read 8.1 µs). NOT for multi-record files
   * (/proc/net/tcp…), whose reads stop at a record boundary before the end.
   */
  preadSingle(fd: number): number {
    return this.preadFirst(fd, true);
  }

  /**
   * One read from offset 0, taken as the whole file when it is shorter than the buffer and, for a
   * `single` (seq_file) file, ends in a newline (see `preadSingle`, `readCmdline`); otherwise the
   * file is read again whole by `preadInto`. -1 if unreadable.
   */
  private preadFirst(fd: number, single: boolean): number {
    let n: number;
    try {
      n = readSync(fd, this.buf, 0, this.buf.length, 0);
    } catch {
      return -1;
    }
    if (n < this.buf.length && (!single || (n > 0 && this.buf[n - 1] === 10))) return n;
    return this.preadInto(fd);
  }

  /**
   * Reads a machine-wide procfs file generated whole on each read (`/proc/stat`, `/proc/meminfo`…,
   * see `preadSingle`) through an fd kept open across calls: one `pread` instead of open + read +
   * close (+ the empty read). Reopened once if the read fails.
   * Returns the byte count in `this.buffer`, or -1. Release the fds with `closeKept`.
   */
  readKept(path: string): number {
    let fd = this.kept.get(path);
    if (fd !== undefined) {
      const n = this.preadSingle(fd);
      if (n >= 0) return n;
      tryClose(fd);
      this.kept.delete(path);
    }
    fd = tryOpen(path);
    if (fd === undefined) return -1;
    this.kept.set(path, fd);
    return this.preadSingle(fd);
  }

  /** `readKept` as latin1 text; undefined if unreadable. */
  readKeptText(path: string): string | undefined {
    const n = this.readKept(path);
    return n < 0 ? undefined : this.buf.toString('latin1', 0, n);
  }

  /** Closes the fds `readKept` keeps open. */
  closeKept(): void {
    for (const fd of this.kept.values()) tryClose(fd);
    this.kept.clear();
  }

  private readonly kept = new Map<string, number>();

  /** The buffer filled by the last `readInto` (valid until the next call). */
  get buffer(): Buffer {
    return this.buf;
  }

  /** Reads a small text file as latin1; undefined if unreadable. */
  readText(path: string): string | undefined {
    const n = this.readInto(path);
    return n < 0 ? undefined : this.buf.toString('latin1', 0, n);
  }
}

/** `readlink`, undefined on any error (process gone, permission). */
export function tryReadlink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/** `readdir` names, undefined on any error. */
export function tryReaddir(path: string): string[] | undefined {
  try {
    return readdirSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Number of open fds of a process. Since Linux 6.2 `stat` of `/proc/<pid>/fd` reports it as the
 * size, which avoids listing the directory (a size of 0 then means no open fds: a kernel thread or
 * a process that closed them all); older kernels report 0 always and we list it.
 */
export function fdCount(procRoot: string, pid: number, statSizeWorks: boolean): number | undefined {
  const dir = `${procRoot}/${pid}/fd`;
  if (statSizeWorks) {
    try {
      return statSync(dir).size;
    } catch {
      return undefined;
    }
  }
  return tryReaddir(dir)?.length;
}

/** Whether this kernel reports fd counts as the size of `/proc/<pid>/fd` (Linux ≥ 6.2). */
export function detectFdStatSize(procRoot: string): boolean {
  try {
    return statSync(`${procRoot}/self/fd`).size > 0;
  } catch {
    return false;
  }
}

/** Parses the inode out of `net:[4026531992]` / `socket:[12345]`; 0 when it does not match. */
export function bracketInode(link: string | undefined): number {
  if (link === undefined) return 0;
  const open = link.indexOf('[');
  if (open < 0 || link.charCodeAt(link.length - 1) !== 93) return 0;
  const n = Number(link.slice(open + 1, -1));
  return Number.isSafeInteger(n) ? n : 0;
}

/** Resolves after the current macrotask queue drains: lets timers and I/O run between batches. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
