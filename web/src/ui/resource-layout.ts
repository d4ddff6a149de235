/**
 * Resource view layout (app spec §6.10), pure: hosts → containers → processes as nested bars
 * whose widths follow a metric (CPU or Memory, matched by metric label).
 */
import type { MetricRow, NodeSummary } from '../domain/api-types.js';

export interface ResourceBox {
  id: string;
  topologyId: string;
  label: string;
  layer: 0 | 1 | 2;
  x: number;
  width: number;
  value: number;
  /** Capacity (`max`) for hosts; fraction used is value / max. */
  max: number;
  format?: string;
}

function metricOf(n: NodeSummary, label: string): MetricRow | undefined {
  return n.metrics?.find((m) => m.label === label && !m.valueEmpty);
}

function parentIn(n: NodeSummary, topologyId: string): string | undefined {
  return n.parents?.find((p) => p.topologyId === topologyId)?.id;
}

/**
 * Lays out boxes in a `totalWidth` wide strip. Hosts split the width by capacity; containers and
 * processes are placed inside their parent, sized by consumption relative to the parent, shrunk
 * proportionally when they would overflow it.
 */
export function resourceLayout(hosts: readonly NodeSummary[], containers: readonly NodeSummary[], processes: readonly NodeSummary[], metricLabel: string, totalWidth: number): ResourceBox[] {
  const out: ResourceBox[] = [];
  const hostRows = hosts.flatMap((h) => {
    const m = metricOf(h, metricLabel);
    return m && m.max > 0 ? [{ n: h, m }] : [];
  });
  const totalCap = hostRows.reduce((s, r) => s + r.m.max, 0);
  if (totalCap <= 0) return out;
  const unit = totalWidth / totalCap; // pixels per metric unit, shared by all layers
  let x = 0;
  const place = (layer: 0 | 1 | 2, topologyId: string, children: readonly NodeSummary[], parentTopology: string, parents: Map<string, ResourceBox>): Map<string, ResourceBox> => {
    const placed = new Map<string, ResourceBox>();
    const byParent = new Map<string, { n: NodeSummary; m: MetricRow }[]>();
    for (const c of children) {
      const m = metricOf(c, metricLabel);
      const p = parentIn(c, parentTopology);
      if (!m || !p || !parents.has(p) || m.value <= 0) continue;
      let list = byParent.get(p);
      if (!list) byParent.set(p, (list = []));
      list.push({ n: c, m });
    }
    for (const [pid, list] of byParent) {
      const parent = parents.get(pid);
      if (!parent) continue;
      list.sort((a, b) => b.m.value - a.m.value);
      const want = list.reduce((s, r) => s + r.m.value * unit, 0);
      const avail = layer === 1 ? parent.width * Math.min(1, parent.value / parent.max || 1) : parent.width;
      const shrink = want > avail && want > 0 ? avail / want : 1;
      let cx = parent.x;
      for (const r of list) {
        const w = r.m.value * unit * shrink;
        if (w <= 0) continue;
        const box: ResourceBox = { id: r.n.id, topologyId, label: r.n.label, layer, x: cx, width: w, value: r.m.value, max: r.m.max };
        if (r.m.format) box.format = r.m.format;
        out.push(box);
        placed.set(r.n.id, box);
        cx += w;
      }
    }
    return placed;
  };
  const hostBoxes = new Map<string, ResourceBox>();
  for (const r of hostRows.sort((a, b) => b.m.value - a.m.value)) {
    const w = r.m.max * unit;
    const box: ResourceBox = { id: r.n.id, topologyId: 'hosts', label: r.n.label, layer: 0, x, width: w, value: r.m.value, max: r.m.max };
    if (r.m.format) box.format = r.m.format;
    out.push(box);
    hostBoxes.set(r.n.id, box);
    x += w;
  }
  const containerBoxes = place(1, 'containers', containers, 'hosts', hostBoxes);
  place(2, 'processes', processes, 'containers', containerBoxes);
  return out;
}
