/**
 * The render pipeline's public surface: merged report → Scope API responses (app §1.4–§1.7).
 * Everything here is pure; results are JSON-ready objects with Scope's field names.
 */
import type { Report } from '../report/types.js';
import type {
  ApiNodeDetailsResponse,
  ApiTopologyDesc,
  ApiTopologyDiff,
  ApiTopologyResponse,
  NodeSummary,
} from './api-types.js';

export type * from './api-types.js';

/**
 * Query-string options of a topology request (app §1.15), e.g.
 * `{ system: 'application', stopped: 'running', pseudo: 'hide' }`. Pass the request's whole query
 * (including `timestamp`, `t`, …): as in Scope, an empty query applies no option filters at all,
 * while any parameter switches every option group to its default.
 */
export type TopologyQuery = Readonly<Record<string, string>>;

export interface RenderContext {
  /** Wall-clock time of the render in milliseconds since the epoch; default `Date.now()`. */
  nowMillis?: number;
}

/** GET /api/topology: the list with sub-topologies, options and stats (app §1.4), JSON-ready. */
export function listTopologies(report: Report, ctx?: RenderContext): ApiTopologyDesc[] {
  void report;
  void ctx;
  return [];
}

/** GET /api/topology/{t}: `{nodes: {id: NodeSummary}}` JSON-ready; undefined for an unknown topology id. */
export function renderTopology(
  report: Report,
  topologyId: string,
  query: TopologyQuery,
  ctx?: RenderContext,
): ApiTopologyResponse | undefined {
  void report;
  void query;
  void ctx;
  return isKnownTopology(topologyId) ? { nodes: {} } : undefined;
}

/** GET /api/topology/{t}/{id}: `{node: DetailedNode}`; undefined for unknown topology or node. */
export function renderNodeDetails(
  report: Report,
  topologyId: string,
  nodeId: string,
  query: TopologyQuery,
  ctx?: RenderContext,
): ApiNodeDetailsResponse | undefined {
  void report;
  void topologyId;
  void nodeId;
  void query;
  void ctx;
  return undefined;
}

/** Websocket diff between two renders (app §1.6): {add, update, remove, reset?} with Scope's null conventions. */
export function diffTopology(
  prev: Record<string, NodeSummary> | undefined,
  next: Record<string, NodeSummary>,
): ApiTopologyDiff {
  void prev;
  void next;
  return { add: null, update: null, remove: null };
}

const KNOWN = new Set([
  'processes',
  'processes-by-name',
  'containers',
  'containers-by-hostname',
  'containers-by-image',
  'containers-by-service',
  'pods',
  'kube-controllers',
  'services',
  'ecs-tasks',
  'ecs-services',
  'swarm-services',
  'hosts',
  'weave',
]);

/** Whether `topologyId` names an API topology (`processes`, `containers-by-image`, …). */
export function isKnownTopology(topologyId: string): boolean {
  return KNOWN.has(topologyId);
}
