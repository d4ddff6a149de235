/**
 * The trust boundary: every JSON body and websocket message is checked here, once, and repaired
 * where a field is merely missing (excalidraw's `restore` approach). Anything unusable throws
 * `ApiShapeError`; past this module the data is typed.
 */
import type { ApiDetails, ControlResponse, DetailedNode, EdgeMetrics, NodeSummary, TopologyDesc, TopologyDiff } from '../domain/api-types.js';

export class ApiShapeError extends Error {
  constructor(what: string) {
    super(`Unexpected response from the app: ${what}`);
    this.name = 'ApiShapeError';
  }
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function s(v: unknown, fallback = ''): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : fallback;
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function parseApiDetails(v: unknown): ApiDetails {
  if (!isObj(v)) throw new ApiShapeError('/api is not an object');
  const caps: Record<string, boolean> = {};
  if (isObj(v['capabilities'])) for (const [k, b] of Object.entries(v['capabilities'])) caps[k] = b === true;
  const out: ApiDetails = {
    id: s(v['id']),
    version: s(v['version'], 'unknown'),
    hostname: s(v['hostname']),
    plugins: arr(v['plugins']).filter(isObj).map((p) => {
      const spec: ApiDetails['plugins'][number] = { id: s(p['id']), label: s(p['label'], s(p['id'])) };
      if (typeof p['description'] === 'string') spec.description = p['description'];
      if (typeof p['status'] === 'string') spec.status = p['status'];
      return spec;
    }),
    capabilities: caps,
  };
  const nv = v['newVersion'];
  if (isObj(nv)) out.newVersion = { version: s(nv['version']), downloadUrl: s(nv['downloadUrl']) };
  return out;
}

function parseTopology(v: unknown): TopologyDesc {
  if (!isObj(v) || typeof v['url'] !== 'string') throw new ApiShapeError('topology without url');
  // Option groups and stats are structurally simple; keep them as sent after a shallow check.
  const options = Array.isArray(v['options']) ? (v['options'].filter(isObj) as unknown as TopologyDesc['options']) : null;
  const t: TopologyDesc = {
    name: s(v['name'], v['url']),
    rank: typeof v['rank'] === 'number' ? v['rank'] : 0,
    hide_if_empty: v['hide_if_empty'] === true,
    options,
    url: v['url'],
  };
  if (Array.isArray(v['sub_topologies'])) t.sub_topologies = v['sub_topologies'].map(parseTopology);
  if (isObj(v['stats'])) t.stats = v['stats'] as unknown as TopologyDesc['stats'] & object;
  return t;
}

export function parseTopologies(v: unknown): TopologyDesc[] {
  if (!Array.isArray(v)) throw new ApiShapeError('/api/topology is not an array');
  return v.map(parseTopology);
}

/** Checks the mandatory summary fields (§7.3) and drops malformed optional ones. */
export function parseNodeSummary(v: unknown): NodeSummary {
  if (!isObj(v) || typeof v['id'] !== 'string') throw new ApiShapeError('node without id');
  const n = { ...v } as unknown as NodeSummary;
  n.label = s(v['label'], v['id']);
  n.labelMinor = s(v['labelMinor']);
  n.rank = s(v['rank']);
  if (v['adjacency'] !== undefined && !Array.isArray(v['adjacency'])) delete n.adjacency;
  if (Array.isArray(v['adjacency'])) n.adjacency = v['adjacency'].filter((x): x is string => typeof x === 'string');
  for (const k of ['metadata', 'metrics', 'parents', 'tables'] as const) {
    if (v[k] !== undefined && !Array.isArray(v[k])) delete n[k];
  }
  if (n.metrics) n.metrics = n.metrics.filter((m) => isObj(m) && typeof m.value === 'number');
  if (v['edge_metrics'] !== undefined) {
    const edges = parseEdgeMetrics(v['edge_metrics']);
    if (edges === undefined) delete n.edge_metrics;
    else n.edge_metrics = edges;
  }
  return n;
}

const EDGE_FIELDS = ['bytes_sent_per_s', 'bytes_received_per_s', 'connections_per_s', 'rtt_us_median', 'rtt_us_p95', 'retransmits', 'resets', 'bytes_sent', 'bytes_received'] as const;

/** `edge_metrics` (OpenScope): per target, finite non-negative numbers only; undefined when nothing usable. */
function parseEdgeMetrics(v: unknown): Record<string, EdgeMetrics> | undefined {
  if (!isObj(v)) return undefined;
  const out: Record<string, EdgeMetrics> = Object.create(null) as Record<string, EdgeMetrics>;
  let any = false;
  const num = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0;
  for (const [target, raw] of Object.entries(v)) {
    if (!isObj(raw)) continue;
    const f: EdgeMetrics = { connections: num(raw['connections']) ? raw['connections'] : 0 };
    for (const k of EDGE_FIELDS) {
      const x = raw[k];
      if (num(x)) f[k] = x;
    }
    out[target] = f;
    any = true;
  }
  return any ? out : undefined;
}

export function parseNodes(v: unknown): Map<string, NodeSummary> {
  if (!isObj(v) || !isObj(v['nodes'])) throw new ApiShapeError('topology without nodes');
  const out = new Map<string, NodeSummary>();
  for (const raw of Object.values(v['nodes'])) {
    const n = parseNodeSummary(raw);
    out.set(n.id, n);
  }
  return out;
}

export function parseDiff(v: unknown): TopologyDiff {
  if (!isObj(v)) throw new ApiShapeError('diff is not an object');
  const d: TopologyDiff = {
    add: Array.isArray(v['add']) ? v['add'].map(parseNodeSummary) : null,
    update: Array.isArray(v['update']) ? v['update'].map(parseNodeSummary) : null,
    remove: Array.isArray(v['remove']) ? v['remove'].filter((x): x is string => typeof x === 'string') : null,
  };
  if (v['reset'] === true) d.reset = true;
  return d;
}

export function parseDetailedNode(v: unknown): DetailedNode {
  if (!isObj(v) || !isObj(v['node'])) throw new ApiShapeError('details without node');
  const raw = v['node'];
  const base = parseNodeSummary(raw);
  return {
    ...base,
    controls: arr(raw['controls']).filter(isObj) as unknown as DetailedNode['controls'],
    connections: arr(raw['connections']).filter(isObj) as unknown as DetailedNode['connections'],
    children: arr(raw['children']).filter(isObj) as unknown as DetailedNode['children'],
  };
}

export function parseControlResponse(v: unknown): ControlResponse {
  if (!isObj(v)) return {};
  const r: ControlResponse = {};
  if (typeof v['pipe'] === 'string') r.pipe = v['pipe'];
  if (typeof v['raw_tty'] === 'boolean') r.raw_tty = v['raw_tty'];
  if (typeof v['resize_tty_control'] === 'string') r.resize_tty_control = v['resize_tty_control'];
  if (typeof v['removedNode'] === 'string') r.removedNode = v['removedNode'];
  return r;
}
