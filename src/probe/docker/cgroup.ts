/**
 * Container CPU and memory read straight from the container's cgroup (v2 or v1), instead of Scope's
 * one Docker stats stream per container (which costs dockerd + containerd ~12 % of a core at 55
 * containers). A few small file reads per running container per report.
 */
import { readFile, access } from 'node:fs/promises';
import { join } from 'node:path';

/** One reading of a container's cgroup. */
export interface CgroupSample {
  /** Cumulative CPU time of every process in the cgroup, nanoseconds. */
  cpuUsageNanos: number;
  /** Memory in use without page cache (Scope: usage − cache), bytes. */
  memoryBytes: number;
  /** Memory limit in bytes; `Infinity` when unlimited. */
  memoryLimitBytes: number;
}

type CgroupPaths = { kind: 'v2'; dir: string } | { kind: 'v1'; cpuDir: string; memDir: string };

/** Options of {@link CgroupReader}. */
export interface CgroupReaderOptions {
  /** cgroup filesystem mount. Default `/sys/fs/cgroup`. */
  cgroupRoot?: string;
  /** procfs mount. Default `/proc`. */
  procRoot?: string;
}

const exists = async (p: string): Promise<boolean> =>
  access(p).then(
    () => true,
    () => false,
  );

async function readNumber(path: string): Promise<number> {
  const text = (await readFile(path, 'utf8')).trim();
  if (text === 'max') return Infinity;
  const n = Number(text);
  if (!Number.isFinite(n)) throw new Error(`${path}: not a number`);
  return n;
}

async function readStat(path: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await readFile(path, 'utf8')).split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0) out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return out;
}

/** Finds and reads containers' cgroups; remembers each container's cgroup directory. */
export class CgroupReader {
  private readonly root: string;
  private readonly proc: string;
  private v2: boolean | undefined;
  private readonly paths = new Map<string, CgroupPaths>();

  constructor(opts: CgroupReaderOptions = {}) {
    this.root = opts.cgroupRoot ?? '/sys/fs/cgroup';
    this.proc = opts.procRoot ?? '/proc';
  }

  /** Forgets a container (it stopped or was removed; a restart may move its cgroup). */
  forget(containerId: string): void {
    this.paths.delete(containerId);
  }

  /**
   * Reads the cgroup of `containerId` whose main process is `pid` (0 when unknown).
   * Rejects when the cgroup cannot be found or read (the caller falls back to Docker's stats API).
   */
  async read(containerId: string, pid: number): Promise<CgroupSample> {
    let paths = this.paths.get(containerId);
    if (!paths) {
      paths = await this.resolve(containerId, pid);
      this.paths.set(containerId, paths);
    }
    try {
      return await this.readPaths(paths);
    } catch (err) {
      this.paths.delete(containerId);
      throw err;
    }
  }

  private async readPaths(p: CgroupPaths): Promise<CgroupSample> {
    if (p.kind === 'v2') {
      const [cpu, current, max, stat] = await Promise.all([
        readStat(join(p.dir, 'cpu.stat')),
        readNumber(join(p.dir, 'memory.current')),
        readNumber(join(p.dir, 'memory.max')),
        readStat(join(p.dir, 'memory.stat')),
      ]);
      const usec = cpu.get('usage_usec');
      if (usec === undefined || !Number.isFinite(usec)) throw new Error(`${p.dir}/cpu.stat: no usage_usec`);
      // As `docker stats` does on cgroup v2: in use minus reclaimable inactive file pages.
      return { cpuUsageNanos: usec * 1000, memoryBytes: Math.max(0, current - (stat.get('inactive_file') ?? 0)), memoryLimitBytes: max };
    }
    const [usage, memUsage, limit, stat] = await Promise.all([
      readNumber(join(p.cpuDir, 'cpuacct.usage')),
      readNumber(join(p.memDir, 'memory.usage_in_bytes')),
      readNumber(join(p.memDir, 'memory.limit_in_bytes')),
      readStat(join(p.memDir, 'memory.stat')),
    ]);
    // Scope: memory_stats.usage − memory_stats.stats.cache.
    return { cpuUsageNanos: usage, memoryBytes: Math.max(0, memUsage - (stat.get('cache') ?? 0)), memoryLimitBytes: limit };
  }

  private async isV2(): Promise<boolean> {
    this.v2 ??= await exists(join(this.root, 'cgroup.controllers'));
    return this.v2;
  }

  private async v1Dir(controller: 'cpuacct' | 'memory', rel: string): Promise<string | undefined> {
    const mounts = controller === 'cpuacct' ? ['cpuacct', 'cpu,cpuacct', 'cpuacct,cpu'] : ['memory'];
    const file = controller === 'cpuacct' ? 'cpuacct.usage' : 'memory.usage_in_bytes';
    for (const m of mounts) {
      const dir = join(this.root, m, rel);
      if (await exists(join(dir, file))) return dir;
    }
    return undefined;
  }

  private async resolve(id: string, pid: number): Promise<CgroupPaths> {
    const v2 = await this.isV2();
    const fromProc = pid > 0 ? await this.procCgroups(pid) : new Map<string, string>();
    const guesses = [`/system.slice/docker-${id}.scope`, `/docker/${id}`, `/kubepods/${id}`];
    if (v2) {
      const candidates = [...(fromProc.has('') ? [fromProc.get('') ?? ''] : []), ...guesses];
      for (const rel of candidates) {
        const dir = join(this.root, rel);
        if (await exists(join(dir, 'cpu.stat'))) return { kind: 'v2', dir };
      }
      throw new Error(`cgroup v2 of container ${id.slice(0, 12)} not found`);
    }
    const cpuCandidates = [fromProc.get('cpuacct'), ...guesses].filter((x): x is string => x !== undefined);
    const memCandidates = [fromProc.get('memory'), ...guesses].filter((x): x is string => x !== undefined);
    let cpuDir: string | undefined;
    for (const rel of cpuCandidates) if (!cpuDir) cpuDir = await this.v1Dir('cpuacct', rel);
    let memDir: string | undefined;
    for (const rel of memCandidates) if (!memDir) memDir = await this.v1Dir('memory', rel);
    if (!cpuDir || !memDir) throw new Error(`cgroup v1 of container ${id.slice(0, 12)} not found`);
    return { kind: 'v1', cpuDir, memDir };
  }

  /** controller → path from `/proc/<pid>/cgroup` (`''` for the v2 unified line). */
  private async procCgroups(pid: number): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    let text: string;
    try {
      text = await readFile(join(this.proc, String(pid), 'cgroup'), 'utf8');
    } catch {
      return out;
    }
    for (const line of text.split('\n')) {
      const first = line.indexOf(':');
      const second = line.indexOf(':', first + 1);
      if (first < 0 || second < 0) continue;
      const path = line.slice(second + 1);
      for (const c of line.slice(first + 1, second).split(',')) out.set(c, path);
    }
    return out;
  }
}

/** The 64-hex container ids that appear in a `/proc/<pid>/cgroup` text (docker-<id>.scope, /docker/<id>…). */
export function containerIdsInCgroup(text: string): string[] {
  return text.match(/[0-9a-f]{64}/g) ?? [];
}
