/**
 * Memoises renders per (merged report, what, query) so that many viewers between two report
 * arrivals cost one render. Keyed by the report object's identity: collectors return the same
 * object until their content changes, and a WeakMap lets old reports' renders go with them.
 */
import type { Report } from '../report/types.js';
import type { AppMetrics } from './metrics.js';

/** Entries kept per report before the oldest are dropped (bounds memory under odd query mixes). */
const MAX_ENTRIES_PER_REPORT = 256;

/** What was rendered; `raw` is the encoded report of `GET /api/report`, `json` a serialised render. */
export type RenderKind = 'list' | 'topology' | 'node' | 'raw' | 'json';

export class RenderCache {
  private readonly byReport = new WeakMap<Report, Map<string, unknown>>();
  /** Serialised diffs by (previous render, next render): viewers that saw the same renders share them. */
  private readonly diffs = new WeakMap<object, WeakMap<object, string>>();
  private readonly firsts = new WeakMap<object, string>();

  constructor(private readonly metrics: AppMetrics) {}

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
