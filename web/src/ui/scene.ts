/**
 * The graph scene, pure: what each node and edge looks like given nodes, positions, search,
 * metric and hover/selection. Painters (components/graph/) only draw what this returns.
 */
import type { EdgeMetrics, MetricRow, NodeSummary } from '../domain/api-types.js';
import { edgeAlert, edgeBytesPerSecond, edgeFigures, trafficWidth } from './edge-traffic.js';
import { neighbourIndex, type Edge } from './graph-diff.js';
import { nodeColor, type NodeColor } from './color.js';
import { normalizeShape, type Shape } from './shapes.js';
import { formatMetric } from './format.js';
import type { Point } from './layout.js';

export interface SceneNode {
  id: string;
  x: number;
  y: number;
  shape: Shape;
  stack: boolean;
  pseudo: boolean;
  label: string;
  labelMinor: string;
  color: NodeColor;
  /** Fill fraction 0..1 from the bottom when a metric is shown, else null. */
  fill: number | null;
  fillColor: string;
  metricText: string | null;
  /** Not matching the search (drawn faded). */
  faded: boolean;
  /** Matching the search (drawn with a halo). */
  matched: boolean;
  node: NodeSummary;
}

export interface SceneEdge extends Edge {
  sx: number;
  sy: number;
  tx: number;
  ty: number;
  /** Control point of the quadratic curve. */
  cx: number;
  cy: number;
  faded: boolean;
  /** Traffic figures of the edge (OpenScope apps with eBPF probes), else undefined. */
  traffic: EdgeMetrics | undefined;
  /** Extra stroke width by throughput, 0..MAX_TRAFFIC_WIDTH (log scale of bytes/s). */
  width: number;
  /** Retransmits or resets seen: drawn red. */
  alert: boolean;
}

export interface Scene {
  nodes: SceneNode[];
  byId: Map<string, SceneNode>;
  edges: SceneEdge[];
  neighbours: Map<string, Set<string>>;
}

/** Control point bending an edge to its right, so A→B and B→A do not overlap. */
export function curveControl(sx: number, sy: number, tx: number, ty: number): { cx: number; cy: number } {
  const dx = tx - sx;
  const dy = ty - sy;
  const bend = 0.12;
  return { cx: (sx + tx) / 2 - dy * bend, cy: (sy + ty) / 2 + dx * bend };
}

/** Point on the quadratic curve at parameter t. */
export function curvePoint(e: Pick<SceneEdge, 'sx' | 'sy' | 'cx' | 'cy' | 'tx' | 'ty'>, t: number): Point {
  const u = 1 - t;
  return { x: u * u * e.sx + 2 * u * t * e.cx + t * t * e.tx, y: u * u * e.sy + 2 * u * t * e.cy + t * t * e.ty };
}

function fillFor(m: MetricRow): number {
  if (m.id.startsWith('load')) {
    // Log scale 0.01–100 for load averages (Scope §6.6).
    const v = Math.log10(Math.max(0.01, m.value));
    return Math.min(1, Math.max(0, (v + 2) / 4));
  }
  if (!(m.max > 0)) return 0;
  const f = m.value / m.max;
  return f >= 1 ? 1 : 0.1 + 0.8 * Math.max(0, f);
}

export function metricFillColor(metricId: string): string {
  if (metricId.includes('mem')) return '#4682b4';
  if (metricId.includes('cpu')) return '#e6550d';
  if (metricId.includes('files')) return '#9467bd';
  if (metricId.includes('load')) return '#31a354';
  return '#4682b4';
}

export interface SceneInput {
  nodes: ReadonlyMap<string, NodeSummary>;
  positions: Readonly<Record<string, Point>>;
  /** Search matches; null = no active search. */
  matches: ReadonlySet<string> | null;
  /** Nodes hidden by pinned searches. */
  hidden: ReadonlySet<string> | null;
  /** Metric label to fill by ("CPU", "Memory"), or null. */
  metricLabel: string | null;
}

function sceneNode(n: NodeSummary, p: Point, input: SceneInput): SceneNode {
  const m = input.metricLabel ? n.metrics?.find((r) => r.label === input.metricLabel && !r.valueEmpty) : undefined;
  return {
    id: n.id,
    x: p.x,
    y: p.y,
    shape: normalizeShape(n.shape),
    stack: n.stack === true,
    pseudo: n.pseudo === true,
    label: n.label,
    labelMinor: n.labelMinor,
    color: nodeColor(n.rank, n.label, n.pseudo === true),
    fill: m ? fillFor(m) : null,
    fillColor: m ? metricFillColor(m.id) : '',
    metricText: m && !n.pseudo ? formatMetric(m.value, m.format) : null,
    faded: input.matches !== null && !input.matches.has(n.id),
    matched: input.matches !== null && input.matches.has(n.id),
    node: n,
  };
}

