/**
 * Compaction of the Redis collector's history (issue #8). Reports arrive in the `reports` stream
 * (one gzip body per report: what replicas tail). Once a chunk of time (`chunkMillis`, Redis time)
 * is over, one replica (whoever holds a short lock) turns that chunk's entries into one entry of
 * the `history` stream: the reports uncompressed, grouped by probe, compressed together with brotli
 * and a window that reaches back two reports (a probe's previous report is what a report is
 * compared with; 4 MiB at least, 16 MiB at most: 16 MiB for every part cost 20-40 % more brotli CPU
 * for 1-3 % smaller chunks on the fixture reports, 74 KiB each), so each report after a probe's first in the chunk costs about its
 * difference from the previous one (deltas against the chunk's full first report). The watermark
 * key says up to where chunks exist; older raw entries are then trimmed.
 *
 * Bounded memory however many probes publish: a chunk is written as one or more parts (stream
 * entries `<fromMillis>-1`, `<fromMillis>-2`, …), split between probes so that a part holds at most
 * about {@link PART_RAW_BYTES} of uncompressed reports (up to twice that when one probe's reports
 * alone are more), and each part is compressed as a stream
 * (one report gunzipped at a time), so compaction holds the chunk's gzip bodies and one part's
 * compressor, never the chunk uncompressed (500 probes: ~740 MB per 60-s chunk), and a reader
 * decompresses one part at a time.
 *
 * Part entry: fields `f` (chunk from, ms), `t` (to, ms, exclusive), `n` (reports in this part),
 * `b` (brotli of file-format records whose probe id field is `<stream entry id>|<probe id>`).
 */
import { promisify } from 'node:util';
import { brotliDecompress, constants as zlibConstants, createBrotliCompress, gunzipSync } from 'node:zlib';
import type { Redis } from 'ioredis';
import { frameRecord, parseRecords } from './file-format.js';
import type { StoredRecord } from './history.js';
import { parseRange, type StreamEntry } from './redis-stream.js';

const decompress = promisify(brotliDecompress);

/** The keys of one deployment. */
export interface RedisKeys {
  /** Raw reports, one entry each. */
  readonly reports: string;
  /** Compacted chunks. */
  readonly history: string;
  /** Watermark: entries older than this (ms) are in chunks. */
  readonly compacted: string;
  /** Who compacts now. */
  readonly lock: string;
  /** Prefix of the markers of written reports (redis.ts: a retried write is stored once). */
  readonly written: string;
}

export function redisKeys(prefix: string): RedisKeys {
  return { reports: `${prefix}reports`, history: `${prefix}history`, compacted: `${prefix}compacted`, lock: `${prefix}compactor`, written: `${prefix}written:` };
}

/** Settings of one compaction step. */
export interface CompactOptions {
  readonly keys: RedisKeys;
  readonly replicaId: string;
  /** Length of a chunk, in ms. */
  readonly chunkMillis: number;
  /** Chunks older than this are trimmed, in ms. */
  readonly retentionMillis: number;
  /** Raw entries are kept at least this long after they are compacted (tails and restarts read them), in ms. */
  readonly rawKeepMillis: number;
  /** Uncompressed bytes per chunk part; default {@link PART_RAW_BYTES}. */
  readonly partRawBytes?: number;
}

/** A chunk is closed this long after its end (Redis time), in ms, so slow XADDs are in it. */
const CLOSE_MARGIN_MILLIS = 1000;
const LOCK_MILLIS = 30_000;

/** Output buffer of a gunzip: the body's own size when its trailer is plausible, so one buffer holds it all. */
const MIN_GUNZIP_CHUNK = 16 * 1024;
const MAX_GUNZIP_CHUNK = 16 * 1024 * 1024;

/**
 * A stored gzip body, inflated synchronously into one buffer of its size (from the trailer). A
 * report body is 10-40 KB gzip (~85 KB raw): the pooled gunzip cost 2-5x the CPU (16 KB output
 * chunks, each a round trip to the libuv pool; measured 0.41-1.1 ms vs 0.08 ms per fixture body),
 * the same reason decodeReportBody inflates small bodies inline.
 */
export function gunzipBody(body: Buffer): Buffer {
  const size = gzipRawSize(body);
  return gunzipSync(body, { chunkSize: Math.min(MAX_GUNZIP_CHUNK, Math.max(MIN_GUNZIP_CHUNK, size + 64)) });
}

