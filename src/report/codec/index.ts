/**
 * The report codec: Scope 1.13.2's report wire format (wire §2, §4.1) ↔ the domain `Report`.
 *
 * Module map: `from-wire.ts` / `to-wire.ts` map wire shapes ↔ domain; `msgpack-read.ts` /
 * `msgpack-write.ts` speak Scope's msgpack flavour; `wire-time.ts` Go's two time forms; `json.ts`
 * JSON; `body.ts` HTTP bodies (content type, gzip/deflate, size limit); `errors.ts` the error type.
 */
export { ReportDecodeError, type ReportDecodeErrorKind } from './errors.js';
export { decodeReport, type ReportFormat } from './decode.js';
export {
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  decodeReportBody,
  encodeReport,
  encodeReportBody,
  formatFromContentType,
  SYNC_INFLATE_MAX_BYTES,
  type DecodeBodyOptions,
} from './body.js';
export { reportToWireJson } from './to-wire.js';
