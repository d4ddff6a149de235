/** Resource view (app spec §6.10): hosts → containers → processes as bars sized by a metric. */
import { useEffect, useMemo, useRef, useState } from 'react';
import { useActions, useStore } from '../store/react.js';
import { resourceLayout } from '../ui/resource-layout.js';
import { formatMetric } from '../ui/format.js';
import { nodeColor } from '../ui/color.js';

const LAYER_NAMES = ['Hosts', 'Containers', 'Processes'];

export function ResourceView(): React.JSX.Element {
  const actions = useActions();
  const data = useStore((s) => s.resource);
  const pinned = useStore((s) => s.url.pinnedMetricType);
  const metric = pinned === 'Memory' ? 'Memory' : 'CPU';
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(800);
  useEffect(() => {
    const el = ref.current;
    if (!el) return undefined;
    const ro = new ResizeObserver(() => setWidth(Math.max(200, el.clientWidth - 140)));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const boxes = useMemo(() => (data ? resourceLayout(data.hosts, data.containers, data.processes, metric, width) : []), [data, metric, width]);
  return (
    <div className="resource-view" ref={ref} data-testid="resource-view">
      {!data ? <div className="empty">Loading resources…</div> : null}
      {data && boxes.length === 0 ? <div className="empty">No {metric} data from hosts yet.</div> : null}
      {[2, 1, 0].map((layer) => (
        <div key={layer} className="resource-layer">
          <div className="resource-layer-name">{LAYER_NAMES[layer]}</div>
          <div className="resource-lane">
            {boxes
              .filter((b) => b.layer === layer)
              .map((b) => {
                const c = nodeColor(b.label, b.label, false);
                const used = layer === 0 && b.max > 0 ? Math.min(1, b.value / b.max) : 1;
                return (
                  <button
                    key={b.id}
                    type="button"
                    className="resource-box"
                    data-testid="resource-box"
                    style={{ left: b.x, width: Math.max(1, b.width - 1), borderColor: c.fill }}
                    title={`${b.label}: ${formatMetric(b.value, b.format)}${layer === 0 ? ` used of ${formatMetric(b.max, b.format)}` : ''}`}
                    onClick={() => actions.selectNode(b.id, b.topologyId)}
                  >
                    <span className="resource-fill" style={{ width: `${used * 100}%`, background: c.fill }} />
                    {b.width > 60 ? (
                      <span className="resource-label">
                        {b.label}
                        {b.width > 180 ? <span className="minor"> {layer === 0 ? `${formatMetric(b.value, b.format)} of ${formatMetric(b.max, b.format)}` : formatMetric(b.value, b.format)}</span> : null}
                      </span>
                    ) : null}
                  </button>
                );
              })}
          </div>
        </div>
      ))}
    </div>
  );
}
