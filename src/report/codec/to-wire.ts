/**
 * Domain `Report` → Scope's JSON wire tree (wire §2): field names, declaration order and omitempty
 * rules of Scope 1.13.2's Go structs. `msgpack-write.ts` writes the same shape straight to bytes;
 * the two must change together.
 */
import {
  TOPOLOGIES,
  type Control,
  type LatestMap,
  type MetadataTemplate,
  type Metric,
  type MetricTemplate,
  type Node,
  type PluginSpec,
  type Report,
  type Sets,
  type TableTemplate,
  type Topology,
} from '../types.js';

type WireObj = Record<string, unknown>;

/** Sets an own property; `__proto__` as a key must not reach the prototype setter. */
function put(o: WireObj, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

function mapToObj<T>(m: ReadonlyMap<string, T>, f: (v: T) => unknown): WireObj {
  const o: WireObj = {};
  const values = m.values();
  for (const k of m.keys()) put(o, k, f(values.next().value as T));
  return o;
}

/** Sets: `null` when empty (Scope always writes the field). */
function setsToWire(s: Sets): WireObj | null {
  return s.size === 0 ? null : mapToObj(s, (v) => v);
}

function latestToWire(l: LatestMap): WireObj {
  return mapToObj(l, (e) => ({ timestamp: e.timestamp, value: e.value }));
}

function metricToWire(m: Metric): WireObj {
  const o: WireObj = {};
  if (m.samples.length > 0) o.samples = m.samples.map((s) => ({ date: s.date, value: s.value }));
  o.min = m.min;
  o.max = m.max;
  return o;
}

function nodeToWire(n: Node): WireObj {
  const o: WireObj = {};
  if (n.id !== '') o.id = n.id;
  if (n.topology !== '') o.topology = n.topology;
  o.sets = setsToWire(n.sets);
  if (n.adjacency.length > 0) o.adjacency = n.adjacency;
  if (n.latest.size > 0) o.latest = latestToWire(n.latest);
  if (n.metrics.size > 0) o.metrics = mapToObj(n.metrics, metricToWire);
  o.parents = setsToWire(n.parents);
  o.children = n.children === null ? null : Array.from(n.children.values(), nodeToWire);
  return o;
}

function controlToWire(c: Control): WireObj {
  const o: WireObj = { id: c.id, human: c.human, icon: c.icon };
  if (c.confirmation !== '') o.confirmation = c.confirmation;
  o.rank = c.rank;
  if (c.probeId !== '') o.probeId = c.probeId;
  return o;
}

function metadataTemplateToWire(t: MetadataTemplate): WireObj {
  const o: WireObj = { id: t.id };
  if (t.label !== '') o.label = t.label;
  if (t.truncate !== 0) o.truncate = t.truncate;
  if (t.dataType !== '') o.dataType = t.dataType;
  if (t.priority !== 0) o.priority = t.priority;
  if (t.from !== '') o.from = t.from;
  return o;
}

function metricTemplateToWire(t: MetricTemplate): WireObj {
  const o: WireObj = { id: t.id };
  if (t.label !== '') o.label = t.label;
  if (t.format !== '') o.format = t.format;
  if (t.group !== '') o.group = t.group;
  if (t.priority !== 0) o.priority = t.priority;
  return o;
}

function tableTemplateToWire(t: TableTemplate): WireObj {
  return {
    id: t.id,
    label: t.label,
    prefix: t.prefix,
    type: t.type,
    // Go: a nil slice is null; fixedRows is always a made map.
    columns: t.columns.length === 0 ? null : t.columns.map((c) => ({ id: c.id, label: c.label, dataType: c.dataType })),
    fixedRows: mapToObj(t.fixedRows, (v) => v),
  };
}

function topologyToWire(t: Topology): WireObj {
  const o: WireObj = {};
  if (t.shape !== '') o.shape = t.shape;
  if (t.tag !== '') o.tag = t.tag;
  if (t.label !== '') o.label = t.label;
  if (t.labelPlural !== '') o.label_plural = t.labelPlural;
  if (t.nodes.size > 0) o.nodes = mapToObj(t.nodes, nodeToWire);
  if (t.controls.size > 0) o.controls = mapToObj(t.controls, controlToWire);
  if (t.metadataTemplates.size > 0) o.metadata_templates = mapToObj(t.metadataTemplates, metadataTemplateToWire);
  if (t.metricTemplates.size > 0) o.metric_templates = mapToObj(t.metricTemplates, metricTemplateToWire);
  if (t.tableTemplates.size > 0) o.table_templates = mapToObj(t.tableTemplates, tableTemplateToWire);
  return o;
}

function pluginToWire(p: PluginSpec): WireObj {
  const o: WireObj = { id: p.id, label: p.label };
  if (p.description !== '') o.description = p.description;
  o.interfaces = p.interfaces;
  if (p.apiVersion !== '') o.api_version = p.apiVersion;
  if (p.status !== '') o.status = p.status;
  return o;
}

/** Scope's JSON form of a report as a plain object tree (what `GET /api/report` returns). */
export function reportToWireJson(r: Report): unknown {
  const o: WireObj = { TS: r.ts };
  for (const { wire, name } of TOPOLOGIES) o[wire] = topologyToWire(r.topologies[name]);
  if (r.dns.size > 0) {
    o.DNS = mapToObj(r.dns, (d) => {
      const rec: WireObj = {};
      if (d.forward.length > 0) rec.forward = d.forward;
      if (d.reverse.length > 0) rec.reverse = d.reverse;
      return rec;
    });
  }
  o.Sampling = { Count: r.sampling.count, Total: r.sampling.total };
  o.Window = r.windowNanos;
  o.Shortcut = r.shortcut;
  o.Plugins = r.plugins.map(pluginToWire);
  o.ID = r.id;
  return o;
}
