/**
 * HTTP bodies as Scope's app receives them (wire §4.1): pick the format from `Content-Type`,
 * decompress by `Content-Encoding` (or the gzip magic), bounded while inflating (small bodies inline).
 */
import { constants as bufferConstants } from 'node:buffer';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import type { Report } from '../types.js';
import { decodeReport, type ReportFormat } from './decode.js';
import { encodeJson } from './json.js';
import { encodeMsgpack } from './msgpack-write.js';
import { ReportDecodeError } from './errors.js';

/** Default cap on a decompressed report body: 64 MiB. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

const gunzipAsync = promisify(zlib.gunzip);
const inflateAsync = promisify(zlib.inflate);
const inflateRawAsync = promisify(zlib.inflateRaw);
const gzipAsync = promisify(zlib.gzip);

/** Options of `decodeReportBody`. */
export interface DecodeBodyOptions {
  /** The `Content-Type` header; must start with `application/msgpack` or `application/json`. */
  contentType?: string;
  /** The `Content-Encoding` header; `gzip` / `deflate` anywhere in it select the decompressor. */
  contentEncoding?: string;
  /** Limit on the decompressed size in bytes; default `DEFAULT_MAX_DECOMPRESSED_BYTES` (64 MiB). */
  maxDecompressedBytes?: number;
}

/** Scope's rule: the content type must *start with* one of the two media types. */
export function formatFromContentType(contentType: string | undefined): ReportFormat {
  const ct = (contentType ?? '').trimStart().toLowerCase();
  if (ct.startsWith('application/msgpack')) return 'msgpack';
  if (ct.startsWith('application/json')) return 'json';
  throw new ReportDecodeError('unsupported-media-type', `Unsupported Content-Type: ${contentType ?? ''}`);
}

function isZlibHeader(b: Uint8Array): boolean {
  return b.length >= 2 && (b[0]! & 0x0f) === 8 && ((b[0]! << 8) | b[1]!) % 31 === 0;
}

/**
 * Bodies up to this size (compressed) inflate synchronously: a probe's report is 10–40 KB gzip,
 * and the pooled path costs 4–8× the CPU for it (the output comes back in 16 KB chunks, each a
 * round trip to the libuv pool and a callback). Larger bodies inflate off the main thread.
 */
export const SYNC_INFLATE_MAX_BYTES = 256 * 1024;

/** Largest output chunk `gzipChunkSize` asks for. */
const MAX_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * Output chunk size for gunzipping `body`: gzip's trailer holds the inflated size (mod 2^32), so
 * the output comes in one chunk instead of 16-KiB chunks joined by a copy at the end — ~30 % less
 * inflate CPU for a probe's report. The trailer is the sender's word, so the chunk is bounded by
 * the limit, by deflate's largest ratio (1032:1) and by MAX_CHUNK_BYTES; a wrong guess only
 * means more chunks or a larger buffer, never a different result.
 */
function gzipChunkSize(body: Uint8Array, max: number): number | undefined {
  const n = body.length;
  if (n < 18) return undefined; // shorter than gzip's header and trailer
  const isize = (body[n - 4]! | (body[n - 3]! << 8) | (body[n - 2]! << 16) | (body[n - 1]! << 24)) >>> 0;
  // +1: an output that exactly fills the chunk needs another call to see the end.
  return Math.max(zlib.constants.Z_MIN_CHUNK, Math.min(isize + 1, max + 1, n * 1032, MAX_CHUNK_BYTES));
}

/**
 * Inflates with Node's zlib convenience functions, which inflate in chunks and abort as soon as
 * the output passes `maxOutputLength`, so a gzip bomb costs at most the limit plus one chunk of
 * memory (and, inline, at most the time to inflate `max` bytes).
 */
async function decompress(body: Uint8Array, encoding: string, max: number): Promise<Uint8Array> {
  const enc = encoding.toLowerCase();
  const gzipMagic = body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b;
  let kind: 'gzip' | 'inflate' | 'inflateRaw' | undefined;
  if (enc.includes('gzip') || gzipMagic) kind = 'gzip';
  else if (enc.includes('deflate')) kind = isZlibHeader(body) ? 'inflate' : 'inflateRaw';
  if (kind === undefined) {
    if (body.length > max) {
      throw new ReportDecodeError('too-large', `report body of ${body.length} bytes exceeds the limit of ${max}`);
    }
    return body;
  }
  const maxOutputLength = Math.min(max, bufferConstants.MAX_LENGTH);
  const chunkSize = kind === 'gzip' ? gzipChunkSize(body, maxOutputLength) : undefined;
  const opts = chunkSize === undefined ? { maxOutputLength } : { maxOutputLength, chunkSize };
  try {
    if (body.length <= SYNC_INFLATE_MAX_BYTES) {
      if (kind === 'gzip') return zlib.gunzipSync(body, opts);
      return kind === 'inflate' ? zlib.inflateSync(body, opts) : zlib.inflateRawSync(body, opts);
    }
    if (kind === 'gzip') return await gunzipAsync(body, opts);
    return await (kind === 'inflate' ? inflateAsync : inflateRawAsync)(body, opts);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new ReportDecodeError('too-large', `decompressed report exceeds the limit of ${max} bytes`, { cause: e });
    }
    throw new ReportDecodeError('bad-compression', `cannot decompress report body: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * An HTTP body as received → Report. Rejects with `ReportDecodeError` for any bad body (and with a
 * `RangeError` only for a bad `maxDecompressedBytes` option: a caller bug).
 */
export async function decodeReportBody(body: Uint8Array, opts: DecodeBodyOptions): Promise<Report> {
  const format = formatFromContentType(opts.contentType);
  const max = opts.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  if (!(Number.isSafeInteger(max) && max >= 1)) {
    throw new RangeError(`maxDecompressedBytes must be a positive integer, got ${max}`);
  }
  if (body.length === 0) throw new ReportDecodeError('empty', 'empty report body');
  const bytes = await decompress(body, opts.contentEncoding ?? '', max);
  return decodeReport(bytes, format);
}

/** Report → bytes in `format` (not compressed). */
export function encodeReport(report: Report, format: ReportFormat): Uint8Array {
  return format === 'msgpack' ? encodeMsgpack(report) : encodeJson(report);
}

/** Encoded and gzipped (zlib's default level unless `gzipLevel` is given), as a probe POSTs it. */
export async function encodeReportBody(report: Report, format: ReportFormat, gzipLevel?: number): Promise<Uint8Array> {
  return gzipAsync(encodeReport(report, format), { level: gzipLevel });
}
