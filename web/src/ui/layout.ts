/**
 * Graph layout, pure (runs in the layout Web Worker and in bench/): positions for nodes given
 * the edges, keeping every already-placed node where it was (issue #5: "when nodes come and go,
 * the others keep their places").
 *
 * - First layout of a graph: layered (dagre, top→bottom like Scope) up to `layeredMaxNodes`
 *   connected nodes, force-directed (d3-force) above that — measured in bench/ui-results.md.
 * - Later layouts: only new nodes are placed (force simulation with the old nodes pinned),
 *   seeded next to their neighbours.
 * - Nodes without edges go to a grid beside the graph, in rank order (Scope §6.7).
 */
import { layout as dagreLayout, graphlib } from '@dagrejs/dagre';
import { forceSimulation, forceLink, forceManyBody, forceCollide, forceX, forceY } from 'd3-force';
import type { SimulationNodeDatum, SimulationLinkDatum } from 'd3-force';

export interface LayoutNode {
  id: string;
  rank: string;
}

export interface LayoutEdge {
  source: string;
  target: string;
}

export interface Point {
  x: number;
  y: number;
}

export interface LayoutRequest {
  nodes: LayoutNode[];
  edges: LayoutEdge[];
  /** Positions from earlier layouts of the same view; these nodes do not move. */
  previous: Record<string, Point>;
  /** Force a fresh layout ignoring `previous` ("re-layout" button). */
  fresh?: boolean;
}

export interface LayoutResult {
  positions: Record<string, Point>;
  /** Which engine ran: 'cache' when nothing new had to be placed. */
  engine: 'cache' | 'layered' | 'force' | 'incremental';
  millis: number;
}

/** Distance between node centres, in layout units (a node is drawn ~`NODE_SIZE` wide). */
export const NODE_SIZE = 60;
const SPACING = 120;
/** Above this many connected nodes the first layout uses d3-force instead of dagre. */
export const LAYERED_MAX_NODES = 60;

interface SimNode extends SimulationNodeDatum {
  id: string;
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

function degreeMap(nodes: readonly LayoutNode[], edges: readonly LayoutEdge[]): Map<string, number> {
  const deg = new Map<string, number>();
  for (const n of nodes) deg.set(n.id, 0);
  for (const e of edges) {
    if (e.source === e.target) continue;
    if (!deg.has(e.source) || !deg.has(e.target)) continue;
    deg.set(e.source, (deg.get(e.source) ?? 0) + 1);
    deg.set(e.target, (deg.get(e.target) ?? 0) + 1);
  }
  return deg;
}

function layered(nodes: readonly LayoutNode[], edges: readonly LayoutEdge[]): Map<string, Point> {
  const g = new graphlib.Graph({ multigraph: false });
  g.setGraph({ rankdir: 'TB', nodesep: SPACING - NODE_SIZE + 40, ranksep: SPACING, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.id, { width: NODE_SIZE, height: NODE_SIZE });
  for (const e of edges) if (e.source !== e.target) g.setEdge(e.source, e.target, { minlen: 1 });
  dagreLayout(g);
  const out = new Map<string, Point>();
  for (const n of nodes) {
    const p = g.node(n.id) as { x?: number; y?: number } | undefined;
    out.set(n.id, { x: p?.x ?? 0, y: p?.y ?? 0 });
  }
  return out;
}

function force(nodes: readonly LayoutNode[], edges: readonly LayoutEdge[], fixed: ReadonlyMap<string, Point>, seed: ReadonlyMap<string, Point>): Map<string, Point> {
  const sim: SimNode[] = nodes.map((n, i) => {
    const f = fixed.get(n.id);
    if (f) return { id: n.id, x: f.x, y: f.y, fx: f.x, fy: f.y };
    const s = seed.get(n.id);
    // Phyllotaxis seeding (as d3 does) but spread to our spacing; deterministic.
    const r = SPACING * 0.6 * Math.sqrt(0.5 + i);
    const a = i * Math.PI * (3 - Math.sqrt(5));
    return { id: n.id, x: s ? s.x + (i % 7) * 3 : r * Math.cos(a), y: s ? s.y + (i % 5) * 3 : r * Math.sin(a) };
  });
  const byId = new Map(sim.map((n) => [n.id, n]));
  const links: SimulationLinkDatum<SimNode>[] = [];
  for (const e of edges) {
    const s = byId.get(e.source);
    const t = byId.get(e.target);
    if (s && t && s !== t) links.push({ source: s, target: t });
  }
  const moving = sim.filter((n) => n.fx === undefined).length;
  // Fewer ticks (with a matching alpha decay) for big graphs bounds the worst case: measured
  // ~0.4 s at 1,000 nodes and ~2.5 s at 5,000 on this 2-core machine (bench/ui-results.md).
  const ticks = moving > 1500 ? 60 : moving > 300 ? 120 : 300;
  const simulation = forceSimulation(sim)
    .force('link', forceLink(links).distance(SPACING).strength(0.7).iterations(1))
    .force('charge', forceManyBody().strength(-SPACING * 2.2).theta(1.0).distanceMax(SPACING * 8))
    .force('x', forceX(0).strength(0.03))
    .force('y', forceY(0).strength(0.03))
    .alphaDecay(1 - Math.pow(0.001, 1 / ticks))
    .stop();
  if (moving <= 1500) simulation.force('collide', forceCollide(NODE_SIZE * 0.75));
  simulation.tick(ticks);
  const out = new Map<string, Point>();
  for (const n of sim) out.set(n.id, { x: n.x ?? 0, y: n.y ?? 0 });
  return out;
}

function bounds(points: Iterable<Point>): { minX: number; minY: number; maxX: number; maxY: number } | null {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const p of points) {
    minX = Math.min(minX, p.x);
    minY = Math.min(minY, p.y);
    maxX = Math.max(maxX, p.x);
    maxY = Math.max(maxY, p.y);
  }
  return minX === Infinity ? null : { minX, minY, maxX, maxY };
}

/** Places isolated nodes in a square grid right of (or below) the existing drawing. */
function grid(isolated: readonly LayoutNode[], around: Iterable<Point>, out: Record<string, Point>): void {
  if (isolated.length === 0) return;
  const sorted = [...isolated].sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : a.id < b.id ? -1 : 1));
  const cols = Math.ceil(Math.sqrt(sorted.length));
  const b = bounds(around);
  let x0 = 0;
  let y0 = 0;
  if (b) {
    const tall = b.maxY - b.minY > b.maxX - b.minX;
    x0 = tall ? b.maxX + SPACING * 1.5 : b.minX;
    y0 = tall ? b.minY : b.maxY + SPACING * 1.5;
  }
  sorted.forEach((n, i) => {
    out[n.id] = { x: x0 + (i % cols) * SPACING, y: y0 + Math.floor(i / cols) * SPACING };
  });
}

