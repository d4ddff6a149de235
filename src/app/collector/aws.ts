/**
 * The DynamoDB + S3 collector (`--app.collector=dynamodb://…` with `--app.collector.s3=s3://…`,
 * wire §1.6, issue #9): every report a replica receives goes to S3 (compressed, content-addressed)
 * and into a DynamoDB index by time bucket (see aws-store.ts). Each replica polls the index for the
 * current window and folds reports other replicas stored into its own in-memory window, so every
 * replica on one table + bucket serves the same topology; `timestamp=` reads the index for the
 * window ending then (one or two bounded queries) and fetches bodies through an LRU cache.
 *
 * Acknowledgement: `add()` resolves once the report is in S3 and DynamoDB, so an acknowledged
 * `POST /api/report` is durable. When AWS is already known to be failing, or the write takes longer
 * than `writeDeadlineMillis`, the report goes to a bounded in-memory queue (retried with backoff,
 * written in order) and `add()` resolves anyway: a probe never re-sends a refused report, so
 * refusing would lose it for certain, while queueing loses it only if this process dies before AWS
 * returns (or the queue overflows, oldest first, logged). `close()` drains the queue (bounded wait).
 */
import { randomBytes } from 'node:crypto';
import { Backoff, sleep } from '../../common/backoff.js';
import { LogOnce, type Logger } from '../../common/log.js';
import type { Report } from '../../report/types.js';
// The SDK is loaded only when this collector is used (it weighs on every app's start otherwise).
import type { AwsReportStore, IndexItem, PendingWrite } from './aws-store.js';
import { parseAwsUrl, type AwsTarget } from './aws-url.js';
import { ChangeIndex } from './change-index.js';
import { decodeStoredReport, mergeWindow, storableBytes } from './history.js';
import { MemoryCollector } from './memory.js';
import type { Collector, CollectorListener, CollectorObserver, HistorySummary, ReceivedBody } from './types.js';

/** Options of {@link AwsCollector}; durations in ms. */
export interface AwsCollectorOptions {
  /** `dynamodb://[key:secret@]<region-or-host>/<table>`. */
  dynamoUrl: string;
  /** `s3://[key:secret@]<region-or-host>/<bucket>`. */
  s3Url: string;
  /** Reports count for this long after arrival (Scope's `app.window`, default 15000). */
  windowMillis: number;
  /** Create the table and bucket when missing (`--app.aws.create.tables`). Default false. */
  createTables?: boolean;
  /** Index TTL and S3 lifecycle set at creation. Default 24 h. */
  retentionMillis?: number;
  /** How often the index is polled for other replicas' reports. Default 1000. */
  pollMillis?: number;
  /** Longest wait for a write before acknowledging from the retry queue. Default 5000. */
  writeDeadlineMillis?: number;
  /** Most bytes (compressed bodies) queued while AWS fails, oldest dropped first. Default 64 MiB. */
  maxQueueBytes?: number;
  /** Most decompressed bodies kept in the LRU cache, in bytes. Default 64 MiB. */
  cacheBytes?: number;
  /** Longest wait in close() for the queue to drain. Default 5000. */
  drainMillis?: number;
  /** Environment for `AWS_REGION` (tests pass their own). Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  now?: () => number;
  observer?: CollectorObserver;
  logger?: Logger;
}

/** A requested time within this many ms of now is served from the live window. */
const LIVE_SLACK_MILLIS = 1000;
/** A historic index read is reused for the same time for this long (a paused timeline, many viewers). */
const HISTORIC_REUSE_MILLIS = 2000;
/** Reports stamped this far ahead of our clock (another replica's clock) are still read, in ms. */
const CLOCK_SKEW_MILLIS = 1000;
/** Bodies fetched at once from S3. */
const FETCH_PARALLELISM = 8;

/** Least-recently-used map of decompressed bodies, bounded by total bytes. */
class BodyCache {
  private readonly map = new Map<string, Uint8Array>();
  private bytes = 0;
  constructor(private readonly maxBytes: number) {}
  get(key: string): Uint8Array | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: string, v: Uint8Array): void {
    if (this.map.has(key) || v.length > this.maxBytes) return;
    this.map.set(key, v);
    this.bytes += v.length;
    for (const [k, old] of this.map) {
      if (this.bytes <= this.maxBytes) break;
      this.map.delete(k);
      this.bytes -= old.length;
    }
  }
}

