/**
 * The shared core of the collectors that keep history (`file://`, `redis://`): "now" is served by
 * an in-memory window (the {@link MemoryCollector}), older times (`timestamp=`, app §1.14) by a
 * {@link HistoryStore} that returns the stored reports that arrived within the window ending then.
 */
import { promisify } from 'node:util';
import { gunzip, inflate, inflateRaw } from 'node:zlib';
import { decodeReport, encodeReport } from '../../report/codec/index.js';
import { removePartMergedNodes } from '../../report/delta.js';
import { mergeReportInto } from '../../report/merge.js';
import { makeReport } from '../../report/model.js';
import { upgradeReport } from '../../report/upgrade.js';
import type { Report } from '../../report/types.js';
import { ChangeIndex } from './change-index.js';
import { MemoryCollector } from './memory.js';
import type { Collector, CollectorListener, CollectorObserver, HistorySummary, ReceivedBody } from './types.js';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);
const inflateRawAsync = promisify(inflateRaw);

/**
 * A report's uncompressed bytes for storing: the body as the probe sent it, decompressed on the
 * libuv pool (no encoding on the event loop); `report` is encoded only when no body is given.
 * The result is msgpack or JSON (wire §4.1); {@link decodeStoredReport} tells which.
 */
export async function storableBytes(report: Report, received?: ReceivedBody): Promise<Uint8Array> {
  if (!received) return encodeReport(report, 'msgpack');
  const b = received.bytes;
  const enc = received.contentEncoding.toLowerCase();
  if (enc.includes('gzip') || (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b)) return gunzipAsync(b);
  if (enc.includes('deflate')) {
    const zlibHeader = b.length >= 2 && (b[0]! & 0x0f) === 8 && ((b[0]! << 8) | b[1]!) % 31 === 0;
    return zlibHeader ? inflateAsync(b) : inflateRawAsync(b);
  }
  return b;
}

/** Whether stored bytes are JSON: a report in msgpack starts with a map marker, never `{`/space/BOM. */
function isJson(bytes: Uint8Array): boolean {
  for (const b of bytes) {
    if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d) continue;
    return b === 0x7b || b === 0xef;
  }
  return false;
}

/** Decodes stored bytes (msgpack or JSON, see {@link storableBytes}). */
export function decodeStoredReport(bytes: Uint8Array): Report {
  return decodeReport(bytes, isJson(bytes) ? 'json' : 'msgpack');
}

/** One stored report: uncompressed bytes (msgpack, or JSON as a probe sent it) and where it came from. */
export interface StoredRecord {
  /** Unique and stable for the life of the store (decoded reports are cached by it). */
  readonly key: string;
  readonly probeId: string;
  /** Arrival time at the app, in ms since the epoch. */
  readonly arrivalMillis: number;
  /** Encoded report; decoded lazily when a historic window needs it. */
  readonly bytes: Uint8Array;
}

/** Where a historic collector reads past reports from. */
export interface HistoryStore {
  /** Records with `fromMillis < arrivalMillis ≤ toMillis`, ascending by arrival. */
  range(fromMillis: number, toMillis: number): Promise<StoredRecord[]>;
  /** Arrival of the oldest stored report (ms since the epoch), undefined if none or unknown. */
  oldestMillis?(): Promise<number | undefined>;
}

/** A requested time within this many ms of now is served from the live window. */
export const LIVE_SLACK_MILLIS = 1000;

/** Options shared by the historic collectors. */
export interface HistoryCollectorOptions {
  /** Reports count for this long after arrival, in ms (Scope's `app.window`, default 15000). */
  windowMillis: number;
  /** Clock in ms since the epoch; tests pass their own. Default `Date.now`. */
  now?: () => number;
  observer?: CollectorObserver;
}

/** Merges reports the way the live window does: fresh accumulator, upgrade, drop part-merged nodes. */
export function mergeWindow(reports: readonly Report[]): Report {
  const merged = makeReport();
  for (const r of reports) mergeReportInto(merged, r);
  const upgraded = upgradeReport(merged);
  removePartMergedNodes(upgraded);
  return upgraded;
}

