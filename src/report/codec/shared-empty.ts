/**
 * Shared empty containers for decoded reports. Most nodes of a report have no sets, parents or
 * metrics and many no adjacency; an empty `Map` costs ~150 bytes of heap and every stored report
 * lives through the collector's window, so the GC copies and marks each one several times. Decoded
 * reports are immutable to the app (merges copy first, see copy.ts), so one empty instance serves
 * them all — read-only: a stray in-place write throws instead of leaking into every node.
 */
import type { StringSet } from '../types.js';

export { EMPTY_MAP, emptyMap } from '../model.js';

/** The one empty StringSet of decoded reports (frozen). */
export const EMPTY_SET: StringSet = Object.freeze([]);
