/**
 * Building blocks the probe's reporters and the app's renderer use to fill nodes and topologies.
 * Unlike Go's copy-returning `With…` methods these mutate the node they are given (and return it,
 * for chaining): reporters build fresh nodes every tick, so copying would be pure waste. Values
 * stored are immutable (see copy.ts): a StringSet passed in must not be mutated afterwards.
 */
import { mergeNodeInto, ACTIVE_CONTROLS_KEY } from './merge-node.js';
import { addToStringSet, makeStringSet, mergeStringSets } from './merge-sets.js';
import type { Metric, Node, StringSet, Time, Topology } from './types.js';

/** Prefix of counter keys in `latest` (wire §2.4). */
export const COUNTER_PREFIX = 'count_';

/**
 * Adds `node` to `topology` under `node.id`, merging into an existing node of that id. A new node
 * is stored as is: the topology takes ownership of it.
 */
export function addNode(topology: Topology, node: Node): void {
  const existing = topology.nodes.get(node.id);
  if (existing === undefined) topology.nodes.set(node.id, node);
  else mergeNodeInto(existing, node);
}

/** Sets latest `key` to `value` stamped `timestamp` (replaces any older or newer entry). */
export function withLatest(node: Node, key: string, value: string, timestamp: Time): Node {
  node.latest.set(key, { timestamp, value });
  return node;
}

/** Sets every entry of `values` with the same timestamp (`WithLatests`). */
export function withLatests(node: Node, values: Iterable<[string, string]>, timestamp: Time): Node {
  for (const [key, value] of values) node.latest.set(key, { timestamp, value });
  return node;
}

/** The value of latest `key`, or `undefined`. */
export function latestValue(node: Node, key: string): string | undefined {
  return node.latest.get(key)?.value;
}

/** Unions `values` (any order, duplicates allowed) into set `key`. */
export function withSet(node: Node, key: string, values: Iterable<string>): Node {
  const set = makeStringSet(values);
  const existing = node.sets.get(key);
  node.sets.set(key, existing === undefined ? set : mergeStringSets(existing, set));
  return node;
}

/** Adds one parent id under `topology` (a topology name such as `host`). */
export function withParent(node: Node, topology: string, parentId: string): Node {
  const existing = node.parents.get(topology);
  node.parents.set(topology, existing === undefined ? [parentId] : addToStringSet(existing, parentId));
  return node;
}

/** Unions `parentIds` (any order) under `topology`. */
export function withParents(node: Node, topology: string, parentIds: Iterable<string>): Node {
  const set = makeStringSet(parentIds);
  const existing = node.parents.get(topology);
  node.parents.set(topology, existing === undefined ? set : mergeStringSets(existing, set));
  return node;
}

/** Adds edges from `node` to each of `ids`. */
export function withAdjacent(node: Node, ...ids: string[]): Node {
  node.adjacency =
    ids.length === 1 ? addToStringSet(node.adjacency, ids[0]!) : mergeStringSets(node.adjacency, makeStringSet(ids));
  return node;
}

/** Stores `metric` under `key`, replacing any previous metric (use mergeMetric to accumulate). */
export function setMetric(node: Node, key: string, metric: Metric): Node {
  node.metrics.set(key, metric);
  return node;
}

/** Marks which controls are active on the node: latest `active_controls` = ids joined by `;`. */
export function withActiveControls(node: Node, controlIds: readonly string[], timestamp: Time): Node {
  return withLatest(node, ACTIVE_CONTROLS_KEY, controlIds.join(';'), timestamp);
}

/** The node's active control ids (empty when none; empty names dropped, unlike Go's `[""]`). */
export function activeControls(node: Node): string[] {
  const value = latestValue(node, ACTIVE_CONTROLS_KEY);
  return value === undefined || value === '' ? [] : value.split(';').filter((c) => c !== '');
}

/** The value of counter `name` (latest `count_<name>`), or `undefined` if absent or not a number. */
export function lookupCounter(node: Node, name: string): number | undefined {
  const text = latestValue(node, COUNTER_PREFIX + name);
  if (text === undefined) return undefined;
  const value = Number.parseInt(text, 10);
  return Number.isNaN(value) ? undefined : value;
}

/** Adds `value` to counter `name` (`AddCounter`): existing value + `value`, stamped `timestamp`. */
export function addCounter(node: Node, name: string, value: number, timestamp: Time): Node {
  const previous = lookupCounter(node, name) ?? 0;
  return withLatest(node, COUNTER_PREFIX + name, String(previous + value), timestamp);
}

/** Whether a StringSet-valued field exists and is non-empty (convenience for renderers). */
export function hasSet(node: Node, key: string): boolean {
  const set: StringSet | undefined = node.sets.get(key);
  return set !== undefined && set.length > 0;
}
