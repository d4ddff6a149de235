/**
 * Per-container CPU and memory metrics (`docker_cpu_total_usage`, `docker_memory_usage`, wire §5.6):
 * read from cgroups each report, falling back to one-shot Docker stats only for containers whose
 * cgroup cannot be read (fetched in the background so a slow dockerd never delays a report).
 */
import { cpus } from 'node:os';
import { totalmem } from 'node:os';
import type { Metric } from '../../report/types.js';
import { timeFromMillis } from '../../report/time.js';
import type { CgroupReader, CgroupSample } from './cgroup.js';

/** A container whose metrics are wanted: id and main pid (0 when unknown). */
export interface MetricTarget {
  id: string;
  pid: number;
}

/** Fetches one Docker stats reading (`GET /containers/{id}/stats?stream=false&one-shot=true`). */
export type StatsFetcher = (id: string) => Promise<unknown>;

interface Reading {
  sample: CgroupSample;
  atMillis: number;
}

/** Turns a Docker stats reply into a {@link CgroupSample}; undefined when it lacks the numbers. */
export function sampleFromDockerStats(v: unknown): CgroupSample | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const mem = (o.memory_stats ?? {}) as Record<string, unknown>;
  const cpu = (o.cpu_stats ?? {}) as Record<string, unknown>;
  const cpuUsage = (cpu.cpu_usage ?? {}) as Record<string, unknown>;
  const stats = (mem.stats ?? {}) as Record<string, unknown>;
  const n = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
  const usage = n(mem.usage);
  const total = n(cpuUsage.total_usage);
  if (usage === undefined || total === undefined) return undefined;
  const cache = n(stats.cache) ?? n(stats.inactive_file) ?? 0;
  return { cpuUsageNanos: total, memoryBytes: Math.max(0, usage - cache), memoryLimitBytes: n(mem.limit) ?? Infinity };
}

/** Keeps the previous reading of each container to turn cumulative CPU time into a percentage. */
export class ContainerMetrics {
  private readonly last = new Map<string, Reading>();
  private readonly fallback = new Map<string, Reading>();
  private readonly fallbackInFlight = new Set<string>();
  private readonly cpuCount = Math.max(1, cpus().length);
  private readonly hostMemoryBytes = totalmem();
  /** The last sample time made, by its millisecond: the readings of one report share it. */
  private lastDate = { millis: NaN, time: '' };
  /** Collections so far, and the last one in which each target id was seen (see `prune`). */
  private tick = 0;
  private readonly liveTick = new Map<string, number>();

  constructor(
    private readonly cgroups: CgroupReader,
    private readonly fetchStats: StatsFetcher,
    private readonly onFallbackError: (id: string, err: unknown) => void = () => undefined,
  ) {}

  /**
   * Metrics of each target that could be read, keyed by container id. Containers whose cgroup
   * files are already open (all but new ones) are read synchronously, without a promise each:
   * this runs every spy tick, and its async steps cost more than the reads.
   */
  async collect(targets: readonly MetricTarget[]): Promise<Map<string, Map<string, Metric>>> {
    const out = new Map<string, Map<string, Metric>>();
    this.prune(targets);
    let slow: MetricTarget[] | undefined;
    for (const t of targets) {
      let reading: Reading | undefined;
      try {
        const sample = this.cgroups.readIfOpen(t.id);
        if (sample === undefined) {
          (slow ??= []).push(t);
          continue;
        }
        reading = { sample, atMillis: Date.now() };
      } catch {
        reading = this.fallbackReading(t.id);
      }
      this.add(out, t.id, reading);
    }
    if (slow !== undefined) await Promise.all(slow.map(async (t) => this.add(out, t.id, await this.read(t))));
    return out;
  }

  /** Forgets the containers that are no longer targets (what a tick stamp per id tells, without a Set each tick). */
  private prune(targets: readonly MetricTarget[]): void {
    const tick = ++this.tick;
    const live = this.liveTick;
    for (const t of targets) live.set(t.id, tick);
    const drop = (_: Reading, id: string): void => {
      if (live.get(id) === tick) return;
      this.last.delete(id);
      this.fallback.delete(id);
      this.cgroups.forget(id);
    };
    this.last.forEach(drop);
    this.fallback.forEach(drop);
    live.forEach((t, id) => {
      if (t !== tick) live.delete(id);
    });
  }

  private add(out: Map<string, Map<string, Metric>>, id: string, reading: Reading | undefined): void {
    if (!reading) return;
    const metrics = this.toMetrics(id, reading);
    if (metrics.size > 0) out.set(id, metrics);
  }

  private async read(t: MetricTarget): Promise<Reading | undefined> {
    try {
      const sample = await this.cgroups.read(t.id, t.pid);
      return { sample, atMillis: Date.now() };
    } catch {
      return this.fallbackReading(t.id);
    }
  }

  /** After a failed cgroup read: starts a Docker stats fetch, and takes the last one's reading if any. */
  private fallbackReading(id: string): Reading | undefined {
    this.startFallback(id);
    const r = this.fallback.get(id);
    // Use each background reading once; an old one would repeat a sample.
    if (r) this.fallback.delete(id);
    return r;
  }

  private startFallback(id: string): void {
    if (this.fallbackInFlight.has(id)) return;
    this.fallbackInFlight.add(id);
    this.fetchStats(id)
      .then((v) => {
        const sample = sampleFromDockerStats(v);
        if (sample) this.fallback.set(id, { sample, atMillis: Date.now() });
      })
      .catch((err: unknown) => this.onFallbackError(id, err))
      .finally(() => this.fallbackInFlight.delete(id));
  }

  private toMetrics(id: string, r: Reading): Map<string, Metric> {
    const metrics = new Map<string, Metric>();
    if (this.lastDate.millis !== r.atMillis) this.lastDate = { millis: r.atMillis, time: timeFromMillis(r.atMillis) };
    const date = this.lastDate.time;
    const limit = Math.min(r.sample.memoryLimitBytes, this.hostMemoryBytes);
    const mem = r.sample.memoryBytes;
    metrics.set('docker_memory_usage', { samples: [{ date, value: mem }], min: mem, max: Math.max(limit, mem) });
    const prev = this.last.get(id);
    this.last.set(id, r);
    if (prev && r.atMillis > prev.atMillis) {
      const cpuDelta = r.sample.cpuUsageNanos - prev.sample.cpuUsageNanos;
      const systemDelta = (r.atMillis - prev.atMillis) * 1e6 * this.cpuCount;
      // A share of the whole host, not ×CPUs, as Scope computes it (wire §6.4 #35).
      const pct = cpuDelta > 0 && systemDelta > 0 ? Math.min(100, (100 * cpuDelta) / systemDelta) : 0;
      metrics.set('docker_cpu_total_usage', { samples: [{ date, value: pct }], min: pct, max: 100 });
    }
    return metrics;
  }
}