/** Raw stream entry → record (gunzipped), or undefined if it has no body. */
export function recordOfEntry(e: StreamEntry): StoredRecord | undefined {
  const body = e.fields.get('b');
  if (!body) return undefined;
  return { key: e.id, probeId: e.fields.get('p')?.toString('utf8') ?? '', arrivalMillis: e.millis, bytes: gunzipBody(body) };
}

/**
 * Raw stream entry → record whose bytes are gunzipped on first use (synchronously), or undefined
 * if it has no body. For time travel: consecutive windows share most records, and a record whose
 * report is decoded already (HistoryCollector keeps them by key) is never gunzipped again.
 */
export function lazyRecordOfEntry(e: StreamEntry): StoredRecord | undefined {
  const body = e.fields.get('b');
  if (!body) return undefined;
  let bytes: Buffer | undefined;
  return {
    key: e.id,
    probeId: e.fields.get('p')?.toString('utf8') ?? '',
    arrivalMillis: e.millis,
    get bytes(): Buffer {
      return (bytes ??= gunzipBody(body));
    },
  };
}

/** Chunk body → its records (keys are the original stream entry ids, as in the raw stream). */
export async function recordsOfChunk(body: Buffer): Promise<StoredRecord[]> {
  const { records } = parseRecords(await decompress(body));
  return records.map((r) => {
    const bar = r.probeId.indexOf('|');
    return { key: r.probeId.slice(0, bar), probeId: r.probeId.slice(bar + 1), arrivalMillis: r.arrivalMillis, bytes: r.bytes };
  });
}

/** Uncompressed reports per chunk part (a part never splits one probe's reports unless they alone exceed it). */
export const PART_RAW_BYTES = 32 * 1024 * 1024;

/** Uncompressed size of a one-member gzip body from its trailer (ISIZE, mod 2^32), for planning parts. */
function gzipRawSize(body: Buffer): number {
  return body.length >= 18 ? body.readUInt32LE(body.length - 4) : 0;
}

/**
 * The chunk's entries grouped by probe (so a probe's consecutive reports are near each other in
 * the compression window), cut into parts of about {@link PART_RAW_BYTES} between probes.
 */
export function planParts(entries: readonly StreamEntry[], partRawBytes = PART_RAW_BYTES): StreamEntry[][] {
  const probeOf = (e: StreamEntry): string => e.fields.get('p')?.toString('utf8') ?? '';
  const sorted = entries
    .filter((e) => e.fields.get('b') !== undefined)
    .map((e) => ({ e, probe: probeOf(e) }))
    .sort((a, b) => (a.probe < b.probe ? -1 : a.probe > b.probe ? 1 : a.e.millis - b.e.millis || (a.e.id < b.e.id ? -1 : 1)));
  const parts: StreamEntry[][] = [];
  let part: StreamEntry[] = [];
  let partBytes = 0;
  for (let i = 0; i < sorted.length; i++) {
    const { e, probe } = sorted[i]!;
    const newProbe = i === 0 || sorted[i - 1]!.probe !== probe;
    // Cut between probes once full; within one probe only when its reports alone overflow a part.
    if (part.length > 0 && ((newProbe && partBytes >= partRawBytes) || partBytes >= 2 * partRawBytes)) {
      parts.push(part);
      part = [];
      partBytes = 0;
    }
    part.push(e);
    partBytes += gzipRawSize(e.fields.get('b')!);
  }
  if (part.length > 0) parts.push(part);
  return parts;
}

/** Entries gunzipped (inline, ~0.1 ms each) between two turns of the event loop during compaction. */
const GUNZIPS_PER_TURN = 16;

/**
 * One part compressed as a stream: each entry is gunzipped and framed on its own, so only one
 * report is ever held uncompressed; the event loop gets a turn every {@link GUNZIPS_PER_TURN}
 * entries. A damaged entry is left out rather than stopping compaction for good. Resolves to the
 * brotli body and the number of reports in it.
 */
