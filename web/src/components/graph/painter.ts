/**
 * Canvas painters (render only). Two layers, as excalidraw does: the static layer draws the
 * whole scene (culled to the viewport) and is redrawn only when the scene or the view changes;
 * the interactive layer draws hover/selection highlights and the animated flow on top.
 */
import type { Scene, SceneEdge, SceneNode } from '../../ui/scene.js';
import { isDotted, shapePath, type Shape } from '../../ui/shapes.js';
import type { Zoom } from '../../ui/url-state.js';
import type { Detail } from '../../ui/lod.js';
import { MAX_TRAFFIC_WIDTH } from '../../ui/edge-traffic.js';

/** Node radius in world units. */
export const NODE_RADIUS = 24;

export interface Theme {
  background: string;
  edge: string;
  edgeHighlight: string;
  /** Edges with retransmits or resets. */
  edgeAlert: string;
  nodeFill: string;
  nodeDot: string;
  veil: string;
  selection: string;
  match: string;
}

const paths = new Map<Shape, Path2D>();
function pathOf(shape: Shape): Path2D {
  let p = paths.get(shape);
  if (!p) paths.set(shape, (p = new Path2D(shapePath(shape))));
  return p;
}

export function readTheme(el: HTMLElement): Theme {
  const cs = getComputedStyle(el);
  const v = (name: string, fallback: string): string => cs.getPropertyValue(name).trim() || fallback;
  return {
    background: v('--graph-bg', '#f8f8fb'),
    edge: v('--graph-edge', '#9a9ab5'),
    edgeHighlight: v('--graph-edge-hi', '#4b4b8f'),
    edgeAlert: v('--graph-edge-alert', '#d62728'),
    nodeFill: v('--graph-node-fill', '#ffffff'),
    nodeDot: v('--graph-node-dot', '#3b3b5c'),
    veil: v('--graph-veil', 'rgba(248,248,251,0.78)'),
    selection: v('--graph-selection', 'rgba(0,210,255,0.28)'),
    match: v('--graph-match', 'rgba(255,200,0,0.45)'),
  };
}

function applyView(ctx: CanvasRenderingContext2D, zoom: Zoom, dpr: number): void {
  ctx.setTransform(zoom.k * dpr, 0, 0, zoom.k * dpr, zoom.x * dpr, zoom.y * dpr);
}

/** Stroke width of an edge: the base width plus its traffic steps (world units). */
export function edgeWidth(base: number, trafficSteps: number): number {
  return base + trafficSteps * 1.25;
}

function edgePath(ctx: CanvasRenderingContext2D, e: SceneEdge, curves: boolean): void {
  ctx.moveTo(e.sx, e.sy);
  if (e.source === e.target) {
    ctx.moveTo(e.sx, e.sy - NODE_RADIUS);
    ctx.bezierCurveTo(e.sx - 60, e.sy - 90, e.sx + 60, e.sy - 90, e.sx + 4, e.sy - NODE_RADIUS);
  } else if (curves) ctx.quadraticCurveTo(e.cx, e.cy, e.tx, e.ty);
  else ctx.lineTo(e.tx, e.ty);
}

/** Arrow head at the target end (at the node's rim), pointing along the curve. */
export function drawArrow(ctx: CanvasRenderingContext2D, e: SceneEdge, size: number): void {
  if (e.source === e.target) return;
  const dx = e.tx - e.cx;
  const dy = e.ty - e.cy;
  const len = Math.hypot(dx, dy) || 1;
  const ux = dx / len;
  const uy = dy / len;
  const tipX = e.tx - ux * (NODE_RADIUS + 3);
  const tipY = e.ty - uy * (NODE_RADIUS + 3);
  ctx.beginPath();
  ctx.moveTo(tipX, tipY);
  ctx.lineTo(tipX - ux * size - uy * size * 0.55, tipY - uy * size + ux * size * 0.55);
  ctx.lineTo(tipX - ux * size + uy * size * 0.55, tipY - uy * size - ux * size * 0.55);
  ctx.closePath();
  ctx.fill();
}