export class AwsCollector implements Collector {
  readonly historic = true;
  /** This process's id in index items: its own reports are in its window already. */
  readonly replicaId = randomBytes(8).toString('hex');
  private readonly live: MemoryCollector;
  private store!: AwsReportStore;
  private prepare!: typeof import('./aws-store.js').prepareWrite;
  private readonly targets: { dynamo: AwsTarget; s3: AwsTarget; retentionMillis: number };
  private readonly windowMillis: number;
  private readonly pollMillis: number;
  private readonly writeDeadlineMillis: number;
  private readonly maxQueueBytes: number;
  private readonly drainMillis: number;
  private readonly createTables: boolean;
  private readonly now: () => number;
  private readonly observer: CollectorObserver | undefined;
  private readonly logger: Logger | undefined;
  private readonly logOnce: LogOnce | undefined;
  private readonly cache: BodyCache;
  /** Index keys of the reports in the live window (own and polled), with their arrival. */
  private readonly seen = new Map<string, number>();
  private queue: PendingWrite[] = [];
  private queueBytes = 0;
  private flushing: Promise<void> | undefined;
  private writeFailing = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private decoded = new Map<string, Report>();
  private lastHistoric: { key: string; report: Report } | undefined;
  private lastRange: { atMillis: number; fetchedMillis: number; items: IndexItem[] } | undefined;
  /** Where node sets changed, for `GET /api/history` (the reports this replica saw). */
  private readonly changes = new ChangeIndex();
  /** Arrival of the oldest stored report, from the table's marker item. */
  private oldestMillis: number | undefined;
  private readonly retentionMillis: number;
  private closed = false;
  private readonly abort = new AbortController();
  private readonly started: Promise<void>;

  constructor(opts: AwsCollectorOptions) {
    const env = opts.env ?? process.env;
    const retentionMillis = opts.retentionMillis ?? 24 * 3_600_000;
    // Parsed now, so a malformed URL fails at construction like the other collectors' settings.
    this.targets = { dynamo: parseAwsUrl(opts.dynamoUrl, 'dynamodb', env), s3: parseAwsUrl(opts.s3Url, 's3', env), retentionMillis };
    this.retentionMillis = retentionMillis;
    this.windowMillis = opts.windowMillis;
    this.pollMillis = opts.pollMillis ?? 1000;
    this.writeDeadlineMillis = opts.writeDeadlineMillis ?? 5000;
    this.maxQueueBytes = opts.maxQueueBytes ?? 64 * 1024 * 1024;
    this.drainMillis = opts.drainMillis ?? 5000;
    this.createTables = opts.createTables ?? false;
    this.now = opts.now ?? Date.now;
    this.observer = opts.observer;
    this.logger = opts.logger;
    this.logOnce = opts.logger ? new LogOnce(opts.logger) : undefined;
    this.cache = new BodyCache(opts.cacheBytes ?? 64 * 1024 * 1024);
    this.live = new MemoryCollector({ windowMillis: opts.windowMillis, now: this.now, ...(opts.observer ? { observer: opts.observer } : {}) });
    this.started = this.start();
    this.started.catch(() => undefined); // surfaced by ready()
  }

  /** Resolves once table and bucket answer and the current window is loaded; {@link AppConfigError} otherwise. */
  ready(): Promise<void> {
    return this.started;
  }

  private async start(): Promise<void> {
    const mod = await import('./aws-store.js');
    this.prepare = mod.prepareWrite;
    this.store = new mod.AwsReportStore(this.targets.dynamo, this.targets.s3, this.targets.retentionMillis);
    try {
      if (this.createTables) await this.store.create();
      await this.store.check();
    } catch (err) {
      this.closed = true;
      this.store.close();
      throw err;
    }
    this.oldestMillis = await this.store.oldest().catch(() => undefined);
    await this.poll();
    this.logger?.info({ table: this.store.table, bucket: this.store.bucket, reports: this.seen.size }, 'aws collector: loaded the last window');
    this.schedulePoll(this.pollMillis);
  }