export function buildScene(input: SceneInput): Scene {
  const nodes: SceneNode[] = [];
  const byId = new Map<string, SceneNode>();
  for (const n of input.nodes.values()) {
    if (input.hidden?.has(n.id)) continue;
    const p = input.positions[n.id];
    if (!p) continue;
    const sn = sceneNode(n, p, input);
    nodes.push(sn);
    byId.set(n.id, sn);
  }
  const edges: SceneEdge[] = [];
  for (const s of nodes) {
    for (const target of s.node.adjacency ?? []) {
      const t = byId.get(target);
      if (!t) continue;
      const { cx, cy } = curveControl(s.x, s.y, t.x, t.y);
      const traffic = edgeFigures(s.node, t.id);
      edges.push({
        id: `${s.id}---${t.id}`, source: s.id, target: t.id, sx: s.x, sy: s.y, tx: t.x, ty: t.y, cx, cy, faded: s.faded || t.faded,
        traffic, width: trafficWidth(edgeBytesPerSecond(traffic)), alert: edgeAlert(traffic),
      });
    }
  }
  return { nodes, byId, edges, neighbours: neighbourIndex(edges) };
}

/** `e` with the traffic figures of its (updated) source node; `e` itself when they did not change. */
function withTraffic(e: SceneEdge, source: NodeSummary): SceneEdge {
  const traffic = edgeFigures(source, e.target);
  if (traffic === e.traffic) return e;
  return { ...e, traffic, width: trafficWidth(edgeBytesPerSecond(traffic)), alert: edgeAlert(traffic) };
}

/**
 * Live updates touch only what changed: when only node contents changed (same node set, same
 * adjacency, same positions and view inputs), only the changed scene nodes are rebuilt and the
 * edges are reused. Otherwise a full build. Returns the previous scene untouched if nothing changed.
 */
export function nextScene(prev: { scene: Scene; input: SceneInput } | null, input: SceneInput): Scene {
  if (!prev) return buildScene(input);
  const p = prev.input;
  if (p.positions !== input.positions || p.matches !== input.matches || p.hidden !== input.hidden || p.metricLabel !== input.metricLabel || p.nodes.size !== input.nodes.size) {
    return buildScene(input);
  }
  let changed: NodeSummary[] | null = null;
  let trafficChanged: Map<string, NodeSummary> | null = null;
  for (const n of input.nodes.values()) {
    const old = p.nodes.get(n.id);
    if (old === n) continue;
    if (!old || !sameList(old.adjacency, n.adjacency)) return buildScene(input);
    (changed ??= []).push(n);
    if (old.edge_metrics !== n.edge_metrics) (trafficChanged ??= new Map()).set(n.id, n);
  }
  if (!changed) return prev.scene;
  // Traffic changes every tick on busy edges: only those edges are rebuilt (same places).
  let edges = prev.scene.edges;
  if (trafficChanged) {
    const tc = trafficChanged;
    edges = edges.map((e) => {
      const source = tc.get(e.source);
      return source ? withTraffic(e, source) : e;
    });
  }
  const byId = new Map(prev.scene.byId);
  for (const n of changed) {
    const old = byId.get(n.id);
    if (!old) continue; // hidden or not placed: stays out
    byId.set(n.id, sceneNode(n, { x: old.x, y: old.y }, input));
  }
  const nodes = prev.scene.nodes.map((sn) => byId.get(sn.id) ?? sn);
  return { nodes, byId, edges, neighbours: prev.scene.neighbours };
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** Nodes and edges to highlight for a hovered/selected node or edge (both directions). */
export function highlightSet(scene: Scene, nodeId: string | null, edgeId: string | null): { nodes: Set<string>; edges: Set<string> } {
  const nodes = new Set<string>();
  const edges = new Set<string>();
  if (nodeId) {
    nodes.add(nodeId);
    for (const nb of scene.neighbours.get(nodeId) ?? []) nodes.add(nb);
    for (const e of scene.edges) if (e.source === nodeId || e.target === nodeId) edges.add(e.id);
  }
  if (edgeId) {
    const e = scene.edges.find((x) => x.id === edgeId);
    if (e) {
      edges.add(e.id);
      edges.add(`${e.target}---${e.source}`);
      nodes.add(e.source);
      nodes.add(e.target);
    }
  }
  return { nodes, edges };
}

/** Squared distance from (px,py) to an edge's curve (sampled). */
export function edgeDistance2(e: SceneEdge, px: number, py: number): number {
  let best = Infinity;
  let prev = { x: e.sx, y: e.sy };
  for (let i = 1; i <= 8; i++) {
    const cur = curvePoint(e, i / 8);
    const dx = cur.x - prev.x;
    const dy = cur.y - prev.y;
    const len2 = dx * dx + dy * dy || 1;
    const t = Math.max(0, Math.min(1, ((px - prev.x) * dx + (py - prev.y) * dy) / len2));
    const qx = prev.x + t * dx - px;
    const qy = prev.y + t * dy - py;
    best = Math.min(best, qx * qx + qy * qy);
    prev = cur;
  }
  return best;
}
