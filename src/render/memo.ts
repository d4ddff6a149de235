/**
 * Per-report memoisation of render stages (Scope's `Memoise`, app §2.5): `/api/topology` renders
 * every view, and details re-render the view, so shared inner stages (processes, containers…)
 * run once per report. Keyed by report object identity: the app produces a new merged report
 * object whenever its content changes, and the cache goes away with the report.
 */
import type { Node, Report, TopologyName } from '../report/types.js';
import { fromReportNode, type RenderResult, type RNode } from './rnode.js';

const caches = new WeakMap<Report, Map<string, unknown>>();

/** Drops everything memoised for `report` (call after mutating a report in place). */
export function forgetRenders(report: Report): void {
  caches.delete(report);
}

/** `compute(report)` once per (report, key). Results must be treated as immutable. */
export function memo<T>(report: Report, key: string, compute: (report: Report) => T): T {
  let cache = caches.get(report);
  if (cache === undefined) {
    cache = new Map();
    caches.set(report, cache);
  }
  if (cache.has(key)) return cache.get(key) as T;
  const value = compute(report);
  cache.set(key, value);
  return value;
}

/**
 * Rendered nodes by report node object. The app's merged reports share node objects with the
 * previous merge (copy-on-write, per probe), so a new report re-selects only the nodes that
 * changed; rendered nodes from `select` are never mutated (rnode.ts ownership rule).
 */
const selected = new WeakMap<Node, { rn: RNode; adjacency: readonly string[] }>();

/** All nodes of report topology `name` as rendered nodes (Scope's `TopologySelector`). */
export function select(report: Report, name: TopologyName): RenderResult {
  return memo(report, `select:${name}`, (r) => {
    const nodes = new Map<string, RNode>();
    for (const [key, n] of r.topologies[name].nodes) {
      const hit = selected.get(n);
      // Checked against what fromReportNode copies (a node edited in place and forgetRenders'd).
      if (hit !== undefined && hit.adjacency === n.adjacency && hit.rn.id === key && hit.rn.topology === (n.topology === '' ? name : n.topology) &&
        hit.rn.latest === n.latest && hit.rn.sets === n.sets && hit.rn.metrics === n.metrics && hit.rn.parents === n.parents) {
        nodes.set(key, hit.rn);
        continue;
      }
      const rn = fromReportNode(key, n, name);
      selected.set(n, { rn, adjacency: n.adjacency });
      nodes.set(key, rn);
    }
    return { nodes, filtered: 0 };
  });
}
