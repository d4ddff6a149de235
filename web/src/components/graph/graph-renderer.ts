/**
 * The graph canvas controller: owns the two canvas layers and the label layer, the viewport
 * (pan/zoom) and pointer interaction. Draws on animation frames only when something changed
 * (scene, view, hover); hover animation runs only while something is highlighted.
 */
import type { Scene, SceneEdge, SceneNode } from '../../ui/scene.js';
import { edgeDistance2, highlightSet } from '../../ui/scene.js';
import { SpatialIndex } from '../../ui/spatial-index.js';
import { boundsOf, fitZoom, toWorld, zoomAround } from '../../ui/viewport.js';
import { levelOfDetail, type Detail } from '../../ui/lod.js';
import type { Zoom } from '../../ui/url-state.js';
import { edgeBytesPerSecond, edgeTooltipLines } from '../../ui/edge-traffic.js';
import { LabelLayer } from './label-layer.js';
import { NODE_RADIUS, paintInteractive, paintStatic, readTheme, type Theme } from './painter.js';

export interface GraphCallbacks {
  onSelect: (nodeId: string | null) => void;
  onZoom: (zoom: Zoom) => void;
  onHover?: (nodeId: string | null, edgeId: string | null) => void;
}

/** Per-frame timings, read by the benchmark page. */
export interface FrameStats {
  lastStaticMillis: number;
  lastFrameMillis: number;
  frames: number;
}

