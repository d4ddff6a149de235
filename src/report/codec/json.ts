/**
 * Scope-JSON ↔ wire tree. Parsing is V8's `JSON.parse` (native, and iterative — deep nesting
 * cannot overflow its stack); the tree then goes through the same mapping as msgpack.
 */
import type { Report } from '../types.js';
import { ReportDecodeError } from './errors.js';
import { reportToWireJson } from './to-wire.js';

const utf8Decoder = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

/**
 * Go rejects a JSON float for an integer field (`"rank": 2.0`, wire §2.1), but `JSON.parse` turns
 * `2.0` into `2`. So the text is checked for a fraction or exponent after the integer fields' keys.
 * (Integer fields with free-form keys — legacy `counters` — are not covered.) A cheap scan first;
 * a hit counts only if the quote opens a key (preceded by `{` or `,`), not a string ending in it.
 */
const FLOAT_FOR_INT = /"(rank|truncate|Count|Total|Window)"\s*:\s*-?\d+(?:\.|[eE])/g;

function opensKey(text: string, quoteAt: number): boolean {
  let i = quoteAt - 1;
  while (i >= 0 && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i--;
  return i >= 0 && (text[i] === '{' || text[i] === ',');
}

/** UTF-8 JSON bytes → the text and its parsed tree. Throws `ReportDecodeError` (malformed). */
export function parseJson(bytes: Uint8Array): { text: string; tree: unknown } {
  const text = utf8Decoder.decode(bytes);
  try {
    return { text, tree: JSON.parse(text) };
  } catch (e) {
    throw new ReportDecodeError('malformed', `malformed JSON: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Throws `ReportDecodeError` (bad-type) if an integer field is written as a float (`2.0`), which
 * the parsed tree cannot show. Run after the mapping, whose errors carry a full path.
 */
export function checkJsonIntegers(text: string): void {
  FLOAT_FOR_INT.lastIndex = 0;
  for (let m = FLOAT_FOR_INT.exec(text); m !== null; m = FLOAT_FOR_INT.exec(text)) {
    if (opensKey(text, m.index)) {
      throw new ReportDecodeError('bad-type', `${m[1]!}: expected integer, got float (${m[0]}…)`);
    }
  }
}

/** Report → Scope-JSON bytes (UTF-8). */
export function encodeJson(r: Report): Uint8Array {
  return utf8Encoder.encode(JSON.stringify(reportToWireJson(r)));
}
