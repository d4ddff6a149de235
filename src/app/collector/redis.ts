/**
 * The Redis collector (`--app.collector=redis://host:port/db`, issue #8): every report any replica
 * receives is appended (msgpack, gzip level 1) to one Redis stream, trimmed to the retention by
 * stream id (= Redis time in ms). Every replica tails the stream into its own in-memory window, so
 * all replicas behind one Service serve the same topology; time travel reads the stream by id.
 *
 * Redis down: the replica keeps serving what it has and its own probes' reports, logs once,
 * reconnects (ioredis), and then appends what arrived meanwhile (bounded backlog), so no report
 * accepted while Redis was up is lost, and few accepted while it was down.
 */
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { Redis } from 'ioredis';
import type { Logger } from '../../common/log.js';
import { AppConfigError } from '../config.js';
import { encodeReport } from '../../report/codec/index.js';
import type { Report } from '../../report/types.js';
import { HistoryCollector, type HistoryCollectorOptions, type HistoryStore, type StoredRecord } from './history.js';
import { parseRange, parseRead, type StreamEntry } from './redis-stream.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

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
  logger?: Logger;
}

/** Longest wait for one Redis command (not the blocking read), in ms. */
const COMMAND_TIMEOUT_MILLIS = 2000;
/** How long the tail blocks per read, in ms (bounds how fast close() ends it). */
const BLOCK_MILLIS = 1000;

export class RedisCollector extends HistoryCollector implements HistoryStore {
  /** This replica's id: entries it wrote are skipped by its tail (they are in its window already). */
  readonly replicaId = randomBytes(8).toString('hex');
  private readonly redis: Redis;
  private readonly reader: Redis;
  private readonly streamKey: string;
  private readonly retentionMillis: number;
  private readonly maxBacklog: number;
  private readonly logger: Logger | undefined;
  private backlog: Buffer[][] = [];
  private flushing = false;
  private down = false;
  private closed = false;
  private lastId = '0-0';
  private tail: Promise<void> = Promise.resolve();
  private readonly started: Promise<void>;

  constructor(opts: RedisCollectorOptions) {
    super(opts);
    this.streamKey = `${opts.keyPrefix ?? 'openscope:'}reports`;
    this.retentionMillis = opts.retentionMillis ?? 24 * 3_600_000;
    this.maxBacklog = opts.maxBacklog ?? 10_000;
    this.logger = opts.logger;
    const options = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt: number) => Math.min(100 * attempt, 2000),
    };
    this.redis = new Redis(opts.url, { ...options, commandTimeout: COMMAND_TIMEOUT_MILLIS });
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
    const entries = parseRange(await this.redis.callBuffer('XRANGE', this.streamKey, fromId, '+'));
    await this.backfill(await this.recordsOf(entries, true));
    this.lastId = entries.length > 0 ? entries[entries.length - 1]!.id : `${fromId}-0`;
    this.tail = this.runTail();
  }

  /** Tails the stream: reports other replicas stored go into this replica's window. */
  private async runTail(): Promise<void> {
    while (!this.closed) {
      let entries: StreamEntry[];
      try {
        entries = parseRead(
          await this.reader.callBuffer('XREAD', 'COUNT', 1000, 'BLOCK', BLOCK_MILLIS, 'STREAMS', this.streamKey, this.lastId),
        );
      } catch {
        if (this.closed) return;
        await new Promise((r) => setTimeout(r, 500).unref());
        continue;
      }
      if (entries.length === 0) continue;
      this.lastId = entries[entries.length - 1]!.id;
      const arrival = this.now();
      for (const rec of await this.recordsOf(entries, false)) {
        await this.backfill([{ ...rec, arrivalMillis: arrival }]);
      }
    }
  }

  /** Entries → records; with `includeOwn` false, this replica's own entries are skipped. */
  private async recordsOf(entries: readonly StreamEntry[], includeOwn: boolean): Promise<StoredRecord[]> {
    const out: StoredRecord[] = [];
    for (const e of entries) {
      const body = e.fields.get('b');
      if (!body) continue;
      if (!includeOwn && e.fields.get('r')?.toString('latin1') === this.replicaId) continue;
      try {
        out.push({ key: e.id, probeId: e.fields.get('p')?.toString('utf8') ?? '', arrivalMillis: e.millis, bytes: await gunzipAsync(body) });
      } catch (err) {
        this.observer?.reportDropped?.(e.fields.get('p')?.toString('utf8') ?? '', err);
      }
    }
    return out;
  }

  async add(probeId: string, report: Report, arrivalMillis: number): Promise<void> {
    if (this.closed) throw new Error('collector is closed');
    const body = await gzipAsync(encodeReport(report, 'msgpack'), { level: 1 });
    await this.live.add(probeId, report, arrivalMillis);
    const fields = [Buffer.from('p'), Buffer.from(probeId, 'utf8'), Buffer.from('r'), Buffer.from(this.replicaId), Buffer.from('b'), body];
    if (this.redis.status !== 'ready' || this.backlog.length > 0) {
      this.queue(fields);
      return;
    }
    try {
      await this.append(fields);
    } catch {
      this.queue(fields);
    }
  }

  private append(fields: Buffer[]): Promise<unknown> {
    const minId = Math.max(0, Math.floor(this.now() - this.retentionMillis));
    return this.redis.callBuffer('XADD', this.streamKey, 'MINID', '~', String(minId), '*', ...fields);
  }

  private queue(fields: Buffer[]): void {
    this.backlog.push(fields);
    if (this.backlog.length > this.maxBacklog) this.backlog.shift();
  }

  private async flushBacklog(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.backlog.length > 0 && this.redis.status === 'ready' && !this.closed) {
        await this.append(this.backlog[0]!);
        this.backlog.shift();
      }
    } catch {
      // Down again: the rest waits for the next 'ready'.
    } finally {
      this.flushing = false;
    }
  }

  async range(fromMillis: number, toMillis: number): Promise<StoredRecord[]> {
    await this.started;
    const from = String(Math.max(0, Math.floor(fromMillis) + 1));
    const to = Number.isFinite(toMillis) ? String(Math.max(0, Math.floor(toMillis))) : '+';
    try {
      return await this.recordsOf(parseRange(await this.redis.callBuffer('XRANGE', this.streamKey, from, to)), true);
    } catch (err) {
      this.wentDown(err as Error);
      return [];
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.started.catch(() => undefined);
    await this.flushBacklog();
    this.closed = true;
    this.reader.disconnect();
    await this.tail.catch(() => undefined);
    await this.redis.quit().catch(() => this.redis.disconnect());
    await this.live.close();
  }
}
