/**
 * The render pipeline's public surface: merged report → Scope API responses (app §1.4–§1.7).
 * Everything here is pure; results are JSON-ready objects with Scope's field names.
 */
import type { Report } from '../report/types.js';
import type {
  ApiNodeDetailsResponse,
  ApiTopologyDesc,
  ApiTopologyOptionGroup,
  ApiTopologyResponse,
  NodeSummary,
} from './api-types.js';
import { censorFromQuery, censorSummary } from './censor.js';
import { detailedNode } from './details.js';
import { edgeMetrics, edgeMetricsField } from './edge-metrics.js';
import { TOPOLOGY_DEFS, optionGroups, topologyDef, type ContainerLabelFilter, type OptionGroupDef } from './registry.js';
import { summarize } from './summary.js';
import { renderView, viewStats } from './view.js';

export type * from './api-types.js';
/**
 * Renders are memoised per report *object* (app §2.5): pass a new report object whenever the
 * content changes, or call `forgetRenders(report)` after mutating one in place.
 */
export { forgetRenders, releaseRenders } from './memo.js';

/**
 * Query-string options of a topology request (app §1.15), e.g.
 * `{ system: 'application', stopped: 'running', pseudo: 'hide' }`. Pass the request's whole query
 * (including `timestamp`, `t`, …): as in Scope, an empty query applies no option filters at all,
 * while any parameter switches every option group to its default.
 */
export type TopologyQuery = Readonly<Record<string, string>>;

export interface RenderContext {
  /**
   * Wall-clock time of the render in milliseconds since the epoch. Reserved: no stage depends on
   * the clock today (renders are pure functions of the report).
   */
  nowMillis?: number;
  /**
   * Custom container label filters from `--app.container-label-filter` and
   * `--app.container-label-filter-exclude` (app §2.3), in flag order; default none.
   */
  containerLabelFilters?: readonly ContainerLabelFilter[];
}

export type { ContainerLabelFilter } from './registry.js';

/**
 * GET /api/topology: the list with sub-topologies, options and stats (app §1.4), JSON-ready.
 * `query` holds the request's option values, used for every topology's stats (as in Scope);
 * with no query at all, stats are of the unfiltered views.
 */
export function listTopologies(report: Report, ctx?: RenderContext, query: TopologyQuery = {}): ApiTopologyDesc[] {
  const labelFilters = ctx?.containerLabelFilters ?? [];
  const byId = new Map<string, ApiTopologyDesc>();
  const top: ApiTopologyDesc[] = [];
  for (const def of TOPOLOGY_DEFS) {
    const groups = optionGroups(report, def, labelFilters);
    const desc: ApiTopologyDesc = {
      name: def.name,
      rank: def.rank,
      hide_if_empty: def.hideIfEmpty,
      options: def.groups === null ? null : groups.map(toApiGroup),
      url: `/api/topology/${def.id}`,
      stats: viewStats(renderView(report, def, query, labelFilters)),
    };
    byId.set(def.id, desc);
    if (def.parent === undefined) top.push(desc);
    else {
      const parent = byId.get(def.parent);
      if (parent !== undefined) (parent.sub_topologies ??= []).push(desc);
    }
  }
  // Key order as Scope: name, rank, hide_if_empty, options, url, sub_topologies, stats.
  return top.map(reorder);
}

function reorder(d: ApiTopologyDesc): ApiTopologyDesc {
  const out: ApiTopologyDesc = { name: d.name, rank: d.rank, hide_if_empty: d.hide_if_empty, options: d.options, url: d.url } as ApiTopologyDesc;
  if (d.sub_topologies !== undefined) out.sub_topologies = d.sub_topologies.map(reorder);
  out.stats = d.stats;
  return out;
}

function toApiGroup(g: OptionGroupDef): ApiTopologyOptionGroup {
  const out: ApiTopologyOptionGroup = { id: g.id, defaultValue: g.defaultValue };
  if (g.options.length > 0) out.options = g.options.map((o) => ({ value: o.value, label: o.label }));
  if (g.selectType === 'union') out.selectType = 'union';
  if (g.noneLabel !== undefined) out.noneLabel = g.noneLabel;
  return out;
}

/** GET /api/topology/{t}: `{nodes: {id: NodeSummary}}` JSON-ready; undefined for an unknown topology id. */
export function renderTopology(
  report: Report,
  topologyId: string,
  query: TopologyQuery,
  ctx?: RenderContext,
): ApiTopologyResponse | undefined {
  const def = topologyDef(topologyId);
  if (def === undefined) return undefined;
  const view = renderView(report, def, query, ctx?.containerLabelFilters);
  const censor = censorFromQuery(query);
  // Null prototype: a node id such as `__proto__` (from a hostile report) is just a key.
  const nodes: Record<string, NodeSummary> = Object.create(null) as Record<string, NodeSummary>;
  const edges = edgeMetrics(view);
  for (const [id, n] of view.nodes) {
    const summary = summarize(report, n);
    if (summary === undefined) continue;
    // Next to `adjacency`; absent without figures so Scope-shaped answers stay as they were.
    const perEdge = edges.size === 0 ? undefined : edgeMetricsField(edges, id);
    const s = perEdge === undefined ? summary : { ...summary, edge_metrics: perEdge };
    nodes[id] = censor === undefined ? s : censorSummary(s, censor);
  }
  return { nodes };
}

/**
 * GET /api/topology/{t}/{id}: `{node: DetailedNode}`; undefined for unknown topology or node.
 * Nodes hidden by the query's filters are still served (their neighbours' edges to them are cut).
 */
export function renderNodeDetails(
  report: Report,
  topologyId: string,
  nodeId: string,
  query: TopologyQuery,
  ctx?: RenderContext,
): ApiNodeDetailsResponse | undefined {
  const def = topologyDef(topologyId);
  if (def === undefined) return undefined;
  const base = def.render(report);
  const node = base.nodes.get(nodeId);
  if (node === undefined) return undefined;
  const view = renderView(report, def, query, ctx?.containerLabelFilters);
  const shown = view.nodes.get(nodeId) ?? node;
  const detailed = detailedNode(report, topologyId, shown, view.nodes);
  if (detailed === undefined) return undefined;
  const censor = censorFromQuery(query);
  if (censor === undefined) return { node: detailed };
  const censored = censorSummary(detailed, censor);
  if (censored.children !== undefined) {
    censored.children = censored.children.map((g) => ({ ...g, nodes: g.nodes === null ? null : g.nodes.map((c) => censorSummary(c, censor)) }));
  }
  return { node: censored };
}

/** Websocket diff between two renders (app §1.6): {add, update, remove, reset?} with Scope's null conventions. */
export { diffTopology } from './diff.js';

/** The JSON body of an answer: the bytes of `JSON.stringify(value)`, cheaper for topology answers. */
export { serialiseJson } from './serialise.js';

/** Whether `topologyId` names an API topology (`processes`, `containers-by-image`, …). */
export function isKnownTopology(topologyId: string): boolean {
  return topologyDef(topologyId) !== undefined;
}