export abstract class HistoryCollector implements Collector {
  readonly historic = true;
  protected readonly live: MemoryCollector;
  protected readonly windowMillis: number;
  protected readonly now: () => number;
  protected readonly observer: CollectorObserver | undefined;
  /** Decoded reports of the last historic window, by record key (consecutive windows overlap). */
  private decoded = new Map<string, Report>();
  private lastHistoric: { key: string; report: Report } | undefined;
  /** Where node sets changed, for `GET /api/history`. */
  protected readonly changes = new ChangeIndex();

  protected constructor(opts: HistoryCollectorOptions) {
    this.windowMillis = opts.windowMillis;
    this.now = opts.now ?? Date.now;
    this.observer = opts.observer;
    this.live = new MemoryCollector({ windowMillis: opts.windowMillis, now: this.now, ...(opts.observer ? { observer: opts.observer } : {}) });
  }

  /** Where past reports are read from. */
  protected abstract get store(): HistoryStore;

  abstract add(probeId: string, report: Report, arrivalMillis: number, received?: ReceivedBody): Promise<void>;
  abstract close(): Promise<void>;

  async report(atMillis?: number): Promise<Report> {
    if (atMillis === undefined || !Number.isFinite(atMillis) || atMillis >= this.now() - LIVE_SLACK_MILLIS) {
      return this.live.report();
    }
    const records = await this.store.range(atMillis - this.windowMillis, atMillis);
    // Same records as last time (a paused timeline, many viewers): the same object, so renders cache.
    const key = records.length === 0 ? '' : `${records.length}:${records[0]!.key}:${records[records.length - 1]!.key}`;
    if (this.lastHistoric?.key === key) return this.lastHistoric.report;
    const started = performance.now();
    const next = new Map<string, Report>();
    const reports: Report[] = [];
    for (const rec of records) {
      let r = this.decoded.get(rec.key);
      if (r === undefined) {
        try {
          r = decodeStoredReport(rec.bytes);
        } catch (err) {
          // Stored bytes were written by us, so this means a damaged store: skip that one report.
          this.observer?.reportDropped?.(rec.probeId, err);
          continue;
        }
      }
      next.set(rec.key, r);
      reports.push(r);
    }
    this.decoded = next;
    const report = mergeWindow(reports);
    this.observer?.observeMergeSeconds((performance.now() - started) / 1000);
    this.lastHistoric = { key, report };
    return report;
  }

  hasRecentReports(): Promise<boolean> {
    return this.live.hasRecentReports();
  }

  /** The live window's reports (the history is on disk or in Redis, not listed). */
  summary(): Promise<string[]> {
    return this.live.summary();
  }

  subscribe(listener: CollectorListener): () => void {
    return this.live.subscribe(listener);
  }

  async history(fromMillis: number, toMillis: number): Promise<HistorySummary> {
    const oldest = await this.store.oldestMillis?.();
    return this.changes.summary(fromMillis, toMillis, oldest ?? null);
  }

  /** Puts one report into the live window and notes it in the change index. */
  protected async addLive(probeId: string, report: Report, arrivalMillis: number, indexMillis = arrivalMillis): Promise<void> {
    this.changes.note(probeId, report, indexMillis);
    await this.live.add(probeId, report, arrivalMillis);
  }

  /** Puts stored records of the window ending now into the live window (restart recovery). */
  protected async backfill(records: readonly StoredRecord[], liveArrivalMillis?: number): Promise<number> {
    let n = 0;
    for (const rec of records) {
      try {
        await this.addLive(rec.probeId, decodeStoredReport(rec.bytes), liveArrivalMillis ?? rec.arrivalMillis, rec.arrivalMillis);
        n++;
      } catch (err) {
        this.observer?.reportDropped?.(rec.probeId, err);
      }
    }
    return n;
  }

  protected forgetHistoricCache(): void {
    this.decoded.clear();
    this.lastHistoric = undefined;
  }
}
