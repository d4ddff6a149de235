/**
 * The in-memory collector (Scope's `local`, app §1.14): keeps every report that arrived within the
 * last window and serves their merge. The merge is cached until a report arrives or the oldest one
 * leaves the window, so many readers between two probe publishes cost one merge.
 */
import { makeReport } from '../../report/model.js';
import { removePartMergedNodes } from '../../report/delta.js';
import { mergeReportInto } from '../../report/merge.js';
import { upgradeReport } from '../../report/upgrade.js';
import { TOPOLOGIES, type Report } from '../../report/types.js';
import type { Collector, CollectorListener, CollectorObserver } from './types.js';

/** Options of {@link MemoryCollector}. */
export interface MemoryCollectorOptions {
  /** Reports count for this long after arrival, in milliseconds (Scope's `app.window`, default 15000). */
  windowMillis: number;
  /** Clock in milliseconds since the epoch; tests pass their own. Default `Date.now`. */
  now?: () => number;
  observer?: CollectorObserver;
}

interface Entry {
  readonly probeId: string;
  readonly report: Report;
  readonly arrivalMillis: number;
}

export class MemoryCollector implements Collector {
  readonly historic = false;
  private readonly windowMillis: number;
  private readonly now: () => number;
  private readonly observer: CollectorObserver | undefined;
  /** Ascending by arrival time (arrivals are appended; out-of-order ones inserted). */
  private entries: Entry[] = [];
  private cached: Report | undefined;
  private readonly listeners = new Set<CollectorListener>();
  private closed = false;

  constructor(opts: MemoryCollectorOptions) {
    this.windowMillis = opts.windowMillis;
    this.now = opts.now ?? Date.now;
    this.observer = opts.observer;
  }

  async add(probeId: string, report: Report, arrivalMillis: number): Promise<void> {
    if (this.closed) throw new Error('collector is closed');
    const entry = { probeId, report, arrivalMillis };
    let i = this.entries.length;
    while (i > 0 && this.entries[i - 1]!.arrivalMillis > arrivalMillis) i--;
    this.entries.splice(i, 0, entry);
    this.cached = undefined;
    this.expire(this.now());
    const change = { shortcut: report.shortcut };
    for (const listener of this.listeners) listener(change);
  }

  async report(_atMillis?: number): Promise<Report> {
    this.expire(this.now());
    this.cached ??= this.merge();
    return this.cached;
  }

  async hasRecentReports(): Promise<boolean> {
    this.expire(this.now());
    return this.entries.length > 0;
  }

  async summary(): Promise<string[]> {
    this.expire(this.now());
    return this.entries.map(({ probeId, report, arrivalMillis }) => {
      const counts = TOPOLOGIES.filter(({ name }) => report.topologies[name].nodes.size > 0)
        .map(({ wire, name }) => `${wire}: ${report.topologies[name].nodes.size}`)
        .join(', ');
      const kind = report.shortcut ? 'shortcut report' : 'report';
      return `${stampOf(arrivalMillis)}: ${kind} from probe ${probeId || '(unknown)'}: ${counts || 'no nodes'}`;
    });
  }

  subscribe(listener: CollectorListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.entries = [];
    this.cached = undefined;
    this.listeners.clear();
  }

  /** Drops reports that arrived before `nowMillis − window`; invalidates the cache if any went. */
  private expire(nowMillis: number): void {
    const cutoff = nowMillis - this.windowMillis;
    let n = 0;
    while (n < this.entries.length && this.entries[n]!.arrivalMillis < cutoff) n++;
    if (n > 0) {
      this.entries.splice(0, n);
      this.cached = undefined;
    }
  }

  private merge(): Report {
    const started = performance.now();
    for (;;) {
      // Merge into a fresh report so stored reports stay untouched (merging copies what it takes).
      const merged = makeReport();
      let failed: Entry | undefined;
      for (const entry of this.entries) {
        try {
          mergeReportInto(merged, entry.report);
        } catch (err) {
          // Decoded reports are typed, so this "cannot happen"; if it does, the culprit goes and
          // the merge starts over (the accumulator may be half-written).
          failed = entry;
          this.observer?.reportDropped?.(entry.probeId, err);
          break;
        }
      }
      if (failed !== undefined) {
        this.entries.splice(this.entries.indexOf(failed), 1);
        continue;
      }
      const upgraded = upgradeReport(merged);
      removePartMergedNodes(upgraded);
      this.observer?.observeMergeSeconds((performance.now() - started) / 1000);
      return upgraded;
    }
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's `Jan _2 15:04:05.000` in UTC, as Scope's summary lines start. */
function stampOf(millis: number): string {
  const d = new Date(millis);
  const day = String(d.getUTCDate()).padStart(2, ' ');
  return `${MONTHS[d.getUTCMonth()]} ${day} ${d.toISOString().slice(11, 23)}`;
}
