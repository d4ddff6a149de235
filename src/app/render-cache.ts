/**
 * Memoises renders per (merged report, what, query) so that many viewers between two report
 * arrivals cost one render. Keyed by the report object's identity: collectors return the same
 * object until their content changes, and a WeakMap lets old reports' renders go with them.
 */
import { gzipSync } from 'node:zlib';
import type { Report } from '../report/types.js';
import type { AppMetrics } from './metrics.js';

/** Entries kept per report before the oldest are dropped (bounds memory under odd query mixes). */
const MAX_ENTRIES_PER_REPORT = 256;

/**
 * Bounded staleness of {@link RenderCache.recent}: a render cheaper than this (ms of CPU time, the smaller of
 * its last two costs, so one cold-JIT render does not count) is always redone for a new report.
 */
export const RECENT_MIN_COST_MILLIS = 100;
/** An expensive render is redone at most once per this many times its cost… */
export const RECENT_INTERVAL_PER_COST = 10;
/** …and at least every this many ms. */
export const RECENT_MAX_INTERVAL_MILLIS = 2000;
/** A render older than this (ms: one probe publish interval) is never served. */
export const RECENT_MAX_AGE_MILLIS = 3000;

/**
 * CPU time of this process in ms: wall time would make a loaded machine look like a big deployment.
 * Costly to read: process.cpuUsage() is getrusage() over every thread of the process, and took
 * 1.1 ms of wall time per call on average in the app on a busy 2-vCPU VM (630 calls, max 40 ms),
 * more than a whole small render. {@link RenderCache.remember} reads it only where it can matter.
 */
