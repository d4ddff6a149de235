/**
 * The Redis collector (`--app.collector=redis://host:port/db`, issue #8): every report any replica
 * receives is appended to one Redis stream as the probe sent it (gzip; re-encoded only when it came
 * uncompressed), with stream id = Redis time in ms. Every replica tails the stream into its own
 * in-memory window, so all replicas behind one Service serve the same topology. Closed chunks of
 * time are compacted into a second stream (redis-compact.ts: a chunk's reports brotli-compressed
 * together), kept for the retention; time travel reads chunks below the watermark, raw entries above.
 *
 * Writes are batched: reports arriving within {@link WRITE_BATCH_MILLIS} go to Redis as one
 * pipeline (one socket write and one reply read instead of one round trip each: at 500 probes the
 * round trips, not the bytes, were most of what Redis cost the app), and the tail reads at most
 * every {@link TAIL_PAUSE_MILLIS}, so each read brings many entries rather than one.
 *
 * Redis down: the replica keeps serving what it has and its own probes' reports, logs once,
 * reconnects (ioredis), and then appends what arrived meanwhile (bounded backlog), so no report
 * accepted while Redis was up is lost, and few accepted while it was down.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { Redis } from 'ioredis';
import type { Logger } from '../../common/log.js';
import { AppConfigError } from '../config.js';
import type { Report } from '../../report/types.js';
import { HistoryCollector, storableBytes, type HistoryCollectorOptions, type HistoryStore, type StoredRecord } from './history.js';
import { compactOnce, lazyRecordOfEntry, recordOfEntry, recordsOfChunk, redisKeys, watermarkMillis, type CompactOptions, type RedisKeys } from './redis-compact.js';
import { parseRange, parseTailOthers, TAIL_OTHERS_LUA, type StreamEntry } from './redis-stream.js';
import type { ReceivedBody } from './types.js';

const gzipAsync = promisify(gzip);

/** Options of {@link RedisCollector}. */
export interface RedisCollectorOptions extends HistoryCollectorOptions {
  /** `redis://[user:password@]host:port/db`. */
  url: string;
  /** Reports older than this are trimmed from the stream, in ms. Default 24 h. */
  retentionMillis?: number;
  /** Key prefix shared by the replicas of one deployment. Default `openscope:`. */
  keyPrefix?: string;
  /** Most reports kept while Redis is unreachable, oldest dropped first. Default 10000. */
  maxBacklog?: number;
  /** Most body bytes kept while Redis is unreachable, oldest dropped first. Default 256 MiB. */
  maxBacklogBytes?: number;
  /** Length of a compacted chunk of history, in ms (same on every replica). Default 60000. */
  chunkMillis?: number;
  /** How often a replica tries to compact, in ms. Default 10000. */
  compactEveryMillis?: number;
  /** Uncompressed bytes per part of a compacted chunk (redis-compact.ts). Default 32 MiB. */
  chunkPartBytes?: number;
  logger?: Logger;
}

/** Longest wait for one Redis command (not the blocking read), in ms. */
const COMMAND_TIMEOUT_MILLIS = 2000;
/** How long a report waits for others to share its XADD round trip, in ms (publishes are 3 s apart). */
const WRITE_BATCH_MILLIS = 25;
/** A batch this large is written at once. */
const WRITE_BATCH_MAX = 128;
/** Pause of the tail between reads (unless a read brought a full page), in ms: other replicas' reports show up this much later. */
const TAIL_PAUSE_MILLIS = 200;
/** Entries per tail read (and per backlog flush pipeline: BACKLOG_BATCH). */
const TAIL_COUNT = 1000;
const BACKLOG_BATCH = 64;
/** Retry of a backlog flush that failed while Redis stayed connected (a timed-out write), in ms. */
const FLUSH_RETRY_MILLIS = 1000;
/** Uncompressed bytes of decompressed chunk parts kept for time travel (a timeline walks neighbouring chunks). */
const CHUNK_CACHE_BYTES = 128 * 1024 * 1024;

const TAIL_OTHERS_SHA = createHash('sha1').update(TAIL_OTHERS_LUA).digest('hex');