export class GraphRenderer {
  private staticCanvas: HTMLCanvasElement;
  private interactiveCanvas: HTMLCanvasElement;
  private labelRoot: HTMLDivElement;
  /** Hover text of the hovered edge: direction, bytes/s each way, RTT, connections. */
  private tooltip: HTMLDivElement;
  /** Last pointer position in the host, px (where the edge tooltip goes). */
  private pointer = { x: 0, y: 0 };
  private labels: LabelLayer;
  private scene: Scene = { nodes: [], byId: new Map(), edges: [], neighbours: new Map() };
  private index = new SpatialIndex<SceneNode>([]);
  private zoom: Zoom = { x: 0, y: 0, k: 1 };
  private width = 0;
  private height = 0;
  private dpr = 1;
  private theme: Theme;
  private staticDirty = true;
  private interactiveDirty = true;
  private raf = 0;
  private hoveredNode: string | null = null;
  private hoveredEdge: string | null = null;
  private selected: string | null = null;
  private highlight = { nodes: new Set<string>(), edges: new Set<string>() };
  /** Flowing dashes only while hovering; a selection alone draws still arrows (no idle CPU). */
  private animate = false;
  private resizeObserver: ResizeObserver;
  private drag: { x: number; y: number; zx: number; zy: number; moved: boolean; id: number } | null = null;
  private zoomTimer: ReturnType<typeof setTimeout> | null = null;
  private visible: SceneNode[] = [];
  private detail: Detail = levelOfDetail(1, 0);
  readonly stats: FrameStats = { lastStaticMillis: 0, lastFrameMillis: 0, frames: 0 };
  /**
   * While the user pans/zooms, the last full drawing is re-used as a bitmap (scaled and shifted;
   * rasterising a bitmap is far cheaper than re-rasterising every path, especially without a
   * GPU), and the scene is redrawn exactly once the gesture pauses. Keeps pan/zoom at display
   * rate whatever the node count.
   */
  private snapshot: HTMLCanvasElement | null = null;
  private snapZoom: Zoom | null = null;
  private interacting = false;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly cb: GraphCallbacks,
  ) {
    this.staticCanvas = document.createElement('canvas');
    this.interactiveCanvas = document.createElement('canvas');
    this.staticCanvas.className = 'graph-layer';
    this.interactiveCanvas.className = 'graph-layer';
    this.labelRoot = document.createElement('div');
    this.labelRoot.className = 'graph-labels';
    this.tooltip = document.createElement('div');
    this.tooltip.className = 'edge-tooltip';
    this.tooltip.setAttribute('data-testid', 'edge-tooltip');
    this.tooltip.setAttribute('role', 'tooltip');
    Object.assign(this.tooltip.style, {
      position: 'absolute', top: '0', left: '0', display: 'none', pointerEvents: 'none', whiteSpace: 'pre', zIndex: '5',
      font: '12px/1.45 system-ui, sans-serif', padding: '5px 9px', borderRadius: '5px', color: 'var(--fg, #32324b)',
      background: 'var(--panel, #fff)', border: '1px solid var(--border, #e2e2ec)', boxShadow: 'var(--shadow, none)',
    });
    root.append(this.staticCanvas, this.interactiveCanvas, this.labelRoot, this.tooltip);
    this.labels = new LabelLayer(this.labelRoot, (id) => this.setHover(id, null), (id) => this.hoveredNode === id && this.setHover(null, null));
    this.theme = readTheme(root);
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(root);
    this.resize();
    root.addEventListener('wheel', this.onWheel, { passive: false });
    root.addEventListener('pointerdown', this.onPointerDown);
    root.addEventListener('pointermove', this.onPointerMove);
    root.addEventListener('pointerup', this.onPointerUp);
    root.addEventListener('pointerleave', this.onPointerLeave);
  }

  /** Benchmark hook: pan/zoom as a user would (bitmap fast path allowed). */
  interactiveZoom(z: Zoom): void {
    this.interact();
    this.setZoom(z);
  }

  dispose(): void {
    cancelAnimationFrame(this.raf);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.resizeObserver.disconnect();
    this.root.removeEventListener('wheel', this.onWheel);
    this.root.removeEventListener('pointerdown', this.onPointerDown);
    this.root.removeEventListener('pointermove', this.onPointerMove);
    this.root.removeEventListener('pointerup', this.onPointerUp);
    this.root.removeEventListener('pointerleave', this.onPointerLeave);
    this.labels.dispose();
    this.staticCanvas.remove();
    this.interactiveCanvas.remove();
    this.labelRoot.remove();
    this.tooltip.remove();
  }

  private resize(): void {
    const r = this.root.getBoundingClientRect();
    this.width = Math.max(1, r.width);
    this.height = Math.max(1, r.height);
    this.dpr = Math.min(2, window.devicePixelRatio || 1);
    for (const c of [this.staticCanvas, this.interactiveCanvas]) {
      c.width = Math.round(this.width * this.dpr);
      c.height = Math.round(this.height * this.dpr);
      c.style.width = `${this.width}px`;
      c.style.height = `${this.height}px`;
    }
    this.invalidate(true);
  }

  get size(): { width: number; height: number } {
    return { width: this.width, height: this.height };
  }

  /** Re-reads the CSS theme variables on the next frame (after the theme attribute is applied). */
  setTheme(): void {
    requestAnimationFrame(() => {
      this.theme = readTheme(this.root);
      this.invalidate(true);
    });
  }

  setScene(scene: Scene): void {
    // Same edges object = only node contents changed (positions too): the index stays valid.
    const samePlaces = scene.edges === this.scene.edges && scene.nodes.length === this.scene.nodes.length;
    this.scene = scene;
    if (!samePlaces) this.index = new SpatialIndex(scene.nodes, 200);
    if (this.hoveredNode && !scene.byId.has(this.hoveredNode)) this.hoveredNode = null;
    this.recomputeHighlight();
    this.updateTooltip();
    // For tests and curious users: which edges are drawn thicker for their traffic (first 200).
    const thick: string[] = [];
    for (const e of scene.edges) if (e.width > 0 && thick.length < 200) thick.push(`${e.id}=${e.width}`);
    const thickText = thick.join(' ');
    if (this.root.dataset['trafficEdges'] !== thickText) this.root.dataset['trafficEdges'] = thickText;
    this.invalidate(true);
  }

  setSelected(id: string | null): void {
    if (this.selected === id) return;
    this.selected = id;
    this.recomputeHighlight();
    this.invalidate(true);
  }

  getZoom(): Zoom {
    return this.zoom;
  }

  setZoom(z: Zoom, notify = false): void {
    this.zoom = z;
    this.invalidate(true);
    if (notify) this.notifyZoom();
  }

  private notifyZoom(): void {
    if (this.zoomTimer) clearTimeout(this.zoomTimer);
    this.zoomTimer = setTimeout(() => this.cb.onZoom(this.zoom), 300);
  }

  /** Screen insets kept free of graph when fitting (header, sidebar, details panel). */
  insets = { top: 110, right: 40, bottom: 60, left: 40 };

  fit(notify = true): void {
    const b = boundsOf(this.scene.nodes);
    const i = this.insets;
    const z = fitZoom(b, { width: Math.max(100, this.width - i.left - i.right), height: Math.max(100, this.height - i.top - i.bottom) });
    this.setZoom({ k: z.k, x: z.x + i.left, y: z.y + i.top }, notify);
  }

  zoomBy(factor: number): void {
    this.setZoom(zoomAround(this.zoom, this.width / 2, this.height / 2, factor), true);
  }

  /** Pans (without zooming) so a node is not hidden under the right-hand panels. */
  ensureVisible(id: string, rightInsetPx: number): void {
    const p = this.screenOf(id);
    if (!p) return;
    const maxX = this.width - rightInsetPx - 60;
    const minY = this.insets.top;
    const maxY = this.height - this.insets.bottom;
    let dx = 0;
    let dy = 0;
    if (p.x > maxX) dx = maxX - p.x - (maxX > 300 ? (maxX - 60) / 3 : 0);
    if (p.x < 60) dx = 60 - p.x;
    if (p.y < minY) dy = minY - p.y;
    if (p.y > maxY) dy = maxY - p.y;
    if (dx || dy) this.setZoom({ k: this.zoom.k, x: this.zoom.x + dx, y: this.zoom.y + dy }, true);
  }

  /** Screen position of a node (for tests and the benchmark). */
  screenOf(id: string): { x: number; y: number } | null {
    const n = this.scene.byId.get(id);
    return n ? { x: n.x * this.zoom.k + this.zoom.x, y: n.y * this.zoom.k + this.zoom.y } : null;
  }

  private setHover(node: string | null, edge: string | null): void {
    if (node === this.hoveredNode && edge === this.hoveredEdge) return;
    this.hoveredNode = node;
    this.hoveredEdge = edge;
    this.recomputeHighlight();
    this.root.dataset['hoveredNode'] = node ?? '';
    this.root.dataset['hoveredEdge'] = edge ?? '';
    this.root.style.cursor = node || edge ? 'pointer' : '';
    this.cb.onHover?.(node, edge);
    this.updateTooltip();
    this.invalidate(false);
  }

  /** Shows the hovered edge's figures next to the pointer (a hovered node wins: no tooltip). */
  private updateTooltip(): void {
    const tip = this.tooltip;
    const e = this.hoveredNode || !this.hoveredEdge ? undefined : this.scene.edges.find((x) => x.id === this.hoveredEdge);
    if (!e) {
      if (tip.style.display !== 'none') tip.style.display = 'none';
      return;
    }
    const label = (id: string): string => this.scene.byId.get(id)?.label ?? id;
    const text = edgeTooltipLines(label(e.source), label(e.target), e.traffic).join('\n');
    if (tip.textContent !== text) tip.textContent = text;
    tip.dataset['edgeId'] = e.id;
    tip.dataset['bytesPerSecond'] = String(edgeBytesPerSecond(e.traffic));
    tip.style.display = '';
    this.placeTooltip();
  }

  private placeTooltip(): void {
    const tip = this.tooltip;
    // Right of and below the pointer, flipped when it would leave the graph.
    const w = tip.offsetWidth;
    const h = tip.offsetHeight;
    const x = this.pointer.x + 14 + w > this.width ? this.pointer.x - 14 - w : this.pointer.x + 14;
    const y = this.pointer.y + 16 + h > this.height ? this.pointer.y - 12 - h : this.pointer.y + 16;
    tip.style.transform = `translate(${Math.max(0, x).toFixed(0)}px, ${Math.max(0, y).toFixed(0)}px)`;
  }

  /** Hover wins; otherwise the selected node's neighbourhood stays highlighted (without animation). */
  private recomputeHighlight(): void {
    if (this.hoveredNode || this.hoveredEdge) {
      this.highlight = highlightSet(this.scene, this.hoveredNode, this.hoveredNode ? null : this.hoveredEdge);
      this.animate = true;
    } else {
      this.highlight = highlightSet(this.scene, this.selected, null);
      this.animate = false;
    }
    this.root.dataset['highlightedEdges'] = [...this.highlight.edges].join(' ');
  }

  private invalidate(all: boolean): void {
    if (all) this.staticDirty = true;
    this.interactiveDirty = true;
    if (!this.raf) this.raf = requestAnimationFrame(this.frame);
  }

  /** Marks a user pan/zoom; a full redraw follows 150 ms after the last one. */
  private interact(): void {
    this.interacting = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      this.interacting = false;
      this.invalidate(true);
    }, 150);
  }

  private updateLabels(): void {
    this.labels.update(this.visible, this.zoom, this.detail, { hovered: this.hoveredNode, selected: this.selected, highlighted: this.highlight.nodes });
  }

  private drawFromSnapshot(): boolean {
    const snap = this.snapshot;
    const sz = this.snapZoom;
    if (!this.interacting || !snap || !sz) return false;
    const ctx = this.staticCanvas.getContext('2d');
    if (!ctx) return false;
    const r = this.zoom.k / sz.k;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.staticCanvas.width, this.staticCanvas.height);
    ctx.setTransform(r, 0, 0, r, (this.zoom.x - sz.x * r) * this.dpr, (this.zoom.y - sz.y * r) * this.dpr);
    ctx.drawImage(snap, 0, 0);
    return true;
  }

  private takeSnapshot(): void {
    if (!this.snapshot) this.snapshot = document.createElement('canvas');
    const snap = this.snapshot;
    if (snap.width !== this.staticCanvas.width || snap.height !== this.staticCanvas.height) {
      snap.width = this.staticCanvas.width;
      snap.height = this.staticCanvas.height;
    }
    const ctx = snap.getContext('2d');
    if (!ctx) return;
    ctx.clearRect(0, 0, snap.width, snap.height);
    ctx.drawImage(this.staticCanvas, 0, 0);
    this.snapZoom = { ...this.zoom };
  }

  private frame = (time: number): void => {
    this.raf = 0;
    const t0 = performance.now();
    if (this.staticDirty && this.drawFromSnapshot()) {
      this.staticDirty = false;
      if (!this.labels.shift(this.zoom)) this.updateLabels();
      this.stats.lastStaticMillis = performance.now() - t0;
    } else if (this.staticDirty) {
      this.staticDirty = false;
      const k = this.zoom.k;
      const m = 80 / k;
      this.visible = this.index.query(-this.zoom.x / k - m, -this.zoom.y / k - m, (this.width - this.zoom.x) / k + m, (this.height - this.zoom.y) / k + m);
      this.detail = levelOfDetail(k, this.visible.length);
      const ctx = this.staticCanvas.getContext('2d');
      if (ctx) paintStatic(ctx, { scene: this.scene, visibleNodes: this.visible, zoom: this.zoom, width: this.width, height: this.height, dpr: this.dpr, detail: this.detail, theme: this.theme });
      this.takeSnapshot();
      // While a gesture goes on, labels follow with one transform; they are re-laid out at rest.
      if (!this.interacting || !this.labels.shift(this.zoom)) this.updateLabels();
      this.stats.lastStaticMillis = performance.now() - t0;
    } else if (this.interactiveDirty && !this.interacting) {
      this.updateLabels();
    }
    const animating = this.animate && this.highlight.edges.size > 0;
    if (this.interactiveDirty || animating) {
      this.interactiveDirty = false;
      const ctx = this.interactiveCanvas.getContext('2d');
      if (ctx) {
        paintInteractive(ctx, {
          scene: this.scene, visibleNodes: this.visible, zoom: this.zoom, width: this.width, height: this.height, dpr: this.dpr,
          detail: this.detail, theme: this.theme, highlightNodes: this.highlight.nodes, highlightEdges: this.highlight.edges,
          selectedId: this.selected, timeMillis: animating ? time : 0,
        });
      }
    }
    this.stats.lastFrameMillis = performance.now() - t0;
    this.stats.frames++;
    if (animating && !this.raf) this.raf = requestAnimationFrame(this.frame);
  };

  private local(ev: { clientX: number; clientY: number }): { x: number; y: number } {
    const r = this.root.getBoundingClientRect();
    return { x: ev.clientX - r.left, y: ev.clientY - r.top };
  }

  private onWheel = (ev: WheelEvent): void => {
    ev.preventDefault();
    const p = this.local(ev);
    const factor = Math.exp(-ev.deltaY * (ev.deltaMode === 1 ? 0.05 : 0.0015));
    this.interact();
    this.setZoom(zoomAround(this.zoom, p.x, p.y, factor), true);
  };

  private onPointerDown = (ev: PointerEvent): void => {
    if (ev.button !== 0) return;
    const p = this.local(ev);
    this.drag = { x: p.x, y: p.y, zx: this.zoom.x, zy: this.zoom.y, moved: false, id: ev.pointerId };
  };

  private hitTest(sx: number, sy: number): { node: SceneNode | null; edge: SceneEdge | null } {
    const w = toWorld(this.zoom, sx, sy);
    const node = this.index.nearest(w.x, w.y, NODE_RADIUS * 1.15);
    if (node) return { node, edge: null };
    const tol = 6 / this.zoom.k;
    let best: SceneEdge | null = null;
    let bestD = tol * tol;
    if (this.scene.edges.length <= 6000) {
      for (const e of this.scene.edges) {
        if (w.x < Math.min(e.sx, e.tx, e.cx) - tol || w.x > Math.max(e.sx, e.tx, e.cx) + tol || w.y < Math.min(e.sy, e.ty, e.cy) - tol || w.y > Math.max(e.sy, e.ty, e.cy) + tol) continue;
        const d = edgeDistance2(e, w.x, w.y);
        if (d < bestD) {
          bestD = d;
          best = e;
        }
      }
    }
    return { node: null, edge: best };
  }

  private onPointerMove = (ev: PointerEvent): void => {
    const p = this.local(ev);
    if (this.drag) {
      const dx = p.x - this.drag.x;
      const dy = p.y - this.drag.y;
      if (!this.drag.moved && Math.hypot(dx, dy) > 4) {
        this.drag.moved = true;
        this.root.setPointerCapture(this.drag.id);
        this.root.classList.add('panning');
      }
      if (this.drag.moved) {
        this.interact();
        this.setZoom({ k: this.zoom.k, x: this.drag.zx + dx, y: this.drag.zy + dy }, true);
        return;
      }
    }
    if (ev.target !== this.root && !(ev.target instanceof HTMLCanvasElement) && !(ev.target as HTMLElement).classList.contains('graph-labels')) return;
    this.pointer = p;
    const hit = this.hitTest(p.x, p.y);
    this.setHover(hit.node?.id ?? null, hit.edge?.id ?? null);
    if (hit.edge && !hit.node) this.placeTooltip();
  };

  private onPointerUp = (ev: PointerEvent): void => {
    const d = this.drag;
    this.drag = null;
    this.root.classList.remove('panning');
    if (!d) return;
    if (this.root.hasPointerCapture(d.id)) this.root.releasePointerCapture(d.id);
    if (d.moved) return;
    const p = this.local(ev);
    const hit = this.hitTest(p.x, p.y);
    this.cb.onSelect(hit.node?.id ?? null);
  };

  private onPointerLeave = (): void => {
    if (!this.drag) this.setHover(null, null);
  };
}
