/**
 * StringSet and Sets merging (wire §2.6): merge-joins of already sorted, de-duplicated arrays.
 * Nothing here sorts an input that is already a StringSet.
 *
 * StringSet arrays are immutable values: merges return one of their inputs unchanged whenever the
 * union equals it (no allocation in the steady state where a probe reports the same sets every
 * second), so callers must never mutate a StringSet in place.
 */
import type { Sets, StringSet } from './types.js';

/** Whether every element of sorted `b` is in sorted `a` (a walk, no allocation). */
function isSubset(a: StringSet, b: StringSet): boolean {
  if (b.length > a.length) return false;
  let i = 0;
  for (let j = 0; j < b.length; j++) {
    const x = b[j]!;
    while (i < a.length && a[i]! < x) i++;
    if (i === a.length || a[i] !== x) return false;
    i++;
  }
  return true;
}

/**
 * Union of two StringSets by merge-join. Returns `a` itself when `b ⊆ a`, `b` when `a ⊆ b`, and
 * a new array otherwise.
 */
export function mergeStringSets(a: StringSet, b: StringSet): StringSet {
  if (b.length === 0 || a === b) return a;
  if (a.length === 0) return b;
  // Disjoint ranges: concatenation is already sorted.
  if (a[a.length - 1]! < b[0]!) return a.concat(b);
  if (b[b.length - 1]! < a[0]!) return b.concat(a);
  if (isSubset(a, b)) return a;
  if (isSubset(b, a)) return b;
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x < y) {
      out.push(x);
      i++;
    } else if (y < x) {
      out.push(y);
      j++;
    } else {
      out.push(x);
      i++;
      j++;
    }
  }
  while (i < a.length) out.push(a[i++]!);
  while (j < b.length) out.push(b[j++]!);
  return out;
}

/** A StringSet from arbitrary strings: sorted (UTF-16 code-unit order) and de-duplicated. */
export function makeStringSet(values: Iterable<string>): StringSet {
  const sorted = Array.from(values).sort();
  let n = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (i === 0 || sorted[i] !== sorted[n - 1]) sorted[n++] = sorted[i]!;
  }
  sorted.length = n;
  return sorted;
}

/** Whether a StringSet contains `value` (binary search). */
export function stringSetContains(set: StringSet, value: string): boolean {
  let lo = 0;
  let hi = set.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const x = set[mid]!;
    if (x === value) return true;
    if (x < value) lo = mid + 1;
    else hi = mid;
  }
  return false;
}

/** `set ∪ {value}`; returns `set` itself when already present. */
export function addToStringSet(set: StringSet, value: string): StringSet {
  let lo = 0;
  let hi = set.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const x = set[mid]!;
    if (x === value) return set;
    if (x < value) lo = mid + 1;
    else hi = mid;
  }
  const out = set.slice();
  out.splice(lo, 0, value);
  return out;
}

/** Whether two StringSets are equal element-wise. */
export function stringSetsEqual(a: StringSet, b: StringSet): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Per-key union of `src` into `dst` (mutates `dst` only; `src`'s arrays may be shared). */
export function mergeSetsInto(dst: Sets, src: Sets): void {
  if (dst === src) return;
  for (const [key, set] of src) {
    const existing = dst.get(key);
    dst.set(key, existing === undefined ? set : mergeStringSets(existing, set));
  }
}

/** Per-key union as a new map. */
export function mergeSets(a: Sets, b: Sets): Sets {
  const out = new Map(a);
  mergeSetsInto(out, b);
  return out;
}

/** Whether two Sets maps hold equal sets under equal keys (Go's `DeepEqual` on Sets). */
export function setsEqual(a: Sets, b: Sets): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const [key, set] of a) {
    const other = b.get(key);
    if (other === undefined || !stringSetsEqual(set, other)) return false;
  }
  return true;
}