function cpuMillis(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Bodies shorter than this go out uncompressed (@fastify/compress's default threshold). */
export const GZIP_MIN_BYTES = 1024;
/**
 * zlib level of cached gzip bodies: level 3 costs about half of the default 6 on render JSON for
 * ~15 % more bytes, and every fresh render pays it once. Measured on the api bench's bodies (CPU
 * per gzip, size; levels 1 / 3 / 6): 150 processes (155 kB) 0.55 / 0.63 / 1.29 ms, 8.9 / 7.6 /
 * 6.4 kB; 530 processes (547 kB) 1.2 / 1.0 / 3.0 ms, 30 / 25 / 21 kB; 55 containers (80 kB)
 * 0.13 / 0.18 / 0.37 ms, 2.4 / 2.3 / 2.1 kB. Level 1 saves at most ~0.1 ms and sends up to a
 * fifth more; 4 and up cost twice as much for a few percent fewer bytes.
 */
const GZIP_LEVEL = 3;

/** Most keys whose render costs are remembered by {@link RenderCache.recent} (oldest forgotten first). */
const MAX_RECENT_KEYS = 512;

/** The last render of one key: served stale (bounded) while it is young, then dropped. */
interface Recent {
  report: Report;
  value: unknown;
  /** `performance.now()` when computed. */
  atMillis: number;
  refreshing: boolean;
}

/** CPU cost of a key's last two renders: whether it is expensive enough to serve stale. */
interface RecentCost {
  costMillis: number;
  previousCostMillis: number;
}

/** What was rendered; `raw` is the encoded report of `GET /api/report`, `json` a serialised render. */
export type RenderKind = 'list' | 'topology' | 'node' | 'raw' | 'json';

export class RenderCache {
  private readonly byReport = new WeakMap<Report, Map<string, unknown>>();
  /** Serialised diffs by (previous render, next render): viewers that saw the same renders share them. */
  private readonly diffs = new WeakMap<object, WeakMap<object, string>>();
  private readonly firsts = new WeakMap<object, string>();
  /** gzip of each served body, so viewers of one render share one compression. */
  private readonly gzips = new WeakMap<Buffer, Buffer>();

  /**
   * The last value computed per key whose render was costly enough to be served stale, whatever
   * its report (see {@link RenderCache.recent}), in the order computed. Entries older than
   * {@link RECENT_MAX_AGE_MILLIS} are never served and are dropped, so that no render pins a
   * merged report (which can be hundreds of MB) beyond that.
   */
  private readonly recents = new Map<string, Recent>();
  /** Render costs per key, kept longer than the values (small; bounded by {@link MAX_RECENT_KEYS}). */
  private readonly costs = new Map<string, RecentCost>();

  constructor(private readonly metrics: AppMetrics) {}

  /**
   * Like {@link RenderCache.get}, with bounded staleness for expensive renders (hundreds of
   * probes): while the last value for this key is younger than {@link RECENT_MAX_AGE_MILLIS} and
   * cost at least {@link RECENT_MIN_COST_MILLIS} twice running, it is served even if `report` is
   * newer, and recomputed for the newest report after the request — at most once per
   * {@link RECENT_INTERVAL_PER_COST}× its cost (≤ {@link RECENT_MAX_INTERVAL_MILLIS}), so renders
   * take a bounded share of a core however often reports arrive, and requests do not wait for
   * them. Cheap renders (any small deployment, every test) are always fresh.
   */
  recent<T>(report: Report, kind: RenderKind, key: string, compute: (report: Report) => T): T {
    const fullKey = `${kind}\u0000${key}`;
    const hit = this.byReport.get(report);
    if (hit?.has(fullKey)) return hit.get(fullKey) as T;
    this.dropOldRecents();
    const last = this.recents.get(fullKey);
    if (last !== undefined && last.report !== report && !last.refreshing) {
      const servable = this.servableStale(fullKey, last);
      if (servable !== undefined) {
        if (servable.refreshDue) {
          last.refreshing = true;
          setImmediate(() => {
            last.refreshing = false;
            // A newer report may have been rendered meanwhile; `get` then returns it.
            this.remember(fullKey, report, kind, key, compute);
          });
        }
        return last.value as T;
      }
    }
    if (last?.refreshing === true) return last.value as T;
    return this.remember(fullKey, report, kind, key, compute);
  }

  /**
   * The value {@link RenderCache.recent} would serve for this key now whatever the newest report
   * is, while no refresh of it is due; undefined otherwise (then call `recent` with the newest
   * report). Lets a request skip asking the collector for a merge that the answer would not use:
   * at 500 probes a window merge costs ~150 ms of CPU, and a third to a half of them fed no render
   * because the costly render was served stale anyway.
   */
  servedWithoutReport<T>(kind: RenderKind, key: string): T | undefined {
    const fullKey = `${kind}\u0000${key}`;
    this.dropOldRecents();
    const last = this.recents.get(fullKey);
    if (last === undefined) return undefined;
    // A refresh is queued: `recent` serves this value until it has run, whatever the report.
    if (last.refreshing) return last.value as T;
    const servable = this.servableStale(fullKey, last);
    return servable !== undefined && !servable.refreshDue ? (last.value as T) : undefined;
  }

  /**
   * Whether `last` (this key's recent value) may be served for a newer report: its key's renders
   * were costly twice running and it is younger than {@link RECENT_MAX_AGE_MILLIS}; `refreshDue`
   * once its refresh interval has passed. Undefined when it must not be served for a newer report.
   */
  private servableStale(fullKey: string, last: Recent): { refreshDue: boolean } | undefined {
    const cost = this.costs.get(fullKey);
    if (cost === undefined) return undefined;
    const costMillis = Math.min(cost.costMillis, cost.previousCostMillis);
    const ageMillis = performance.now() - last.atMillis;
    if (costMillis < RECENT_MIN_COST_MILLIS || ageMillis >= RECENT_MAX_AGE_MILLIS) return undefined;
    const intervalMillis = Math.min(RECENT_MAX_INTERVAL_MILLIS, costMillis * RECENT_INTERVAL_PER_COST);
    return { refreshDue: ageMillis >= intervalMillis };
  }

  /** Drops every remembered value, so the next {@link RenderCache.recent} call renders afresh (shortcut reports). */
  forgetRecent(): void {
    // Their costs stay known; only their values go. A refresh already queued still runs and
    // renders the newest report, which is what the shortcut asks for.
    this.recents.clear();
  }

  /** Drops the values too old to be served (the map is in the order computed, oldest first). */
  private dropOldRecents(): void {
    const oldest = performance.now() - RECENT_MAX_AGE_MILLIS;
    for (const [key, r] of this.recents) {
      if (r.atMillis >= oldest) break;
      if (!r.refreshing) this.recents.delete(key);
    }
  }

  private remember<T>(fullKey: string, report: Report, kind: RenderKind, key: string, compute: (report: Report) => T): T {
    const cached = this.byReport.get(report);
    const known = cached?.has(fullKey) === true;
    const previous = this.costs.get(fullKey);
    // A render's cost only matters once it nears RECENT_MIN_COST_MILLIS. CPU time is read (see
    // cpuMillis) when this key's last render came within a quarter of that; otherwise the cost is
    // the wall time, which bounds the main thread's CPU time from above: enough to call a render
    // cheap, and a render that turns expensive is timed in CPU from its next render on (staleness
    // needs two expensive renders in a row, the later one CPU-timed).
    const timeCpu = previous !== undefined && previous.costMillis >= RECENT_MIN_COST_MILLIS / 4;
    const startedWall = performance.now();
    const startedCpu = timeCpu ? cpuMillis() : 0;
    const value = this.get(report, kind, key, () => compute(report));
    if (known) return value;
    const now = performance.now();
    const costMillis = timeCpu ? cpuMillis() - startedCpu : now - startedWall;
    this.costs.delete(fullKey);
    if (this.costs.size >= MAX_RECENT_KEYS) {
      const oldest = this.costs.keys().next().value;
      if (oldest !== undefined) this.costs.delete(oldest);
    }
    this.costs.set(fullKey, { costMillis, previousCostMillis: previous?.costMillis ?? 0 });
    this.recents.delete(fullKey);
    // Only a value that may be served stale is kept: a cheap render (every small deployment) kept
    // here held it and its merged report for RECENT_MAX_AGE_MILLIS after its view was last asked
    // for, beyond the next report (and through young-generation GCs) for no use.
    if (costMillis >= RECENT_MIN_COST_MILLIS) {
      this.recents.set(fullKey, { report, value, atMillis: now, refreshing: false });
    }
    this.dropOldRecents();
    return value;
  }

  /** `compute()`'s result for this key, computed at most once per report (timed into `/metrics`). */
  get<T>(report: Report, kind: RenderKind, key: string, compute: () => T): T {
    let entries = this.byReport.get(report);
    if (!entries) {
      entries = new Map();
      this.byReport.set(report, entries);
    }
    const fullKey = `${kind}\u0000${key}`;
    if (entries.has(fullKey)) return entries.get(fullKey) as T;
    const stop = this.metrics.renderSeconds.startTimer({ kind });
    const value = compute();
    stop();
    if (entries.size >= MAX_ENTRIES_PER_REPORT) {
      const oldest = entries.keys().next().value;
      if (oldest !== undefined) entries.delete(oldest);
    }
    entries.set(fullKey, value);
    return value;
  }

  /** What {@link RenderCache.get} holds for this key and report, computing nothing. */
  peek<T>(report: Report, kind: RenderKind, key: string): T | undefined {
    return this.byReport.get(report)?.get(`${kind}\u0000${key}`) as T | undefined;
  }

  /** `body` gzip-compressed, once per body object (bodies are cached renders, never mutated). */
  gzipped(body: Buffer): Buffer {
    let out = this.gzips.get(body);
    if (out === undefined) {
      out = gzipSync(body, { level: GZIP_LEVEL });
      this.gzips.set(body, out);
    }
    return out;
  }

  /**
   * `compute()`'s result for the transition from render `prev` (undefined = first message) to
   * render `next`, computed once however many viewers make the same transition.
   */
  diff(prev: object | undefined, next: object, compute: () => string): string {
    if (prev === undefined) {
      let text = this.firsts.get(next);
      if (text === undefined) {
        text = compute();
        this.firsts.set(next, text);
      }
      return text;
    }
    let byNext = this.diffs.get(prev);
    if (!byNext) {
      byNext = new WeakMap();
      this.diffs.set(prev, byNext);
    }
    let text = byNext.get(next);
    if (text === undefined) {
      text = compute();
      byNext.set(next, text);
    }
    return text;
  }
}

/** A stable cache key for a query: sorted `key=value` pairs. */
export function queryKey(query: Readonly<Record<string, string>>): string {
  return Object.keys(query)
    .sort()
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(query[k] ?? '')}`)
    .join('&');
}
