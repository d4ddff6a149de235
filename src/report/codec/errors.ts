/**
 * The one error type of the report codec: what went wrong with an incoming report, and which HTTP
 * status the app should answer with.
 */

/** Why a report could not be decoded. */
export type ReportDecodeErrorKind =
  /** Content type is neither msgpack nor JSON (Scope: `Unsupported Content-Type: …`). */
  | 'unsupported-media-type'
  /** The decompressed body exceeds the limit (a gzip bomb, or simply too big). */
  | 'too-large'
  /** gzip/deflate stream is corrupt or truncated. */
  | 'bad-compression'
  /** Not valid JSON / msgpack: truncated, corrupt, trailing bytes. */
  | 'malformed'
  /** Valid syntax, but a value has the wrong type for its field (the message names the path). */
  | 'bad-type'
  /** Nesting deeper than the codec's limit. */
  | 'too-deep'
  /** Zero bytes. */
  | 'empty';

const STATUS: Record<ReportDecodeErrorKind, number> = {
  'unsupported-media-type': 415,
  'too-large': 413,
  'bad-compression': 400,
  malformed: 400,
  'bad-type': 400,
  'too-deep': 400,
  empty: 400,
};

/** A report body that cannot be turned into a `Report`. Safe to show to the sender. */
export class ReportDecodeError extends Error {
  override readonly name = 'ReportDecodeError';
  readonly kind: ReportDecodeErrorKind;
  /** 400, 413 (too large) or 415 (unsupported media type). */
  readonly httpStatus: number;

  constructor(kind: ReportDecodeErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.httpStatus = STATUS[kind];
  }
}

/**
 * Internal: a wrong type found while mapping the wire tree. Carries the path as segments that each
 * mapping level prepends on the way out, so the success path never builds path strings.
 */
export class WireTypeError extends Error {
  readonly segments: string[] = [];
  constructor(readonly detail: string) {
    super(detail);
  }
}

/** Internal: nesting past the limit, found by a decoder or the mapping. */
export class TooDeepError extends Error {}

/** Formats segments (`Process`, `.nodes`, `["x;1"]`) collected by `WireTypeError`. */
export function formatPath(segments: readonly string[]): string {
  return segments.join('').replace(/^\./, '');
}

/** Describes a wire value's type for error messages. */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (v instanceof Uint8Array) return 'bytes';
  // Anything else that is not a plain object is a msgpack extension marker.
  if (typeof v === 'object') return Object.getPrototypeOf(v) === Object.prototype ? 'map' : 'extension';
  return typeof v;
}
