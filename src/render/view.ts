/**
 * A view = a topology's renderer plus the option filters of a request (app §1.15) and the base
 * transform that removes unconnected pseudo nodes; plus its stats (app §1.4).
 */
import type { Report } from '../report/types.js';
import type { ApiTopologyStats } from './api-types.js';
import { filterNodes, removeUnconnectedPseudo, type NodePredicate } from './filters.js';
import { memo } from './memo.js';
import { optionGroups, type ContainerLabelFilter, type TopologyDef } from './registry.js';
import { PSEUDO, type RenderResult } from './rnode.js';

export type Query = Readonly<Record<string, string>>;

/**
 * The node predicate the query selects, or undefined for none. As in Scope, a request without any
 * query parameter gets no option filters at all (not even the defaults); any parameter switches
 * every group to its value or default. Values matching no option contribute nothing.
 */
export function queryPredicate(
  report: Report,
  def: TopologyDef,
  query: Query,
  labelFilters: readonly ContainerLabelFilter[] = [],
): NodePredicate | undefined {
  if (Object.keys(query).length === 0) return undefined;
  const perGroup: NodePredicate[] = [];
  for (const group of optionGroups(report, def, labelFilters)) {
    const raw = Object.hasOwn(query, group.id) ? query[group.id]! : group.defaultValue;
    const values = group.selectType === 'union' ? raw.split(',') : [raw];
    const alternatives: NodePredicate[] = [];
    let matchAll = false;
    for (const v of values) {
      const option = group.options.find((o) => o.value === v);
      if (option === undefined) continue;
      const f = option.filter;
      if (f === undefined) matchAll = true;
      else if (option.filterPseudo === true) alternatives.push(f);
      else alternatives.push((n) => n.topology === PSEUDO || f(n));
    }
    if (matchAll || alternatives.length === 0) continue;
    perGroup.push(alternatives.length === 1 ? alternatives[0]! : (n) => alternatives.some((f) => f(n)));
  }
  if (perGroup.length === 0) return undefined;
  return perGroup.length === 1 ? perGroup[0]! : (n) => perGroup.every((f) => f(n));
}

/** Canonical cache key of the filters a query selects for a topology. */
function queryKey(report: Report, def: TopologyDef, query: Query, labelFilters: readonly ContainerLabelFilter[]): string {
  if (Object.keys(query).length === 0) return '';
  const parts: string[] = labelFilters.map((f) => JSON.stringify(f));
  for (const group of optionGroups(report, def, labelFilters)) {
    parts.push(`${group.id}=${Object.hasOwn(query, group.id) ? query[group.id]! : group.defaultValue}`);
  }
  return `?${parts.join('&')}`;
}

/** Applies the query's option filters, then removes unconnected pseudo nodes. */
export function applyOptions(
  report: Report,
  def: TopologyDef,
  input: RenderResult,
  query: Query,
  labelFilters: readonly ContainerLabelFilter[] = [],
): RenderResult {
  const pred = queryPredicate(report, def, query, labelFilters);
  const filtered = pred === undefined ? input : filterNodes(input, pred, false);
  return removeUnconnectedPseudo(filtered);
}

/** The rendered, filtered view (memoised per report and effective options). */
export function renderView(
  report: Report,
  def: TopologyDef,
  query: Query,
  labelFilters: readonly ContainerLabelFilter[] = [],
): RenderResult {
  return memo(report, `view:${def.id}${queryKey(report, def, query, labelFilters)}`, (r) =>
    applyOptions(r, def, def.render(r), query, labelFilters),
  );
}

/** Stats of a view (app §1.4). */
export function viewStats(view: RenderResult): ApiTopologyStats {
  let nonPseudo = 0;
  let edges = 0;
  for (const n of view.nodes.values()) {
    if (n.topology !== PSEUDO) nonPseudo++;
    edges += n.adjacency.size;
  }
  return { node_count: view.nodes.size, nonpseudo_node_count: nonPseudo, edge_count: edges, filtered_nodes: view.filtered };
}