async function partBody(entries: readonly StreamEntry[]): Promise<{ body: Buffer; count: number }> {
  const sizes = entries.map((e) => gzipRawSize(e.fields.get('b')!));
  const rawHint = sizes.reduce((n, x) => n + x, 0);
  const lgwin = Math.min(24, Math.max(22, Math.ceil(Math.log2(2 * sizes.reduce((m, x) => Math.max(m, x), 1)))));
  const enc = createBrotliCompress({
    params: {
      [zlibConstants.BROTLI_PARAM_QUALITY]: 5,
      [zlibConstants.BROTLI_PARAM_LGWIN]: lgwin,
      [zlibConstants.BROTLI_PARAM_SIZE_HINT]: rawHint,
    },
  });
  const out: Buffer[] = [];
  enc.on('data', (b: Buffer) => out.push(b));
  const ended = new Promise<void>((resolve, reject) => {
    enc.once('end', resolve);
    enc.once('error', reject);
  });
  ended.catch(() => undefined); // awaited below; an early error must not be an unhandled rejection
  let count = 0;
  for (let i = 0; i < entries.length; i++) {
    if (enc.destroyed) break;
    if (i > 0 && i % GUNZIPS_PER_TURN === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const e = entries[i]!;
    let rec: StoredRecord | undefined;
    try {
      rec = recordOfEntry(e);
    } catch {
      continue;
    }
    if (!rec) continue;
    count++;
    if (!enc.write(frameRecord({ probeId: `${rec.key}|${rec.probeId}`, arrivalMillis: rec.arrivalMillis, bytes: rec.bytes }))) {
      await new Promise<void>((resolve) => enc.once('drain', resolve));
    }
  }
  enc.end();
  await ended;
  return { body: Buffer.concat(out), count };
}

async function redisNowMillis(redis: Redis): Promise<number> {
  const [sec, usec] = await redis.time();
  return Number(sec) * 1000 + Math.floor(Number(usec) / 1000);
}

async function holdLock(redis: Redis, opts: CompactOptions): Promise<boolean> {
  if ((await redis.set(opts.keys.lock, opts.replicaId, 'PX', LOCK_MILLIS, 'NX')) === 'OK') return true;
  if ((await redis.get(opts.keys.lock)) !== opts.replicaId) return false;
  await redis.pexpire(opts.keys.lock, LOCK_MILLIS);
  return true;
}

/**
 * One step: compacts the oldest closed chunk not yet compacted. Resolves to whether the watermark
 * moved (call again to catch up). Safe with several replicas: the watermark is WATCHed, so a
 * chunk is written once.
 */
export async function compactOnce(redis: Redis, opts: CompactOptions): Promise<boolean> {
  const { keys, chunkMillis } = opts;
  if (!(await holdLock(redis, opts))) return false;
  const now = await redisNowMillis(redis);
  await redis.watch(keys.compacted);
  try {
    const wmRaw = await redis.get(keys.compacted);
    let wm = wmRaw === null ? NaN : Number(wmRaw);
    if (!Number.isFinite(wm)) {
      const first = parseRange(await redis.callBuffer('XRANGE', keys.reports, '-', '+', 'COUNT', 1))[0];
      if (!first) return false;
      wm = Math.floor(first.millis / chunkMillis) * chunkMillis;
    }
    const end = wm + chunkMillis;
    if (end > now - CLOSE_MARGIN_MILLIS) return false;
    const entries = parseRange(await redis.callBuffer('XRANGE', keys.reports, String(wm), String(end - 1)));
    const tx = redis.multi();
    if (entries.length === 0) {
      // Nothing then: jump to the chunk of the next entry (or the last closed one).
      const next = parseRange(await redis.callBuffer('XRANGE', keys.reports, String(end), '+', 'COUNT', 1))[0];
      const closedEnd = Math.floor((now - CLOSE_MARGIN_MILLIS) / chunkMillis) * chunkMillis;
      tx.set(keys.compacted, String(Math.max(end, Math.min(closedEnd, next ? Math.floor(next.millis / chunkMillis) * chunkMillis : closedEnd))));
    } else {
      const minId = String(Math.max(0, Math.floor(now - opts.retentionMillis)));
      let seq = 0;
      for (const part of planParts(entries, opts.partRawBytes)) {
        const { body, count } = await partBody(part);
        if (count === 0) continue;
        tx.xadd(keys.history, 'MINID', '~', minId, `${wm}-${++seq}`, 'f', String(wm), 't', String(end), 'n', String(count), 'b', body);
      }
      tx.set(keys.compacted, String(end));
      tx.xtrim(keys.reports, 'MINID', '~', String(Math.max(0, Math.min(end, now - opts.rawKeepMillis))));
    }
    const result = await tx.exec();
    if (result === null) return false; // another replica moved the watermark
    for (const [err] of result) if (err) throw err;
    return true;
  } finally {
    await redis.unwatch().catch(() => undefined);
  }
}

/** Current watermark (0: nothing compacted yet). */
export async function watermarkMillis(redis: Redis, keys: RedisKeys): Promise<number> {
  const raw = await redis.get(keys.compacted);
  const n = raw === null ? 0 : Number(raw);
  return Number.isFinite(n) ? n : 0;
}
