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
  // Its nodes may have been edited in place: reuse nothing selected from any report.
  lastSelection.clear();
}

/**
 * Drops the stages memoised for `report` (not the last selections): after its answers are made
 * and cached as bodies, so that they do not stay alive as long as the report. Later renders of the
 * same report compute them again.
 */
export function releaseRenders(report: Report): void {
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
 * The last selection of each report topology: the report's node map and the rendered nodes made
 * from it. A report merged from several probes shares the node objects of the parts that did not
 * change with the previous merge, so a new report re-selects only the nodes that changed: the
 * same key holding the same node object reuses its rendered node (never mutated, rnode.ts
 * ownership rule). Kept per topology name rather than per node in a WeakMap: with one probe every
 * node is new in every report (latest entries re-stamped), and a WeakMap entry per node per
 * report cost ~2 µs each (half of the processes view's render), while a Map lookup by key is cheap.
 */
interface Selection {
  /** The report's node map and the rendered nodes; kept only when the next selection looks them up. */
  readonly source: ReadonlyMap<string, Node> | undefined;
  readonly nodes: ReadonlyMap<string, RNode> | undefined;
  /** Whether this selection looked its nodes up in the previous one and reused at least one. */
  readonly reused: boolean;
  /** Selections made since the last one that looked nodes up (see LOOKUP_EVERY). */
  readonly sinceLookup: number;
}
const lastSelection = new Map<TopologyName, Selection>();

/**
 * With one probe no node is ever reused (every node is new in each merged report) and the lookup
 * of each key in the previous selection (~0.13 µs a node, ~15 % of a select) is wasted. So after a
 * selection that reused nothing, the next ones skip the lookups, and every LOOKUP_EVERY-th
 * selection looks again: a window that starts sharing nodes (more probes) reuses them again at
 * most this many selections later. Skipping only costs reuse, never correctness.
 */
const LOOKUP_EVERY = 8;

/** Keys in a row that {@link selectNodes}' in-step walk may miss before it falls back to lookups. */
const MAX_WALK_MISSES = 64;

/** All nodes of report topology `name` as rendered nodes (Scope's `TopologySelector`). */
export function select(report: Report, name: TopologyName): RenderResult {
  return memo(report, `select:${name}`, (r) => ({ nodes: selectNodes(r, name), filtered: 0 }));
}

/**
 * What {@link select} gives, as a new map that the caller owns and may change (replace and add
 * entries; the rendered nodes themselves stay immutable): a stage that would otherwise copy the
 * selection into a map of its own (mapEndpoints' processes, one Map insert per process) takes
 * this instead. Not memoised: call it once per report, from a memoised stage.
 */
export function selectOwned(report: Report, name: TopologyName): Map<string, RNode> {
  return selectNodes(report, name);
}

function selectNodes(r: Report, name: TopologyName): Map<string, RNode> {
  const source = r.topologies[name].nodes;
  const nodes = new Map<string, RNode>();
  const last = lastSelection.get(name);
  const lastSource = last?.source;
  const lastNodes = last?.nodes;
  const lookup = lastSource !== undefined && lastNodes !== undefined && lastSource !== source;
  let reused = false;
  if (!lookup) {
    for (const [key, n] of source) nodes.set(key, fromReportNode(key, n, name));
  } else {
    // The previous selection is walked in step with this one: a merge keeps the relative order of
    // the nodes it had before (probe by probe; a probe that reported adds its new nodes among
    // them), so most nodes are found at the walk's position without hashing their keys into two
    // large maps (~0.13 µs a node at 500 probes). `lastNodes` holds `lastSource`'s keys in its
    // order (made from it; stages only replace or append entries), and a node found by the walk
    // is checked by id as well. Keys gone from this source are stepped over; a key the walk does
    // not find next (new, or moved) is looked up in the maps as before, and after a long run of
    // those the walk is given up. Which node is reused is the same either way.
    const lastEntries = lastSource.entries();
    const lastValues = lastNodes.values();
    let prev = lastEntries.next();
    let prevNode = lastValues.next();
    let walking = true;
    let misses = 0;
    for (const [key, n] of source) {
      let hit: RNode | undefined;
      if (walking) {
        while (prev.done !== true && prev.value[0] !== key && !source.has(prev.value[0])) {
          prev = lastEntries.next();
          prevNode = lastValues.next();
        }
        if (prev.done !== true && prev.value[0] === key) {
          if (prevNode.done !== true && prevNode.value.id === key) hit = prev.value[1] === n ? prevNode.value : undefined;
          else hit = prev.value[1] === n ? lastNodes.get(key) : undefined;
          prev = lastEntries.next();
          prevNode = lastValues.next();
          misses = 0;
        } else {
          hit = lastSource.get(key) === n ? lastNodes.get(key) : undefined;
          if (++misses > MAX_WALK_MISSES) walking = false;
        }
      } else {
        hit = lastSource.get(key) === n ? lastNodes.get(key) : undefined;
      }
      // Checked against what fromReportNode shares (forgetRenders also drops every selection).
      // No children or counters: the entry was not replaced by a stage's own copy (selectOwned).
      if (hit !== undefined && hit.latest === n.latest && hit.sets === n.sets && hit.metrics === n.metrics && hit.parents === n.parents &&
        hit.children === null && hit.counters === null && hit.topology === (n.topology === '' ? name : n.topology)) {
        nodes.set(key, hit);
        reused = true;
        continue;
      }
      nodes.set(key, fromReportNode(key, n, name));
    }
  }
  const sinceLookup = lookup || last === undefined ? 0 : last.sinceLookup + 1;
  // Without a lookup next time, holding this selection's maps would only keep the previous
  // report's rendered nodes alive (copied by young-generation GCs) past that report.
  const nextLooks = reused || sinceLookup + 1 >= LOOKUP_EVERY;
  if (source.size > 0) {
    lastSelection.set(name, nextLooks ? { source, nodes, reused, sinceLookup } : { source: undefined, nodes: undefined, reused, sinceLookup });
  }
  return nodes;
}
