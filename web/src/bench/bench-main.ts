/**
 * Benchmark page (web/bench.html): synthetic graphs of 100 / 1,000 / 5,000 nodes (2 edges per
 * node) go through the real pipeline — layout in the Web Worker, scene building, the canvas +
 * DOM-label renderer — and the page records layout time, time to first frame, pan/zoom frame
 * times and the cost of a live metric update. Results land in `window.__benchResults`
 * (read by bench/ui-bench.ts).
 */
import { LayoutService } from '../data/layout-service.js';
import { buildScene, nextScene, type SceneInput } from '../ui/scene.js';
import { applyDiff } from '../ui/graph-diff.js';
import { GraphRenderer } from '../components/graph/graph-renderer.js';
import type { NodeSummary } from '../domain/api-types.js';
import { synthetic } from '../ui/synthetic.js';
import '../styles.css';

export interface BenchRow {
  nodes: number;
  edges: number;
  layoutEngine: string;
  layoutMillis: number;
  /** From "nodes arrive" to the first painted frame (layout + scene + draw). */
  firstFrameMillis: number;
  /** Pan/zoom: median and 95th percentile of frame intervals, and frames per second. */
  panFrameMedianMillis: number;
  panFrameP95Millis: number;
  panFps: number;
  /** Our own drawing work per pan frame (canvas + labels), median. */
  drawMedianMillis: number;
  /** A live update changing every node's metrics: apply diff + rebuild scene + redraw. */
  updateMillis: number;
  /** One node added: incremental layout (others keep their place) + redraw. */
  addNodeMillis: number;
}

declare global {
  interface Window {
    __benchResults?: BenchRow[];
    __benchError?: string;
  }
}

const nextFrame = (): Promise<number> => new Promise((r) => requestAnimationFrame(r));

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
}

async function runOne(n: number, host: HTMLElement, layouts: LayoutService): Promise<BenchRow> {
  host.innerHTML = '';
  const nodes = synthetic(n);
  const edges = [...nodes.values()].reduce((s, x) => s + (x.adjacency?.length ?? 0), 0);
  const renderer = new GraphRenderer(host, { onSelect: () => undefined, onZoom: () => undefined });
  await nextFrame();
  const t0 = performance.now();
  const layoutReq = {
    nodes: [...nodes.values()].map((x) => ({ id: x.id, rank: x.rank })),
    edges: [...nodes.values()].flatMap((x) => (x.adjacency ?? []).map((t) => ({ source: x.id, target: t }))),
    previous: {},
  };
  const layout = await layouts.layout(layoutReq);
  if (!layout) throw new Error('layout superseded');
  const input0: SceneInput = { nodes, positions: layout.positions, matches: null, hidden: null, metricLabel: 'CPU' };
  const scene = buildScene(input0);
  renderer.setScene(scene);
  renderer.fit(false);
  await nextFrame();
  await nextFrame();
  const firstFrameMillis = performance.now() - t0;

  // Pan and zoom for 120 frames, as a user dragging and wheeling would.
  const intervals: number[] = [];
  const draws: number[] = [];
  let last = await nextFrame();
  const z0 = renderer.getZoom();
  for (let i = 0; i < 120; i++) {
    const k = z0.k * (1 + 0.5 * Math.sin(i / 20));
    renderer.interactiveZoom({ k, x: z0.x + Math.sin(i / 10) * 200, y: z0.y + Math.cos(i / 13) * 150 });
    const now = await nextFrame();
    intervals.push(now - last);
    draws.push(renderer.stats.lastFrameMillis);
    last = now;
  }
  renderer.setZoom(z0);
  await new Promise((r) => setTimeout(r, 200)); // let the post-interaction full redraw happen

  // Live update: every node's metric changes (no structural change → no layout).
  const t1 = performance.now();
  const update = [...nodes.values()].map((x) => ({ ...x, metrics: x.metrics?.map((m) => ({ ...m, value: m.value * 0.9 })) }));
  const r = applyDiff(nodes, { add: null, update, remove: null });
  const input1: SceneInput = { ...input0, nodes: r.nodes };
  renderer.setScene(nextScene({ scene, input: input0 }, input1));
  await nextFrame();
  const updateMillis = performance.now() - t1;

  // One new node connected to node 0: incremental layout, the rest stays put.
  const t2 = performance.now();
  const added: NodeSummary = { id: 'new;<container>', label: 'new', labelMinor: '', rank: 'new', shape: 'hexagon', adjacency: ['n0;<container>'] };
  const r2 = applyDiff(r.nodes, { add: [added], update: null, remove: null });
  const inc = await layouts.layout({ ...layoutReq, nodes: [...layoutReq.nodes, { id: added.id, rank: added.rank }], edges: [...layoutReq.edges, { source: added.id, target: 'n0;<container>' }], previous: layout.positions });
  if (!inc) throw new Error('layout superseded');
  renderer.setScene(buildScene({ nodes: r2.nodes, positions: inc.positions, matches: null, hidden: null, metricLabel: 'CPU' }));
  await nextFrame();
  const addNodeMillis = performance.now() - t2;

  renderer.dispose();
  const panMedian = quantile(intervals, 0.5);
  return {
    nodes: n,
    edges,
    layoutEngine: layout.engine,
    layoutMillis: Math.round(layout.millis),
    firstFrameMillis: Math.round(firstFrameMillis),
    panFrameMedianMillis: Number(panMedian.toFixed(1)),
    panFrameP95Millis: Number(quantile(intervals, 0.95).toFixed(1)),
    panFps: Math.round(1000 / Math.max(1, intervals.reduce((a, b) => a + b, 0) / intervals.length)),
    drawMedianMillis: Number(quantile(draws, 0.5).toFixed(2)),
    updateMillis: Math.round(updateMillis),
    addNodeMillis: Math.round(addNodeMillis),
  };
}

async function main(): Promise<void> {
  const host = document.createElement('div');
  host.className = 'graph-host';
  host.style.position = 'fixed';
  host.style.inset = '0';
  document.body.append(host);
  // ?nolabels: hide DOM labels, to separate their cost from the canvas' in pan/zoom frames.
  if (new URLSearchParams(window.location.search).has('nolabels')) document.head.insertAdjacentHTML('beforeend', '<style>.graph-labels{display:none}</style>');
  const layouts = new LayoutService();
  const sizes = new URLSearchParams(window.location.search).get('sizes')?.split(',').map(Number) ?? [100, 1000, 5000];
  const rows: BenchRow[] = [];
  await runOne(50, host, layouts); // warm-up: worker start, JIT
  for (const n of sizes) rows.push(await runOne(n, host, layouts));
  layouts.dispose();
  window.__benchResults = rows;
  const pre = document.createElement('pre');
  pre.style.cssText = 'position:fixed;top:0;left:0;background:#fff;z-index:9;margin:0;padding:8px';
  pre.textContent = JSON.stringify(rows, null, 2);
  document.body.append(pre);
}

main().catch((err: unknown) => {
  window.__benchError = (err as Error).message;
});
