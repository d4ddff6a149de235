/**
 * Raw report routes (app §1.8, §1.10, wire §4.1): probes POST reports (gzip+msgpack, or JSON);
 * anyone may GET the merged report as JSON or msgpack. Every refused body gets a 4xx whose JSON
 * string says why, and leaves the stored data untouched.
 */
import type { FastifyInstance } from 'fastify';
import { decodeReportBody, encodeReport, formatFromContentType, ReportDecodeError } from '../../report/codec/index.js';
import type { AppContext } from '../context.js';
import { censorOptions, censorReport } from '../censor.js';
import { parseTimestampMillis } from '../duration.js';
import { flatQuery, sendError } from '../http.js';
import { RateLimiter } from '../rate-limit.js';

export function registerReportRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/api/report', async (request, reply) => {
    const query = flatQuery(request);
    const merged = await ctx.collector.report(
      query.timestamp === undefined ? undefined : parseTimestampMillis(query.timestamp),
    );
    const censor = censorOptions(query);
    const key = `${censor.hideCommandLineArguments}/${censor.hideEnvironmentVariables}`;
    const report = () => censorReport(merged, censor);
    const accept = request.headers.accept ?? '';
    if (accept.startsWith('application/msgpack')) {
      const body = ctx.renders.get(merged, 'raw', `msgpack/${key}`, () => toBuffer(encodeReport(report(), 'msgpack')));
      return reply.code(200).header('Cache-Control', 'no-cache').type('application/msgpack').send(body);
    }
    const body = ctx.renders.get(merged, 'raw', `json/${key}`, () => toBuffer(encodeReport(report(), 'json')));
    return reply.code(200).header('Cache-Control', 'no-cache').type('application/json').send(body);
  });

  // Per probe (by X-Scope-Probe-ID, else by address): 10 reports/s sustained, bursts of 50.
  const limiter = new RateLimiter({ perSecond: 10, burst: 50, maxKeys: 10_000 });
  const postOptions = {
    bodyLimit: ctx.config.maxReportBodyBytes,
    // Answers are empty or a short JSON string, below @fastify/compress's threshold: its hooks
    // (onRequest and onSend, on every report) would never compress anything here.
    compress: false as const,
    // No handlerTimeout backstop on this route; server.ts handlerTimeouts says why.
  };
  app.post('/api/report', postOptions, async (request, reply) => {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    ctx.metrics.reportBytes.inc(body.length);
    const probeId = request.headers['x-scope-probe-id'];
    const waitMillis = limiter.take(typeof probeId === 'string' && probeId !== '' ? `id:${probeId}` : `ip:${request.ip}`);
    if (waitMillis > 0) {
      ctx.metrics.reportsRefused.inc({ reason: 'rate-limit' });
      request.log.warn({ probeId, remote: request.ip }, 'report refused: probe over its report rate limit');
      void reply.header('Retry-After', String(Math.ceil(waitMillis / 1000)));
      return sendError(reply, 429, 'too many reports from this probe, slow down');
    }
    let report;
    try {
      report = await decodeReportBody(body, {
        contentType: request.headers['content-type'] ?? '',
        contentEncoding: request.headers['content-encoding'] ?? '',
        maxDecompressedBytes: ctx.config.maxReportBytes,
      });
    } catch (err) {
      if (err instanceof ReportDecodeError) {
        ctx.metrics.reportsRefused.inc({ reason: err.kind });
        request.log.info({ probeId, reason: err.kind, err: err.message }, 'report refused');
        return sendError(reply, err.httpStatus, err.message);
      }
      throw err;
    }
    try {
      // The body goes along so history collectors store it as received instead of re-encoding.
      const received = { bytes: body, format: formatFromContentType(request.headers['content-type']), contentEncoding: request.headers['content-encoding'] ?? '' };
      await ctx.collector.add(typeof probeId === 'string' ? probeId : '', report, Date.now(), received);
    } catch (err) {
      ctx.metrics.reportsRefused.inc({ reason: 'collector' });
      request.log.error({ err, probeId }, 'collector failed to store a report');
      return sendError(reply, 500, 'could not store the report');
    }
    ctx.metrics.reportsReceived.inc();
    return reply.code(200).send();
  });

}

/** Shares the bytes (no copy) so fastify sends them as a Buffer. */
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
