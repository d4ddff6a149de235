/**
 * Node merging (wire §2.4 `Node.Merge`, §2.5 latest maps).
 *
 * `mergeNodeInto(dst, src)` mutates `dst` and the Maps it holds; it never mutates `src`, and may
 * share `src`'s immutable values (StringSets, LatestEntry, Metric, child Nodes) into `dst` — see
 * copy.ts. `dst` must therefore own its Maps: a node taken from someone else's report must be
 * `copyNode`d first (the pure `mergeNode` does that).
 */
import { copyNode } from './copy.js';
import { mergeMetric } from './merge-metric.js';
import { mergeSetsInto, mergeStringSets } from './merge-sets.js';
import type { LatestMap, Node } from './types.js';

/** Latest key holding a node's active control ids joined with `;`. */
export const ACTIVE_CONTROLS_KEY = 'active_controls';
/** Topology name whose nodes union `active_controls` on merge. */
const HOST_TOPOLOGY = 'host';

/** Per key, the entry with the later timestamp wins; on equal timestamps `dst` keeps its own. */
export function mergeLatestInto(dst: LatestMap, src: LatestMap): void {
  if (dst === src) return;
  for (const [key, entry] of src) {
    const existing = dst.get(key);
    if (existing === undefined || entry.timestamp > existing.timestamp) dst.set(key, entry);
  }
}

function splitControls(value: string): string[] {
  return value === '' ? [] : value.split(';').filter((c) => c !== '');
}

/**
 * Host nodes only (wire §2.4): the union of both sides' `active_controls`, stamped with the newer
 * timestamp, so a host's `host_exec` (its own probe) and `kubernetes_cordon_node` (the cluster
 * probe) both survive. The union is sorted so the result does not depend on operand order.
 */
function unionActiveControlsInto(dst: LatestMap, src: LatestMap): void {
  const a = dst.get(ACTIVE_CONTROLS_KEY);
  const b = src.get(ACTIVE_CONTROLS_KEY);
  if (a === undefined || b === undefined || a.value === b.value) return;
  const union = [...new Set([...splitControls(a.value), ...splitControls(b.value)])].sort();
  dst.set(ACTIVE_CONTROLS_KEY, {
    timestamp: a.timestamp >= b.timestamp ? a.timestamp : b.timestamp,
    value: union.join(';'),
  });
}

/**
 * Merges `src` into `dst` in place. `isHost` forces the host rule (for partial nodes whose
 * `topology` is empty but which live in the Host topology); otherwise either side's `topology`
 * being `host` triggers it. Different non-empty topologies keep `dst`'s (Go panics; we don't).
 */
export function mergeNodeInto(dst: Node, src: Node, isHost = false): void {
  if (dst === src) return;
  if (dst.id === '') dst.id = src.id;
  if (dst.topology === '') dst.topology = src.topology;
  if (src.sets.size > 0) mergeSetsInto(dst.sets, src.sets);
  dst.adjacency = mergeStringSets(dst.adjacency, src.adjacency);
  if (src.latest.size > 0) {
    if (isHost || dst.topology === HOST_TOPOLOGY || src.topology === HOST_TOPOLOGY) {
      unionActiveControlsInto(dst.latest, src.latest);
    }
    mergeLatestInto(dst.latest, src.latest);
  }
  if (src.metrics.size > 0) {
    for (const [key, metric] of src.metrics) {
      const existing = dst.metrics.get(key);
      dst.metrics.set(key, existing === undefined ? metric : mergeMetric(existing, metric));
    }
  }
  if (src.parents.size > 0) mergeSetsInto(dst.parents, src.parents);
  if (src.children !== null) {
    if (dst.children === null) dst.children = new Map(src.children);
    else for (const [key, child] of src.children) dst.children.set(key, child);
  }
}

/** Pure node merge: a new node; neither input is changed (immutable values are shared). */
export function mergeNode(a: Node, b: Node, isHost = false): Node {
  const out = copyNode(a);
  mergeNodeInto(out, b, isHost);
  return out;
}