  async add(probeId: string, report: Report, arrivalMillis: number, received?: ReceivedBody): Promise<void> {
    if (this.closed) throw new Error('collector is closed');
    await this.started;
    // The body as received (decompressed, not re-encoded): msgpack, or JSON if the probe sent JSON.
    const w = await this.prepare(probeId, arrivalMillis, this.replicaId, await storableBytes(report, received));
    this.seen.set(w.item.sk, arrivalMillis);
    this.changes.note(probeId, report, arrivalMillis);
    await this.live.add(probeId, report, arrivalMillis);
    if (this.oldestMillis === undefined) {
      this.oldestMillis = arrivalMillis;
      void this.store.markOldest(arrivalMillis).catch(() => undefined);
    }
    if (this.writeFailing || this.queue.length > 0) {
      this.enqueue(w);
      return;
    }
    const write = this.store.write(w);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), this.writeDeadlineMillis)));
    try {
      const outcome = await Promise.race([write, deadline]);
      // Late: the queue writes it again (same keys, so a second write is harmless).
      if (outcome === 'late') {
        write.catch(() => undefined);
        this.writeFailed(new Error(`write took longer than ${this.writeDeadlineMillis} ms`));
        this.enqueue(w);
      }
    } catch (err) {
      this.writeFailed(err);
      this.enqueue(w);
    } finally {
      clearTimeout(timer);
    }
  }

  private writeFailed(err: unknown): void {
    this.writeFailing = true;
    this.logOnce?.fail('aws write', err, 'aws collector: cannot store reports; serving what this replica has, queueing and retrying');
  }

  private enqueue(w: PendingWrite): void {
    this.queue.push(w);
    this.queueBytes += w.body.length;
    let dropped = 0;
    while (this.queueBytes > this.maxQueueBytes && this.queue.length > 1) {
      this.queueBytes -= this.queue.shift()!.body.length;
      dropped++;
    }
    if (dropped > 0) this.logger?.error({ dropped, queued: this.queue.length }, 'aws collector: retry queue full, oldest reports dropped');
    this.flushing ??= this.flush().finally(() => (this.flushing = undefined));
  }

  /** Writes queued reports in order, backing off while AWS fails. */
  private async flush(): Promise<void> {
    const backoff = new Backoff({ initialMillis: 250, maxMillis: 10_000 });
    while (this.queue.length > 0 && !this.abort.signal.aborted) {
      const w = this.queue[0]!;
      try {
        await this.store.write(w);
        if (this.queue[0] === w) {
          this.queue.shift();
          this.queueBytes -= w.body.length;
        }
        backoff.reset();
      } catch (err) {
        this.writeFailed(err);
        await sleep(backoff.next(), this.abort.signal);
      }
    }
    if (this.queue.length === 0 && this.writeFailing) {
      this.writeFailing = false;
      this.logOnce?.ok('aws write', 'aws collector: storing reports again');
    }
  }

  private schedulePoll(delayMillis: number): void {
    if (this.closed) return;
    this.pollTimer = setTimeout(() => {
      this.polling = this.poll().then(
        () => this.schedulePoll(this.pollMillis),
        () => this.schedulePoll(Math.min(this.pollMillis * 5, 10_000)),
      );
    }, delayMillis);
    this.pollTimer.unref();
  }

  /** Folds reports other replicas stored in the current window into this one's live window. */
  private async poll(): Promise<void> {
    const now = this.now();
    let items: IndexItem[];
    try {
      items = await this.store.range(now - this.windowMillis, now + CLOCK_SKEW_MILLIS);
      this.logOnce?.ok('aws poll', 'aws collector: reading the index again');
    } catch (err) {
      this.logOnce?.fail('aws poll', err, 'aws collector: cannot read the index; serving what this replica has, retrying');
      throw err;
    }
    const fresh = items.filter((it) => !this.seen.has(it.sk));
    const bodies = await this.bodies(fresh);
    for (const it of fresh) {
      const bytes = bodies.get(it.objectKey);
      if (bytes === undefined) continue; // fetch failed: tried again next poll
      this.seen.set(it.sk, it.arrivalMillis);
      try {
        const report = decodeStoredReport(bytes);
        this.changes.note(it.probeId, report, it.arrivalMillis);
        await this.live.add(it.probeId, report, it.arrivalMillis);
      } catch (err) {
        this.observer?.reportDropped?.(it.probeId, err);
      }
    }
    const cutoff = now - this.windowMillis - 60_000;
    for (const [sk, arrival] of this.seen) if (arrival < cutoff) this.seen.delete(sk);
  }

  /** Bodies of `items` (cache first, then S3, a few at a time); failed fetches are left out. */
  private async bodies(items: readonly IndexItem[]): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    const missing = [...new Set(items.map((it) => it.objectKey))].filter((k) => {
      const hit = this.cache.get(k);
      if (hit) out.set(k, hit);
      return !hit;
    });
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < missing.length) {
        const key = missing[next++]!;
        try {
          const bytes = await this.store.body(key);
          this.cache.set(key, bytes);
          out.set(key, bytes);
        } catch (err) {
          this.logOnce?.fail('aws fetch', err, 'aws collector: cannot fetch report bodies from S3; retrying');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(FETCH_PARALLELISM, missing.length) }, worker));
    return out;
  }

  async report(atMillis?: number): Promise<Report> {
    const now = this.now();
    if (atMillis === undefined || !Number.isFinite(atMillis) || atMillis >= now - LIVE_SLACK_MILLIS) return this.live.report();
    await this.started;
    let items: IndexItem[];
    if (this.lastRange?.atMillis === atMillis && now - this.lastRange.fetchedMillis < HISTORIC_REUSE_MILLIS) {
      items = this.lastRange.items;
    } else {
      try {
        items = await this.store.range(atMillis - this.windowMillis, atMillis);
      } catch (err) {
        this.logOnce?.fail('aws poll', err, 'aws collector: cannot read the index; serving what this replica has, retrying');
        // Keep serving: the last historic answer if there is one, else an empty past.
        return this.lastHistoric?.report ?? mergeWindow([]);
      }
      this.lastRange = { atMillis, fetchedMillis: now, items };
    }
    const key = items.length === 0 ? '' : `${items.length}:${items[0]!.sk}:${items[items.length - 1]!.sk}`;
    if (this.lastHistoric?.key === key) return this.lastHistoric.report;
    const started = performance.now();
    const bodies = await this.bodies(items.filter((it) => !this.decoded.has(it.sk)));
    const next = new Map<string, Report>();
    const reports: Report[] = [];
    for (const it of items) {
      let r = this.decoded.get(it.sk);
      if (r === undefined) {
        const bytes = bodies.get(it.objectKey);
        if (bytes === undefined) continue;
        try {
          r = decodeStoredReport(bytes);
        } catch (err) {
          this.observer?.reportDropped?.(it.probeId, err);
          continue;
        }
      }
      next.set(it.sk, r);
      reports.push(r);
    }
    this.decoded = next;
    const report = mergeWindow(reports);
    this.observer?.observeMergeSeconds((performance.now() - started) / 1000);
    // A window with a body missing (S3 hiccup) is not cached, so the next request tries again.
    if (reports.length === items.length) this.lastHistoric = { key, report };
    return report;
  }

  /** Changes this replica saw (since it started, and the window it loaded), for the UI's timeline. */
  async history(fromMillis: number, toMillis: number): Promise<HistorySummary> {
    // Another replica may have stored the first report since this one started.
    if (this.oldestMillis === undefined) this.oldestMillis = await this.store.oldest().catch(() => undefined);
    // Expired index items are gone (TTL), whatever the marker says.
    const oldest = this.oldestMillis === undefined ? null : Math.max(this.oldestMillis, this.now() - this.retentionMillis);
    return this.changes.summary(fromMillis, toMillis, oldest);
  }

  hasRecentReports(): Promise<boolean> {
    return this.live.hasRecentReports();
  }

  summary(): Promise<string[]> {
    return this.live.summary();
  }

  subscribe(listener: CollectorListener): () => void {
    return this.live.subscribe(listener);
  }

  /** Reports still waiting to be written (for tests and operators). */
  get queued(): number {
    return this.queue.length;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.pollTimer);
    await this.started.catch(() => undefined);
    await this.polling?.catch(() => undefined);
    if (this.flushing) {
      const timer = setTimeout(() => this.abort.abort(), this.drainMillis);
      await this.flushing;
      clearTimeout(timer);
    }
    this.abort.abort();
    if (this.queue.length > 0) this.logger?.error({ lost: this.queue.length }, 'aws collector: AWS still failing at shutdown; queued reports lost');
    this.store?.close();
    await this.live.close();
  }
}
