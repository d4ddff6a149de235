/**
 * The file collector (`--app.collector=file:///dir`, issue #8): every report is appended to the
 * open segment file of `dir` as it arrives; every `segmentMillis` the segment is closed and
 * compressed whole with brotli (a large window, so consecutive reports of a probe — nearly
 * identical — cost little more than their differences). Segments older than the retention are
 * deleted. On start the directory is scanned and the last window is loaded, so a restarted app
 * shows the topology at once; any directory written by it can be copied and served elsewhere.
 *
 * Files: `<startMillis>.open` (records being appended, see file-format.ts) and
 * `<startMillis>-<endMillis>.seg.br` (closed, compressed).
 */
import { mkdir, open, readdir, readFile, rename, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, brotliDecompress, constants as zlibConstants } from 'node:zlib';
import type { Logger } from '../../common/log.js';
import type { Report } from '../../report/types.js';
import { frameRecord, parseRecords } from './file-format.js';
import { HistoryCollector, storableBytes, type HistoryCollectorOptions, type HistoryStore, type StoredRecord } from './history.js';
import type { ReceivedBody } from './types.js';

const compress = promisify(brotliCompress);
const decompress = promisify(brotliDecompress);

/** Options of {@link FileCollector}. */
export interface FileCollectorOptions extends HistoryCollectorOptions {
  /** Directory of the segment files; created if missing. */
  dir: string;
  /** Reports older than this (by arrival) are deleted, in ms. Default 24 h. */
  retentionMillis?: number;
  /** How long a segment stays open before it is compressed, in ms. Default 60000. */
  segmentMillis?: number;
  logger?: Logger;
}

interface Segment {
  startMillis: number;
  endMillis: number;
  path: string;
  compressed: boolean;
  /** Records kept in memory: the open segment's, and closed ones being compressed. */
  records?: StoredRecord[];
}

/** Parsed closed segments kept in memory for time travel (a timeline walks neighbouring segments). */
const SEGMENT_CACHE_SIZE = 4;

export class FileCollector extends HistoryCollector implements HistoryStore {
  private readonly dir: string;
  private readonly retentionMillis: number;
  private readonly segmentMillis: number;
  private readonly logger: Logger | undefined;
  private segments: Segment[] = [];
  private openSeg: (Segment & { handle: FileHandle; records: StoredRecord[] }) | undefined;
  /** Serialises appends, rotations and deletions. */
  private chain: Promise<unknown> = Promise.resolve();
  private readonly cache = new Map<string, StoredRecord[]>();
  private readonly compressions = new Set<Promise<void>>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private seq = 0;
  private closed = false;
  private readonly started: Promise<void>;

  constructor(opts: FileCollectorOptions) {
    super(opts);
    this.dir = opts.dir;
    this.retentionMillis = opts.retentionMillis ?? 24 * 3_600_000;
    this.segmentMillis = opts.segmentMillis ?? 60_000;
    this.logger = opts.logger;
    this.started = this.start();
    this.started.catch(() => undefined); // surfaced by ready() and every call
  }

  protected get store(): HistoryStore {
    return this;
  }

  /** Resolves once the directory is scanned and the last window loaded; rejects if `dir` is unusable. */
  ready(): Promise<void> {
    return this.started;
  }

  private async start(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const now = this.now();
    for (const name of await readdir(this.dir)) {
      const closedMatch = /^(\d+)-(\d+)\.seg\.br$/.exec(name);
      const openMatch = /^(\d+)\.open$/.exec(name);
      if (name.endsWith('.seg.br.tmp')) {
        // A compression cut short: its raw segment is still there and is compressed again.
        await unlink(join(this.dir, name)).catch(() => undefined);
      } else if (closedMatch) {
        this.segments.push({ startMillis: Number(closedMatch[1]), endMillis: Number(closedMatch[2]), path: join(this.dir, name), compressed: true });
      } else if (openMatch) {
        // Left open by a stopped or crashed app: its whole records become a closed segment.
        const path = join(this.dir, name);
        const { records, torn } = parseRecords(await readFile(path));
        if (torn) this.logger?.warn({ path }, 'file collector: ignoring a torn record at the end of a segment');
        if (records.length === 0) {
          await unlink(path).catch(() => undefined);
          continue;
        }
        const stored = records.map((r) => this.stored(r.probeId, r.arrivalMillis, r.bytes));
        const seg: Segment = { startMillis: Number(openMatch[1]), endMillis: stored[stored.length - 1]!.arrivalMillis, path, compressed: false, records: stored };
        this.segments.push(seg);
        this.compressLater(seg);
      }
    }
    this.segments.sort((a, b) => a.startMillis - b.startMillis);
    await this.deleteExpired(now);
    const loaded = await this.backfill(await this.rangeLoaded(now - this.windowMillis, Number.POSITIVE_INFINITY));
    this.logger?.info({ dir: this.dir, segments: this.segments.length, reports: loaded }, 'file collector: loaded the last window');
    const sweepMillis = Math.max(1000, Math.min(60_000, this.retentionMillis / 4));
    this.sweepTimer = setInterval(() => {
      this.chain = this.chain.then(() => this.deleteExpired(this.now())).catch((err: unknown) =>
        this.logger?.warn({ err }, 'file collector: retention sweep failed'),
      );
    }, sweepMillis);
    this.sweepTimer.unref();
  }