export function computeLayout(req: LayoutRequest): LayoutResult {
  const t0 = now();
  const previous = req.fresh ? {} : req.previous;
  const positions: Record<string, Point> = {};
  const fresh: LayoutNode[] = [];
  for (const n of req.nodes) {
    const p = previous[n.id];
    if (p) positions[n.id] = p;
    else fresh.push(n);
  }
  if (fresh.length === 0) return { positions, engine: 'cache', millis: now() - t0 };

  const deg = degreeMap(req.nodes, req.edges);
  const isolatedNew = fresh.filter((n) => (deg.get(n.id) ?? 0) === 0);
  const connectedNew = fresh.filter((n) => (deg.get(n.id) ?? 0) > 0);
  const hadLayout = Object.keys(positions).length > 0;
  let engine: LayoutResult['engine'] = 'incremental';

  if (connectedNew.length > 0) {
    const connected = req.nodes.filter((n) => (deg.get(n.id) ?? 0) > 0);
    const inView = new Set(connected.map((n) => n.id));
    const edges = req.edges.filter((e) => inView.has(e.source) && inView.has(e.target));
    if (!hadLayout) {
      // dagre's cost grows fast with crossings; keep it for small, Scope-like graphs.
      const useLayered = connected.length <= LAYERED_MAX_NODES && edges.length <= LAYERED_MAX_NODES * 1.5;
      const placed = useLayered ? layered(connected, edges) : force(connected, edges, new Map(), new Map());
      engine = useLayered ? 'layered' : 'force';
      for (const [id, p] of placed) positions[id] = p;
    } else {
      // Seed each new node next to an already placed neighbour so it lands near its peers.
      const fixed = new Map<string, Point>();
      for (const n of connected) {
        const p = positions[n.id];
        if (p) fixed.set(n.id, p);
      }
      const seed = new Map<string, Point>();
      for (const e of edges) {
        const ps = positions[e.source];
        const pt = positions[e.target];
        if (ps && !positions[e.target]) seed.set(e.target, { x: ps.x, y: ps.y + SPACING });
        if (pt && !positions[e.source]) seed.set(e.source, { x: pt.x, y: pt.y - SPACING });
      }
      const b = bounds(fixed.values());
      for (const n of connectedNew) if (!seed.has(n.id) && b) seed.set(n.id, { x: b.maxX + SPACING, y: (b.minY + b.maxY) / 2 });
      // Only the new nodes and their neighbourhood take part, so the cost follows the change.
      const involved = new Set(connectedNew.map((n) => n.id));
      for (const e of edges) {
        if (involved.has(e.source) || involved.has(e.target)) {
          involved.add(e.source);
          involved.add(e.target);
        }
      }
      const sub = connected.filter((n) => involved.has(n.id));
      const subEdges = edges.filter((e) => involved.has(e.source) && involved.has(e.target));
      const placed = force(sub, subEdges, fixed, seed);
      for (const n of connectedNew) {
        const p = placed.get(n.id);
        if (p) positions[n.id] = p;
      }
    }
  }
  const placedPoints = Object.values(positions);
  if (!hadLayout && connectedNew.length === 0) engine = 'layered';
  grid(isolatedNew, placedPoints, positions);
  return { positions, engine, millis: now() - t0 };
}
