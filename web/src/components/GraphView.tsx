/** Graph view: mounts the canvas renderer and feeds it the scene derived from the store. */
import { useEffect, useMemo, useRef } from 'react';
import { useActions, useStore } from '../store/react.js';
import { nextScene, type Scene, type SceneInput } from '../ui/scene.js';
import { GraphRenderer } from './graph/graph-renderer.js';
import { useSearchView } from './use-view-model.js';

declare global {
  interface Window {
    /** Exposed for the benchmark page and e2e tests (read-only use). */
    __openscopeGraph?: GraphRenderer;
  }
}

export function GraphView(): React.JSX.Element {
  const actions = useActions();
  const hostRef = useRef<HTMLDivElement>(null);
  const rendererRef = useRef<GraphRenderer | null>(null);
  const nodes = useStore((s) => s.nodes);
  const layout = useStore((s) => s.layout);
  const metric = useStore((s) => s.url.pinnedMetricType);
  const selected = useStore((s) => s.url.selectedNodeId);
  const urlZoom = useStore((s) => s.url.zoom);
  const theme = useStore((s) => s.url.theme);
  const { matches, hidden } = useSearchView();
  const fittedKey = useRef<string | null>(null);
  const urlZoomRef = useRef(urlZoom);
  urlZoomRef.current = urlZoom;

  useEffect(() => {
    const host = hostRef.current;
    if (!host) return undefined;
    const r = new GraphRenderer(host, {
      onSelect: (id) => actions.selectNode(id),
      onZoom: (z) => actions.setZoom(z),
    });
    rendererRef.current = r;
    window.__openscopeGraph = r;
    return () => {
      r.dispose();
      rendererRef.current = null;
      if (window.__openscopeGraph === r) delete window.__openscopeGraph;
    };
  }, [actions]);

  const positions = layout?.positions;
  const emptyPositions = useMemo(() => ({}), []);
  const prevScene = useRef<{ scene: Scene; input: SceneInput } | null>(null);
  const scene = useMemo(() => {
    const input: SceneInput = { nodes, positions: positions ?? emptyPositions, matches, hidden, metricLabel: metric };
    const s = nextScene(prevScene.current, input);
    prevScene.current = { scene: s, input };
    return s;
  }, [nodes, positions, emptyPositions, matches, hidden, metric]);

  useEffect(() => {
    const r = rendererRef.current;
    if (!r) return;
    r.setScene(scene);
    // First layout of a view: use the URL's zoom if any, else fit the graph.
    if (layout && !layout.pending && fittedKey.current !== layout.key && scene.nodes.length > 0) {
      fittedKey.current = layout.key;
      if (urlZoomRef.current) r.setZoom(urlZoomRef.current);
      else r.fit(false);
    }
  }, [scene, layout]);

  useEffect(() => {
    const r = rendererRef.current;
    if (!r || !urlZoom) return;
    const z = r.getZoom();
    if (Math.abs(z.x - urlZoom.x) > 1 || Math.abs(z.y - urlZoom.y) > 1 || Math.abs(z.k - urlZoom.k) > 0.002) r.setZoom(urlZoom);
  }, [urlZoom]);

  useEffect(() => {
    const r = rendererRef.current;
    if (!r) return;
    r.setSelected(selected);
    // Keep the selected node clear of the details panel (420 px + margins).
    if (selected) r.ensureVisible(selected, 460);
  }, [selected]);
  useEffect(() => rendererRef.current?.setTheme(), [theme]);

  return (
    <div className="graph-view">
      <div
        ref={hostRef}
        className="graph-host"
        data-testid="graph"
        data-node-count={scene.nodes.length}
        data-edge-count={scene.edges.length}
        data-layout-engine={layout?.engine ?? ''}
        data-layout-pending={layout?.pending ? 'true' : 'false'}
        aria-label="Topology graph"
      />
      {layout?.pending && scene.nodes.length === 0 && nodes.size > 0 ? (
        <div className="empty-state" data-testid="layout-pending">
          Laying out {nodes.size} nodes…
        </div>
      ) : null}
      <div className="zoom-controls" role="group" aria-label="Zoom">
        <button type="button" data-testid="zoom-in" title="Zoom in" onClick={() => rendererRef.current?.zoomBy(1.3)}>
          +
        </button>
        <button type="button" data-testid="zoom-out" title="Zoom out" onClick={() => rendererRef.current?.zoomBy(1 / 1.3)}>
          −
        </button>
        <button type="button" data-testid="zoom-fit" title="Fit to screen" onClick={() => rendererRef.current?.fit()}>
          ⤢
        </button>
      </div>
    </div>
  );
}