export function drawNode(ctx: CanvasRenderingContext2D, n: SceneNode, theme: Theme, detail: Detail, k: number): void {
  const r = NODE_RADIUS;
  if (!detail.shapes) {
    ctx.fillStyle = n.color.fill;
    ctx.fillRect(n.x - r * 0.6, n.y - r * 0.6, r * 1.2, r * 1.2);
    return;
  }
  const path = pathOf(n.shape);
  const lw = Math.max(2.2, 1.2 / k) / r;
  const one = (ox: number, oy: number, withFill: boolean): void => {
    ctx.save();
    ctx.translate(n.x + ox, n.y + oy);
    ctx.scale(r, r);
    ctx.fillStyle = theme.nodeFill;
    ctx.fill(path);
    if (withFill && n.fill !== null && n.fill > 0) {
      ctx.save();
      ctx.clip(path);
      ctx.fillStyle = n.fillColor;
      ctx.globalAlpha *= 0.55;
      ctx.fillRect(-1.1, 1.1 - 2.2 * n.fill, 2.2, 2.2 * n.fill);
      ctx.restore();
    }
    ctx.lineWidth = lw;
    ctx.strokeStyle = n.color.fill;
    if (isDotted(n.shape)) ctx.setLineDash([0.12, 0.1]);
    ctx.stroke(path);
    ctx.setLineDash([]);
    ctx.restore();
  };
  if (n.stack) {
    one(6, 6, false);
    one(3, 3, false);
  }
  one(0, 0, true);
  if (n.fill === null) {
    ctx.fillStyle = theme.nodeDot;
    ctx.beginPath();
    ctx.arc(n.x, n.y, r * 0.18, 0, Math.PI * 2);
    ctx.fill();
  }
}

export interface PaintInput {
  scene: Scene;
  visibleNodes: readonly SceneNode[];
  zoom: Zoom;
  width: number;
  height: number;
  dpr: number;
  detail: Detail;
  theme: Theme;
}

/** Static layer: edges (faded ones lighter), then nodes; faded nodes translucent. */
export function paintStatic(ctx: CanvasRenderingContext2D, p: PaintInput): void {
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, p.width * p.dpr, p.height * p.dpr);
  applyView(ctx, p.zoom, p.dpr);
  const k = p.zoom.k;
  const minX = -p.zoom.x / k - 200;
  const minY = -p.zoom.y / k - 200;
  const maxX = (p.width - p.zoom.x) / k + 200;
  const maxY = (p.height - p.zoom.y) / k + 200;
  // One stroke per (faded, alert, width) bucket: thicker edges carry more bytes/s (log scale),
  // red ones had retransmits or resets. Scope-only apps send no figures: one bucket, as before.
  const base = Math.max(1, 1.5 / Math.sqrt(k));
  const buckets: SceneEdge[][] = [];
  const perAlert = MAX_TRAFFIC_WIDTH + 1;
  for (const e of p.scene.edges) {
    if (Math.max(e.sx, e.tx) < minX || Math.min(e.sx, e.tx) > maxX || Math.max(e.sy, e.ty) < minY || Math.min(e.sy, e.ty) > maxY) continue;
    const i = (e.faded ? 0 : 2 * perAlert) + (e.alert ? perAlert : 0) + e.width;
    (buckets[i] ??= []).push(e);
  }
  buckets.forEach((list, i) => {
    const faded = i < 2 * perAlert;
    const alert = i % (2 * perAlert) >= perAlert;
    ctx.globalAlpha = faded ? 0.18 : 0.85;
    ctx.strokeStyle = alert ? p.theme.edgeAlert : p.theme.edge;
    ctx.lineWidth = edgeWidth(base, i % perAlert);
    ctx.beginPath();
    for (const e of list) edgePath(ctx, e, p.detail.curves);
    ctx.stroke();
  });
  ctx.globalAlpha = 1;
  for (const n of p.visibleNodes) {
    if (n.matched) {
      ctx.fillStyle = p.theme.match;
      ctx.beginPath();
      ctx.arc(n.x, n.y, NODE_RADIUS * 1.45, 0, Math.PI * 2);
      ctx.fill();
    }
  }
  if (!p.detail.shapes) {
    // Zoomed far out: one path per colour instead of one draw call per node.
    const r = NODE_RADIUS * 0.6;
    const byColor = new Map<string, SceneNode[]>();
    for (const n of p.visibleNodes) {
      const key = `${n.faded ? 'f' : 'n'}${n.color.fill}`;
      let list = byColor.get(key);
      if (!list) byColor.set(key, (list = []));
      list.push(n);
    }
    for (const [key, list] of byColor) {
      ctx.globalAlpha = key.startsWith('f') ? 0.22 : 1;
      ctx.fillStyle = key.slice(1);
      ctx.beginPath();
      for (const n of list) ctx.rect(n.x - r, n.y - r, 2 * r, 2 * r);
      ctx.fill();
    }
    ctx.globalAlpha = 1;
    return;
  }
  for (const n of p.visibleNodes) {
    ctx.globalAlpha = n.faded ? 0.22 : 1;
    drawNode(ctx, n, p.theme, p.detail, k);
  }
  ctx.globalAlpha = 1;
}

