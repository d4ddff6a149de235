/**
 * Shared empty containers for decoded reports. Most nodes of a report have no sets, parents or
 * metrics and many no adjacency; an empty `Map` costs ~150 bytes of heap and every stored report
 * lives through the collector's window, so the GC copies and marks each one several times. Decoded
 * reports are immutable to the app (merges copy first, see copy.ts), so one empty instance serves
 * them all — read-only: a stray in-place write throws instead of leaking into every node.
 */
import type { StringSet } from '../types.js';

function readOnly(): never {
  throw new TypeError('this empty Map is shared by decoded reports and read-only: copy it before writing');
}

/** An empty Map whose `set`/`delete`/`clear` throw (non-enumerable, so deep equality sees a plain empty Map). */
function frozenEmptyMap(): Map<string, never> {
  const m = new Map<string, never>();
  for (const k of ['set', 'delete', 'clear']) {
    Object.defineProperty(m, k, { value: readOnly, enumerable: false, writable: false, configurable: false });
  }
  return Object.freeze(m);
}

/** The one empty Map of decoded nodes' `sets`, `parents`, `metrics` and `latest` when empty. */
export const EMPTY_MAP: ReadonlyMap<string, never> = frozenEmptyMap();

/** The one empty StringSet of decoded reports (frozen). */
export const EMPTY_SET: StringSet = Object.freeze([]);

/** `EMPTY_MAP` typed as the (mutable-typed) model Map it stands in for. */
export function emptyMap<V>(): Map<string, V> {
  return EMPTY_MAP as unknown as Map<string, V>;
}
