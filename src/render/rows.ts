/**
 * Metadata, metric and table rows of a node from its topology's templates (app §4.2–§4.4).
 * Templates always come from the report (probes send them).
 */
import type { Metric, MetadataTemplate, MetricTemplate, TableTemplate, Topology } from '../report/types.js';
import type { ApiMetadataRow, ApiMetricRow, ApiSample, ApiTable, ApiTableRow } from './api-types.js';
import type { RNode } from './rnode.js';

function byPriority<T extends { priority: number; id: string }>(a: T, b: T): number {
  return a.priority - b.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

// Templates rarely change, so the sorted lists are cached per template map.
const sortedCache = new WeakMap<object, unknown[]>();
function sortedValues<T extends { priority: number; id: string }>(m: Map<string, T>): T[] {
  let sorted = sortedCache.get(m) as T[] | undefined;
  if (sorted === undefined) {
    sorted = [...m.values()].sort(byPriority);
    sortedCache.set(m, sorted);
  }
  return sorted;
}

function counterValue(n: RNode, id: string): string | undefined {
  const c = n.counters?.get(id);
  if (c !== undefined) return String(c);
  return n.latest.get(`count_${id}`)?.value;
}

function setsValue(n: RNode, id: string): string | undefined {
  const set = n.sets.get(id);
  return set === undefined || set.length === 0 ? undefined : set.join(', ');
}

// Called per template per summarised node: plain functions, no closures allocated per call.
function metadataValue(n: RNode, t: MetadataTemplate): string | undefined {
  switch (t.from) {
    case 'latest':
      return n.latest.get(t.id)?.value;
    case 'sets':
      return setsValue(n, t.id);
    case 'counters':
      return counterValue(n, t.id);
    default:
      return n.latest.get(t.id)?.value ?? setsValue(n, t.id) ?? counterValue(n, t.id);
  }
}

/**
 * A metadata template's row layout, worked out once per template map: rows are built as object
 * literals of one fixed shape per layout (Scope's key order: id, label, value, priority, dataType,
 * truncate; the last three only when set) instead of growing each row key by key.
 */
interface MetadataPlan {
  readonly t: MetadataTemplate;
  /** Bit 1: priority, 2: dataType, 4: truncate. */
  readonly layout: number;
}

const metadataPlanCache = new WeakMap<object, MetadataPlan[]>();
function metadataPlans(m: Map<string, MetadataTemplate>): MetadataPlan[] {
  let plans = metadataPlanCache.get(m);
  if (plans === undefined) {
    plans = sortedValues(m).map((t) => ({ t, layout: (t.priority !== 0 ? 1 : 0) | (t.dataType !== '' ? 2 : 0) | (t.truncate !== 0 ? 4 : 0) }));
    metadataPlanCache.set(m, plans);
  }
  return plans;
}

function metadataRow(p: MetadataPlan, value: string): ApiMetadataRow {
  const t = p.t;
  switch (p.layout) {
    case 0:
      return { id: t.id, label: t.label, value };
    case 1:
      return { id: t.id, label: t.label, value, priority: t.priority };
    case 2:
      return { id: t.id, label: t.label, value, dataType: t.dataType };
    case 3:
      return { id: t.id, label: t.label, value, priority: t.priority, dataType: t.dataType };
    case 4:
      return { id: t.id, label: t.label, value, truncate: t.truncate };
    case 5:
      return { id: t.id, label: t.label, value, priority: t.priority, truncate: t.truncate };
    case 6:
      return { id: t.id, label: t.label, value, dataType: t.dataType, truncate: t.truncate };
    default:
      return { id: t.id, label: t.label, value, priority: t.priority, dataType: t.dataType, truncate: t.truncate };
  }
}

/** Metadata rows, by priority; rows without a value are left out. */
export function metadataRows(n: RNode, topology: Topology): ApiMetadataRow[] {
  const rows: ApiMetadataRow[] = [];
  for (const p of metadataPlans(topology.metadataTemplates)) {
    const value = metadataValue(n, p.t);
    if (value !== undefined) rows.push(metadataRow(p, value));
  }
  return rows;
}

/** Last value truncated (not rounded) to 2 decimals, as Scope shows it. */
function truncate2(v: number): number {
  const t = Math.trunc(v * 100) / 100;
  return Number.isFinite(t) ? t : v;
}

/**
 * A metric template's row layout: Scope's key order is id, label, format, group, value, priority,
 * samples, min, max, url, with format, group and priority only when set. The row is built as a
 * copy of the template's fixed head plus one literal per layout, so rows of a template share a shape.
 */
interface MetricPlan {
  readonly t: MetricTemplate;
  readonly head: Readonly<Pick<ApiMetricRow, 'id' | 'label' | 'format' | 'group'>>;
}

const metricPlanCache = new WeakMap<object, MetricPlan[]>();
function metricPlans(m: Map<string, MetricTemplate>): MetricPlan[] {
  let plans = metricPlanCache.get(m);
  if (plans === undefined) {
    plans = sortedValues(m).map((t) => {
      const head: Pick<ApiMetricRow, 'id' | 'label' | 'format' | 'group'> = { id: t.id, label: t.label };
      if (t.format !== '') head.format = t.format;
      if (t.group !== '') head.group = t.group;
      return { t, head };
    });
    metricPlanCache.set(m, plans);
  }
  return plans;
}

function metricRow(p: MetricPlan, m: Metric, withSamples: boolean): ApiMetricRow {
  const last = m.samples[m.samples.length - 1];
  const value = last === undefined ? 0 : truncate2(last.value);
  const samples = withSamples ? m.samples.map((s): ApiSample => ({ date: s.date, value: s.value })) : null;
  const h = p.head;
  const priority = p.t.priority;
  switch ((h.format !== undefined ? 1 : 0) | (h.group !== undefined ? 2 : 0) | (priority !== 0 ? 4 : 0)) {
    case 0:
      return { id: h.id, label: h.label, value, samples, min: m.min, max: m.max, url: '' };
    case 1:
      return { id: h.id, label: h.label, format: h.format, value, samples, min: m.min, max: m.max, url: '' };
    case 2:
      return { id: h.id, label: h.label, group: h.group, value, samples, min: m.min, max: m.max, url: '' };
    case 3:
      return { id: h.id, label: h.label, format: h.format, group: h.group, value, samples, min: m.min, max: m.max, url: '' };
    case 4:
      return { id: h.id, label: h.label, value, priority, samples, min: m.min, max: m.max, url: '' };
    case 5:
      return { id: h.id, label: h.label, format: h.format, value, priority, samples, min: m.min, max: m.max, url: '' };
    case 6:
      return { id: h.id, label: h.label, group: h.group, value, priority, samples, min: m.min, max: m.max, url: '' };
    default:
      return { id: h.id, label: h.label, format: h.format, group: h.group, value, priority, samples, min: m.min, max: m.max, url: '' };
  }
}

/** Metric rows for every template whose metric the node has, by priority. */
export function metricRows(n: RNode, topology: Topology, withSamples: boolean): ApiMetricRow[] {
  const rows: ApiMetricRow[] = [];
  if (n.metrics.size === 0) return rows;
  for (const p of metricPlans(topology.metricTemplates)) {
    const m = n.metrics.get(p.t.id);
    if (m !== undefined) rows.push(metricRow(p, m, withSamples));
  }
  return rows;
}

/** Appends row `label_<label>` unless `seen` has it (the first value of a label wins). */
function addPropertyRow(rows: ApiTableRow[], seen: Set<string>, label: string, value: string): void {
  const id = `label_${label}`;
  if (seen.has(id)) return;
  seen.add(id);
  rows.push({ id, entries: { label, value } });
}

function propertyListRows(n: RNode, t: TableTemplate): ApiTableRow[] {
  const rows: ApiTableRow[] = [];
  const seen = new Set<string>();
  for (const [key, label] of t.fixedRows) {
    const v = n.latest.get(key)?.value;
    if (v !== undefined) addPropertyRow(rows, seen, label, v);
  }
  const prefix = t.prefix;
  if (prefix !== '') {
    for (const [key, e] of n.latest) if (key.startsWith(prefix)) addPropertyRow(rows, seen, key.slice(prefix.length), e.value);
  }
  return rows;
}

function multiColumnRows(n: RNode, t: TableTemplate): ApiTableRow[] {
  const rows = new Map<string, ApiTableRow>();
  if (t.prefix === '') return [];
  for (const [key, e] of n.latest) {
    if (!key.startsWith(t.prefix)) continue;
    const rest = key.slice(t.prefix.length);
    const sep = rest.indexOf('___');
    if (sep < 0) continue;
    const rowId = rest.slice(0, sep);
    let row = rows.get(rowId);
    if (row === undefined) {
      row = { id: rowId, entries: Object.create(null) as Record<string, string> }; // column ids come from reports
      rows.set(rowId, row);
    }
    row.entries[rest.slice(sep + 3)] = e.value;
  }
  return [...rows.values()];
}

const byId = (a: { id: string }, b: { id: string }): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** A table template with what every node's table of it needs, worked out once per template map. */
interface TablePlan {
  readonly t: TableTemplate;
  readonly type: string;
  readonly multiColumn: boolean;
  /** The latest key holding how many rows the probe left out. */
  readonly truncationKey: string;
}

const tablePlanCache = new WeakMap<object, TablePlan[]>();
/** Plans sorted by table id (a stable sort: templates sharing an id keep their map order). */
function tablePlans(m: Map<string, TableTemplate>): TablePlan[] {
  let plans = tablePlanCache.get(m);
  if (plans === undefined) {
    plans = [...m.values()]
      .map((t) => {
        const type = t.type === '' ? 'property-list' : t.type;
        return { t, type, multiColumn: type === 'multicolumn-table', truncationKey: `table_truncation_count_${t.prefix}` };
      })
      .sort((a, b) => byId(a.t, b.t));
    tablePlanCache.set(m, plans);
  }
  return plans;
}

/** One table per template of the node's topology, sorted by table id (empty tables included). */
export function tables(n: RNode, topology: Topology): ApiTable[] {
  const out: ApiTable[] = [];
  for (const p of tablePlans(topology.tableTemplates)) {
    const t = p.t;
    const rows = p.multiColumn ? multiColumnRows(n, t) : propertyListRows(n, t);
    if (rows.length > 1) rows.sort(byId);
    const table: ApiTable = {
      id: t.id,
      label: t.label,
      type: p.type,
      columns: t.columns.length === 0 ? null : t.columns.map((c) => ({ id: c.id, label: c.label, dataType: c.dataType })),
      rows,
    };
    const count = n.latest.get(p.truncationKey)?.value;
    if (count !== undefined) {
      const truncated = Number(count);
      if (Number.isInteger(truncated) && truncated > 0) table.truncationCount = truncated;
    }
    out.push(table);
  }
  return out;
}