  /**
   * Stores the body as received (decompressed on the libuv pool; `report` is encoded only when no
   * body is given, e.g. by tests), so the event loop pays the live window's add and nothing more.
   * Resolves once the record is written to the open segment file (the OS page cache: it survives
   * an app crash; there is no fsync, so not a power cut); a failed write rejects, so the probe gets
   * a 500 and publishes again.
   */
  async add(probeId: string, report: Report, arrivalMillis: number, received?: ReceivedBody): Promise<void> {
    await this.started;
    if (this.closed) throw new Error('collector is closed');
    // Encoded before the live window owns the report (its merges must not be seen in the bytes).
    const bytes = storableBytes(report, received);
    bytes.catch(() => undefined); // awaited below
    await this.addLive(probeId, report, arrivalMillis);
    // In the chain, so records are appended in arrival order.
    const write = this.chain.then(async () => this.append(this.stored(probeId, arrivalMillis, await bytes)));
    this.chain = write.catch(() => undefined);
    await write;
  }

  private async append(rec: StoredRecord): Promise<void> {
    if (this.openSeg && rec.arrivalMillis >= this.openSeg.startMillis + this.segmentMillis) await this.rotate();
    if (!this.openSeg) {
      const startMillis = Math.floor(rec.arrivalMillis);
      const path = join(this.dir, `${startMillis}.open`);
      const handle = await open(path, 'a');
      this.openSeg = { startMillis, endMillis: startMillis, path, compressed: false, handle, records: [] };
      this.segments.push(this.openSeg);
    }
    await this.openSeg.handle.write(frameRecord(rec));
    this.openSeg.records.push(rec);
    this.openSeg.endMillis = Math.max(this.openSeg.endMillis, rec.arrivalMillis);
  }

  /** Closes the open segment and compresses it in the background. */
  private async rotate(): Promise<void> {
    const seg = this.openSeg;
    if (!seg) return;
    this.openSeg = undefined;
    await seg.handle.close();
    const closedSeg: Segment = { startMillis: seg.startMillis, endMillis: seg.endMillis, path: seg.path, compressed: false, records: seg.records };
    this.segments[this.segments.indexOf(seg)] = closedSeg;
    this.compressLater(closedSeg);
  }

  private compressLater(seg: Segment): void {
    const job = this.compressSegment(seg).catch((err: unknown) =>
      this.logger?.warn({ err, path: seg.path }, 'file collector: could not compress a segment (kept uncompressed)'),
    );
    this.compressions.add(job);
    void job.finally(() => this.compressions.delete(job));
  }

  private async compressSegment(seg: Segment): Promise<void> {
    const raw = await readFile(seg.path);
    const packed = await compress(raw, {
      params: {
        [zlibConstants.BROTLI_PARAM_QUALITY]: 5,
        [zlibConstants.BROTLI_PARAM_LGWIN]: 24,
        [zlibConstants.BROTLI_PARAM_SIZE_HINT]: raw.length,
      },
    });
    const path = join(this.dir, `${seg.startMillis}-${Math.ceil(seg.endMillis)}.seg.br`);
    await writeFile(`${path}.tmp`, packed);
    await rename(`${path}.tmp`, path);
    const rawPath = seg.path;
    if (!this.segments.includes(seg)) {
      // Expired while compressing.
      await unlink(path).catch(() => undefined);
    } else {
      seg.path = path;
      seg.compressed = true;
      if (seg.records) this.remember(path, seg.records);
      delete seg.records;
    }
    await unlink(rawPath).catch(() => undefined);
  }

  private async deleteExpired(nowMillis: number): Promise<void> {
    const cutoff = nowMillis - this.retentionMillis;
    const keep: Segment[] = [];
    for (const seg of this.segments) {
      if (seg !== this.openSeg && seg.endMillis < cutoff) {
        this.cache.delete(seg.path);
        await unlink(seg.path).catch(() => undefined);
      } else keep.push(seg);
    }
    if (keep.length !== this.segments.length) this.forgetHistoricCache();
    this.segments = keep;
    this.changes.prune(cutoff);
  }

  async oldestMillis(): Promise<number | undefined> {
    await this.started;
    return this.segments[0]?.startMillis;
  }

  async range(fromMillis: number, toMillis: number): Promise<StoredRecord[]> {
    await this.started;
    return this.rangeLoaded(fromMillis, toMillis);
  }

  private async rangeLoaded(fromMillis: number, toMillis: number): Promise<StoredRecord[]> {
    const out: StoredRecord[] = [];
    for (const seg of [...this.segments]) {
      if (seg.endMillis <= fromMillis || seg.startMillis > toMillis) continue;
      for (const rec of await this.recordsOf(seg)) {
        if (rec.arrivalMillis > fromMillis && rec.arrivalMillis <= toMillis) out.push(rec);
      }
    }
    return out.sort((a, b) => a.arrivalMillis - b.arrivalMillis);
  }

  private async recordsOf(seg: Segment): Promise<StoredRecord[]> {
    if (seg.records) return seg.records;
    const cached = this.cache.get(seg.path);
    if (cached) return cached;
    const buf = await readFile(seg.path);
    const raw = seg.compressed ? await decompress(buf) : buf;
    const { records } = parseRecords(raw);
    const stored = records.map((r) => this.stored(r.probeId, r.arrivalMillis, r.bytes));
    this.remember(seg.path, stored);
    return stored;
  }

  private remember(path: string, records: StoredRecord[]): void {
    this.cache.set(path, records);
    while (this.cache.size > SEGMENT_CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
  }

  private stored(probeId: string, arrivalMillis: number, bytes: Uint8Array): StoredRecord {
    return { key: `${arrivalMillis}:${this.seq++}`, probeId, arrivalMillis, bytes };
  }

  /** Closes the open segment (it is compressed at the next start) and waits for compressions. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweepTimer);
    await this.started.catch(() => undefined);
    await this.chain.catch(() => undefined);
    await this.openSeg?.handle.close().catch(() => undefined);
    this.openSeg = undefined;
    await Promise.all([...this.compressions]);
    await this.live.close();
  }
}