/**
 * One report on its way to Redis: its entry's fields, and the key that marks it written. A write
 * that timed out may still have been executed by Redis; its retry must then not store the report
 * a second time (the history would count it twice), so every append goes through
 * {@link ADD_ONCE_LUA}, which adds the entry only if it can create that key.
 */
interface Outgoing {
  readonly writtenKey: string;
  readonly fields: Buffer[];
}

/** KEYS: stream, written-marker key. ARGV: marker TTL (ms), MINID, then the entry's fields. */
const ADD_ONCE_LUA = `
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[1]) then return false end
return redis.call('XADD', KEYS[1], 'MINID', '~', ARGV[2], '*', unpack(ARGV, 3))
`;
/** How long a written-marker lives, in ms: retries come within seconds, or once Redis is back after an outage. */
const WRITTEN_TTL_MILLIS = 10 * 60_000;

/** The pipeline method {@link ADD_ONCE_LUA} is defined as. */
interface AddOncePipeline {
  addOnceBuffer(stream: string, writtenKey: string, ttlMillis: number, minId: string, ...fields: Buffer[]): unknown;
}

const outgoingBytes = (o: Outgoing): number => o.fields.reduce((n, f) => n + f.length, 0);

export class RedisCollector extends HistoryCollector implements HistoryStore {
  /** This replica's id: entries it wrote are skipped by its tail (they are in its window already). */
  readonly replicaId = randomBytes(8).toString('hex');
  private readonly redis: Redis;
  private readonly reader: Redis;
  private readonly keys: RedisKeys;
  private readonly compactOpts: CompactOptions;
  private readonly chunkCache = new Map<string, { records: StoredRecord[]; bytes: number }>();
  private chunkCacheBytes = 0;
  private compactTimer: NodeJS.Timeout | undefined;
  private compacting = false;
  private readonly retentionMillis: number;
  private readonly maxBacklog: number;
  private readonly logger: Logger | undefined;
  private backlog: Outgoing[] = [];
  private backlogBytes = 0;
  private readonly maxBacklogBytes: number;
  private flushing = false;
  private flushRetry: NodeJS.Timeout | undefined;
  /** Reports waiting for the next batched write, and how to tell their add() they are stored. */
  private pending: { out: Outgoing; stored: () => void }[] = [];
  /** Number of the next report this replica writes (its written-marker). */
  private writeSeq = 0;
  private batchTimer: NodeJS.Timeout | undefined;
  private down = false;
  private closed = false;
  private lastId = '0-0';
  private tail: Promise<void> = Promise.resolve();
  private readonly started: Promise<void>;

