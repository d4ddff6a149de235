/** Table view model (app spec §6.9), pure: columns from the node set, cell values, sorting. */
import type { NodeSummary } from '../domain/api-types.js';
import type { NodeTraffic } from './edge-traffic.js';

export interface Column {
  id: string;
  label: string;
  kind: 'label' | 'parent' | 'metadata' | 'metric' | 'count' | 'traffic';
  dataType?: string;
  format?: string;
}

const HIDDEN_METADATA = new Set(['docker_container_ports', 'docker_container_id', 'docker_image_id', 'docker_container_command', 'docker_container_networks']);

/**
 * Traffic columns (sums over a node's edges, both directions; OpenScope apps with eBPF probes):
 * `format` tells the view how to print them.
 */
export const TRAFFIC_COLUMNS: readonly Column[] = [
  { id: 'traffic:sent', label: 'Sent/s', kind: 'traffic', dataType: 'number', format: 'rate' },
  { id: 'traffic:received', label: 'Received/s', kind: 'traffic', dataType: 'number', format: 'rate' },
  { id: 'traffic:rtt', label: 'RTT p95', kind: 'traffic', dataType: 'number', format: 'rtt' },
  { id: 'traffic:retransmits', label: 'Retransmits', kind: 'traffic', dataType: 'number' },
  { id: 'traffic:resets', label: 'Resets', kind: 'traffic', dataType: 'number' },
];

/** Columns: name, parents (per topology, e.g. host), metadata, metrics, traffic (when any), edge counts. */
export function tableColumns(nodes: Iterable<NodeSummary>, topologyNames: Record<string, string>): Column[] {
  let traffic = false;
  const parents = new Map<string, Column>();
  const metadata = new Map<string, Column>();
  const metrics = new Map<string, Column>();
  for (const n of nodes) {
    if (n.edge_metrics !== undefined) traffic = true;
    for (const p of n.parents ?? []) if (!parents.has(p.topologyId)) parents.set(p.topologyId, { id: `parent:${p.topologyId}`, label: topologyNames[p.topologyId] ?? p.topologyId, kind: 'parent' });
    for (const m of n.metadata ?? []) {
      if (HIDDEN_METADATA.has(m.id) || metadata.has(m.id)) continue;
      const col: Column = { id: `meta:${m.id}`, label: m.label, kind: 'metadata' };
      if (m.dataType) col.dataType = m.dataType;
      metadata.set(m.id, col);
    }
    for (const m of n.metrics ?? []) {
      if (m.valueEmpty || metrics.has(m.id)) continue;
      const col: Column = { id: `metric:${m.id}`, label: m.label, kind: 'metric', dataType: 'number' };
      if (m.format) col.format = m.format;
      metrics.set(m.id, col);
    }
  }
  const byLabel = (a: Column, b: Column): number => a.label.localeCompare(b.label);
  return [
    { id: 'label', label: 'Name', kind: 'label' },
    ...[...parents.values()].sort(byLabel),
    ...[...metadata.values()].sort(byLabel),
    ...[...metrics.values()].sort(byLabel),
    ...(traffic ? TRAFFIC_COLUMNS : []),
    { id: 'count:in', label: 'In', kind: 'count', dataType: 'number' },
    { id: 'count:out', label: 'Out', kind: 'count', dataType: 'number' },
  ];
}

export type Cell = string | number | null;

/** A cell; traffic columns read `traffic` (from `nodeTraffic`), empty for nodes without figures. */
export function cellValue(n: NodeSummary, col: Column, inDegree: ReadonlyMap<string, number>, traffic?: ReadonlyMap<string, NodeTraffic>): Cell {
  switch (col.kind) {
    case 'label':
      return n.label;
    case 'parent': {
      const t = col.id.slice('parent:'.length);
      const ps = (n.parents ?? []).filter((p) => p.topologyId === t);
      return ps.length ? ps.map((p) => p.label).join(', ') : null;
    }
    case 'metadata': {
      const id = col.id.slice('meta:'.length);
      const row = n.metadata?.find((m) => m.id === id);
      if (!row) return null;
      return col.dataType === 'number' || col.dataType === 'duration' ? Number(row.value) : row.value;
    }
    case 'metric': {
      const id = col.id.slice('metric:'.length);
      const row = n.metrics?.find((m) => m.id === id);
      return row && !row.valueEmpty ? row.value : null;
    }
    case 'count':
      return col.id === 'count:in' ? (inDegree.get(n.id) ?? 0) : (n.adjacency?.length ?? 0);
    case 'traffic': {
      const t = traffic?.get(n.id);
      if (t === undefined) return null;
      switch (col.id) {
        case 'traffic:sent':
          return t.sentPerSecond;
        case 'traffic:received':
          return t.receivedPerSecond;
        case 'traffic:rtt':
          return t.rttP95Micros;
        case 'traffic:retransmits':
          return t.retransmits;
        case 'traffic:resets':
          return t.resets;
        default:
          return null;
      }
    }
  }
}

function ipKey(v: string): string {
  return v
    .split('.')
    .map((o) => o.padStart(3, '0'))
    .join('.');
}

/** Default sort: first metric column, descending; else name ascending. */
export function defaultSort(columns: readonly Column[]): { by: string; desc: boolean } {
  const metric = columns.find((c) => c.kind === 'metric');
  return metric ? { by: metric.id, desc: true } : { by: 'label', desc: false };
}

/** Sorts rows by a column; empty cells always last; ties broken by label then id. */
export function sortRows(
  nodes: readonly NodeSummary[],
  col: Column,
  desc: boolean,
  inDegree: ReadonlyMap<string, number>,
  traffic?: ReadonlyMap<string, NodeTraffic>,
): NodeSummary[] {
  const keyed = nodes.map((n) => {
    let v = cellValue(n, col, inDegree, traffic);
    if (typeof v === 'string' && col.dataType === 'ip') v = ipKey(v);
    if (typeof v === 'number' && Number.isNaN(v)) v = null;
    return { n, v };
  });
  keyed.sort((a, b) => {
    if (a.v === null && b.v === null) return a.n.label.localeCompare(b.n.label) || (a.n.id < b.n.id ? -1 : 1);
    if (a.v === null) return 1;
    if (b.v === null) return -1;
    let c: number;
    if (typeof a.v === 'number' && typeof b.v === 'number') c = a.v - b.v;
    else c = String(a.v).localeCompare(String(b.v), undefined, { numeric: true });
    if (desc) c = -c;
    return c || a.n.label.localeCompare(b.n.label) || (a.n.id < b.n.id ? -1 : 1);
  });
  return keyed.map((k) => k.n);
}

export function inDegrees(nodes: Iterable<NodeSummary>): Map<string, number> {
  const m = new Map<string, number>();
  for (const n of nodes) for (const t of n.adjacency ?? []) m.set(t, (m.get(t) ?? 0) + 1);
  return m;
}

/** Table filter on traffic: minimum bytes/s both ways, and only nodes with retransmits or resets. */
export interface TrafficFilter {
  minBytesPerSecond: number;
  onlyProblems: boolean;
}

/** Whether node `id` passes `filter` (nodes without figures fail any active filter). */
export function passesTrafficFilter(id: string, filter: TrafficFilter, traffic: ReadonlyMap<string, NodeTraffic>): boolean {
  if (filter.minBytesPerSecond <= 0 && !filter.onlyProblems) return true;
  const t = traffic.get(id);
  if (t === undefined) return false;
  if (t.sentPerSecond + t.receivedPerSecond < filter.minBytesPerSecond) return false;
  return !filter.onlyProblems || t.retransmits + t.resets > 0;
}