export interface InteractiveInput extends PaintInput {
  highlightNodes: ReadonlySet<string>;
  highlightEdges: ReadonlySet<string>;
  selectedId: string | null;
  /** Animation clock in ms, for the flowing dashes that show direction. */
  timeMillis: number;
}

/** Interactive layer: veil over the scene, then highlighted edges (arrows, flow) and nodes. */
export function paintInteractive(ctx: CanvasRenderingContext2D, p: InteractiveInput): void {
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, p.width * p.dpr, p.height * p.dpr);
  const active = p.highlightNodes.size > 0 || p.selectedId !== null;
  if (!active) return;
  if (p.highlightNodes.size > 0) {
    ctx.fillStyle = p.theme.veil;
    ctx.fillRect(0, 0, p.width * p.dpr, p.height * p.dpr);
  }
  applyView(ctx, p.zoom, p.dpr);
  const k = p.zoom.k;
  if (p.selectedId) {
    const s = p.scene.byId.get(p.selectedId);
    if (s) {
      ctx.fillStyle = p.theme.selection;
      ctx.beginPath();
      ctx.arc(s.x, s.y, NODE_RADIUS * 1.6, 0, Math.PI * 2);
      ctx.fill();
    }
  }
  const edges = p.scene.edges.filter((e) => p.highlightEdges.has(e.id));
  const hiBase = Math.max(2, 2.5 / Math.sqrt(k));
  // Few highlighted edges: one stroke each, at its own traffic width and colour.
  for (const e of edges) {
    ctx.strokeStyle = e.alert ? p.theme.edgeAlert : p.theme.edgeHighlight;
    ctx.lineWidth = edgeWidth(hiBase, e.width);
    ctx.beginPath();
    edgePath(ctx, e, true);
    ctx.stroke();
  }
  // Flowing dashes from source to target make the direction obvious even without arrows.
  ctx.save();
  ctx.setLineDash([6, 14]);
  ctx.lineDashOffset = -(p.timeMillis / 40) % 20;
  ctx.strokeStyle = p.theme.background;
  for (const e of edges) {
    ctx.lineWidth = Math.max(2.5, 3.5 / Math.sqrt(k)) + e.width * 0.6;
    ctx.beginPath();
    edgePath(ctx, e, true);
    ctx.stroke();
  }
  ctx.restore();
  for (const e of edges) {
    ctx.fillStyle = e.alert ? p.theme.edgeAlert : p.theme.edgeHighlight;
    drawArrow(ctx, e, 11 + e.width);
  }
  for (const id of p.highlightNodes) {
    const n = p.scene.byId.get(id);
    if (n) drawNode(ctx, { ...n, faded: false }, p.theme, { ...p.detail, shapes: true }, k);
  }
}