  constructor(opts: RedisCollectorOptions) {
    super(opts);
    this.keys = redisKeys(opts.keyPrefix ?? 'openscope:');
    this.retentionMillis = opts.retentionMillis ?? 24 * 3_600_000;
    this.compactOpts = {
      keys: this.keys,
      replicaId: this.replicaId,
      chunkMillis: opts.chunkMillis ?? 60_000,
      retentionMillis: this.retentionMillis,
      rawKeepMillis: Math.max(2 * this.windowMillis, 60_000),
      ...(opts.chunkPartBytes === undefined ? {} : { partRawBytes: opts.chunkPartBytes }),
    };
    const compactEvery = opts.compactEveryMillis ?? 10_000;
    this.maxBacklog = opts.maxBacklog ?? 10_000;
    this.maxBacklogBytes = opts.maxBacklogBytes ?? 256 * 1024 * 1024;
    this.logger = opts.logger;
    const options = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt: number) => Math.min(100 * attempt, 2000),
    };
    this.redis = new Redis(opts.url, { ...options, commandTimeout: COMMAND_TIMEOUT_MILLIS });
    // ioredis sends EVAL on a connection's first use, EVALSHA after (and EVAL again on NOSCRIPT).
    this.redis.defineCommand('addOnce', { numberOfKeys: 2, lua: ADD_ONCE_LUA });
    this.reader = new Redis(opts.url, options);
    this.redis.on('error', (err: Error) => this.wentDown(err));
    this.reader.on('error', (err: Error) => this.wentDown(err));
    this.redis.on('ready', () => {
      if (this.down) {
        this.down = false;
        this.logger?.info({ backlog: this.backlog.length }, 'redis collector: Redis is back');
      }
      void this.flushBacklog();
    });
    this.started = this.start();
    this.started.catch(() => undefined);
    this.started.then(() => {
      this.compactTimer = setInterval(() => void this.compact(), compactEvery);
      this.compactTimer.unref();
    }, () => undefined);
  }

  /** Compacts every closed chunk not compacted yet (if this replica holds the lock). */
  async compact(): Promise<void> {
    if (this.compacting || this.closed || this.redis.status !== 'ready') return;
    this.compacting = true;
    try {
      while (!this.closed && (await compactOnce(this.redis, this.compactOpts)));
      this.changes.prune(this.now() - this.retentionMillis);
    } catch (err) {
      if (this.redis.status === 'ready') this.logger?.warn({ err }, 'redis collector: compaction failed (retried later)');
    } finally {
      this.compacting = false;
    }
  }

  protected get store(): HistoryStore {
    return this;
  }

  /** Resolves once connected and the last window is loaded; {@link AppConfigError} if Redis cannot be reached. */
  ready(): Promise<void> {
    return this.started;
  }

  private wentDown(err: Error): void {
    if (this.down || this.closed) return;
    this.down = true;
    this.logger?.warn({ err: err.message }, 'redis collector: Redis unreachable; serving what this replica has, reconnecting');
  }

  private async start(): Promise<void> {
    try {
      await Promise.all([this.redis.connect(), this.reader.connect()]);
    } catch (err) {
      // Unreachable at start is a configuration problem (wrong URL, no Redis): fail loudly, so an
      // orchestrator retries; once running, outages are ridden out instead.
      this.closed = true;
      this.redis.disconnect();
      this.reader.disconnect();
      throw new AppConfigError(`cannot reach Redis for the collector: ${(err as Error).message}`);
    }
    const now = this.now();
    const fromId = `${Math.max(0, Math.floor(now - this.windowMillis))}`;
    const entries = parseRange(await this.redis.callBuffer('XRANGE', this.keys.reports, fromId, '+'));
    await this.backfill(this.recordsOf(entries));
    this.lastId = entries.length > 0 ? entries[entries.length - 1]!.id : `${fromId}-0`;
    this.tail = this.runTail();
  }

  /**
   * Tails the stream: reports other replicas stored go into this replica's window. Redis filters
   * out this replica's own entries ({@link TAIL_OTHERS_LUA}), so their bodies are not read back;
   * a Lua script cannot block, so the tail polls every {@link TAIL_PAUSE_MILLIS} (what the
   * blocking read also waited after each read that found entries).
   */
  private async runTail(): Promise<void> {
    while (!this.closed) {
      let read: { lastId: string | undefined; entries: StreamEntry[] };
      try {
        read = parseTailOthers(await this.tailOthers());
      } catch {
        if (this.closed) return;
        await new Promise((r) => setTimeout(r, 500).unref());
        continue;
      }
      if (read.lastId !== undefined) this.lastId = read.lastId;
      // Into the live window as arriving now (this replica's clock); indexed at their Redis time.
      if (read.entries.length > 0) await this.backfill(this.recordsOf(read.entries), this.now());
      // Let entries gather (unless a full page came): one read per pause, not one per entry.
      if (read.lastId === undefined || read.entries.length < TAIL_COUNT) {
        if (!this.closed) await new Promise((r) => setTimeout(r, TAIL_PAUSE_MILLIS).unref());
      }
    }
  }

  /** One filtered tail read: EVALSHA, or EVAL when Redis does not have the script (yet, or after a restart). */
  private async tailOthers(): Promise<unknown> {
    const args = [1, this.keys.reports, this.lastId, TAIL_COUNT, this.replicaId];
    try {
      return await this.reader.callBuffer('EVALSHA', TAIL_OTHERS_SHA, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return this.reader.callBuffer('EVAL', TAIL_OTHERS_LUA, ...args);
    }
  }

  /** Entries → records (an entry that does not inflate is reported and skipped). */
  private recordsOf(entries: readonly StreamEntry[]): StoredRecord[] {
    const out: StoredRecord[] = [];
    for (const e of entries) {
      try {
        const rec = recordOfEntry(e);
        if (rec) out.push(rec);
      } catch (err) {
        this.observer?.reportDropped?.(e.fields.get('p')?.toString('utf8') ?? '', err);
      }
    }
    return out;
  }

  /**
   * Resolves once the report is in Redis, or (Redis down) in this replica's backlog, which is
   * written when Redis is back and on close(); the backlog is in memory, so an app killed during
   * an outage loses it.
   */
  async add(probeId: string, report: Report, arrivalMillis: number, received?: ReceivedBody): Promise<void> {
    if (this.closed) throw new Error('collector is closed');
    const b = received?.bytes;
    const asReceived = b !== undefined && b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
    // Bytes taken (or the report encoded) before the live window owns the report.
    const body = asReceived ? Buffer.from(b.buffer, b.byteOffset, b.byteLength) : await gzipAsync(await storableBytes(report, received), { level: 1 });
    await this.addLive(probeId, report, arrivalMillis);
    const fields = [Buffer.from('p'), Buffer.from(probeId, 'utf8'), Buffer.from('r'), Buffer.from(this.replicaId), Buffer.from('b'), body];
    const out: Outgoing = { writtenKey: `${this.keys.written}${this.replicaId}:${this.writeSeq++}`, fields };
    if (this.redis.status !== 'ready' || this.backlog.length > 0) {
      this.queue(out);
      return;
    }
    await new Promise<void>((stored) => {
      this.pending.push({ out, stored });
      if (this.pending.length >= WRITE_BATCH_MAX) void this.writePending();
      else this.batchTimer ??= setTimeout(() => void this.writePending(), WRITE_BATCH_MILLIS);
    });
  }

  /** Writes the waiting reports in one pipeline; those it could not write go to the backlog. */
  private async writePending(): Promise<void> {
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const results = await this.appendAll(batch.map((b) => b.out));
    for (let i = 0; i < batch.length; i++) {
      if (!results[i]) this.queue(batch[i]!.out);
      batch[i]!.stored();
    }
    if (this.backlog.length > 0) this.retryFlushSoon();
  }

  /** XADDs in one pipeline, in order; per entry whether Redis acknowledged it. */
  private async appendAll(batch: readonly Outgoing[]): Promise<boolean[]> {
    const minId = String(Math.max(0, Math.floor(this.now() - this.retentionMillis)));
    const pipeline = this.redis.pipeline();
    const adds = pipeline as unknown as AddOncePipeline;
    // A null reply (marker already there: an earlier attempt was stored) counts as written.
    for (const o of batch) adds.addOnceBuffer(this.keys.reports, o.writtenKey, WRITTEN_TTL_MILLIS, minId, ...o.fields);
    try {
      const replies = await pipeline.exec();
      return batch.map((_, i) => replies?.[i] !== undefined && replies[i][0] === null);
    } catch {
      return batch.map(() => false);
    }
  }

  /** A write failed while Redis may still be connected (timeout): no 'ready' will come to flush. */
  private retryFlushSoon(): void {
    if (this.closed || this.flushRetry !== undefined) return;
    this.flushRetry = setTimeout(() => {
      this.flushRetry = undefined;
      void this.flushBacklog();
    }, FLUSH_RETRY_MILLIS);
    this.flushRetry.unref();
  }

  private queue(out: Outgoing): void {
    this.backlog.push(out);
    this.backlogBytes += outgoingBytes(out);
    // The newest always stays: an outage keeps the most recent reports.
    while (this.backlog.length > 1 && (this.backlog.length > this.maxBacklog || this.backlogBytes > this.maxBacklogBytes)) {
      this.backlogBytes -= outgoingBytes(this.backlog.shift()!);
    }
  }

  private async flushBacklog(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.backlog.length > 0 && this.redis.status === 'ready' && !this.closed) {
        const batch = this.backlog.slice(0, BACKLOG_BATCH);
        const written = await this.appendAll(batch);
        for (let i = 0; i < batch.length; i++) {
          if (!written[i]) throw new Error('backlog write failed');
          // Unless a full backlog dropped it meanwhile.
          if (this.backlog[0] === batch[i]) this.backlogBytes -= outgoingBytes(this.backlog.shift()!);
        }
      }
    } catch {
      // Down again: the rest waits for the next 'ready'; still up (a timeout): retried soon.
      if (this.redis.status === 'ready') this.retryFlushSoon();
    } finally {
      this.flushing = false;
    }
  }

  /** Chunks below the watermark, raw entries from it on (a record is in exactly one of them). */
  async range(fromMillis: number, toMillis: number): Promise<StoredRecord[]> {
    await this.started;
    const from = Math.max(0, Math.floor(fromMillis) + 1);
    const to = Number.isFinite(toMillis) ? Math.max(0, Math.floor(toMillis)) : Number.MAX_SAFE_INTEGER;
    try {
      const wm = await watermarkMillis(this.redis, this.keys);
      const out: StoredRecord[] = [];
      if (from < wm) {
        const chunkFrom = Math.max(0, from - this.compactOpts.chunkMillis);
        const chunks = parseRange(await this.redis.callBuffer('XRANGE', this.keys.history, String(chunkFrom), String(Math.min(to, wm))));
        for (const c of chunks) {
          if (Number(c.fields.get('t')?.toString('latin1') ?? 0) <= from) continue;
          for (const rec of await this.chunkRecords(c)) {
            // Copied: a part's records share one buffer of up to ~32 MiB, which must not stay
            // alive for the few records of it this window needs.
            if (rec.arrivalMillis >= from && rec.arrivalMillis <= to && rec.arrivalMillis < wm) out.push({ ...rec, bytes: Buffer.from(rec.bytes) });
          }
        }
      }
      if (to >= wm) {
        const rawTo = Number.isFinite(toMillis) ? String(to) : '+';
        for (const e of parseRange(await this.redis.callBuffer('XRANGE', this.keys.reports, String(Math.max(from, wm)), rawTo))) {
          const rec = lazyRecordOfEntry(e);
          if (rec) out.push(rec);
        }
      }
      return out.sort((a, b) => a.arrivalMillis - b.arrivalMillis);
    } catch (err) {
      this.wentDown(err as Error);
      return [];
    }
  }

  private async chunkRecords(chunk: StreamEntry): Promise<StoredRecord[]> {
    const cached = this.chunkCache.get(chunk.id);
    if (cached) return cached.records;
    const body = chunk.fields.get('b');
    let records: StoredRecord[] = [];
    try {
      if (body) records = await recordsOfChunk(body);
    } catch (err) {
      this.observer?.reportDropped?.('', err);
    }
    const bytes = records.reduce((n, r) => n + r.bytes.length, 0);
    this.chunkCache.set(chunk.id, { records, bytes });
    this.chunkCacheBytes += bytes;
    // Oldest out first, but the part just read always stays.
    for (const [id, c] of this.chunkCache) {
      if (this.chunkCacheBytes <= CHUNK_CACHE_BYTES || id === chunk.id) break;
      this.chunkCache.delete(id);
      this.chunkCacheBytes -= c.bytes;
    }
    return records;
  }

  async oldestMillis(): Promise<number | undefined> {
    await this.started;
    try {
      const chunk = parseRange(await this.redis.callBuffer('XRANGE', this.keys.history, '-', '+', 'COUNT', 1))[0];
      const raw = parseRange(await this.redis.callBuffer('XRANGE', this.keys.reports, '-', '+', 'COUNT', 1))[0];
      const firstOfChunk = chunk ? Number(chunk.fields.get('f')?.toString('latin1') ?? chunk.millis) : undefined;
      const candidates = [firstOfChunk, raw?.millis].filter((x): x is number => x !== undefined && Number.isFinite(x));
      return candidates.length > 0 ? Math.min(...candidates) : undefined;
    } catch (err) {
      this.wentDown(err as Error);
      return undefined;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.started.catch(() => undefined);
    await this.writePending();
    await this.flushBacklog();
    this.closed = true;
    clearInterval(this.compactTimer);
    clearTimeout(this.flushRetry);
    this.reader.disconnect();
    await this.tail.catch(() => undefined);
    await this.redis.quit().catch(() => this.redis.disconnect());
    await this.live.close();
  }
}
