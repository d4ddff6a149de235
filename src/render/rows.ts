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

/** Metadata rows, by priority; rows without a value are left out. */
export function metadataRows(n: RNode, topology: Topology): ApiMetadataRow[] {
  const rows: ApiMetadataRow[] = [];
  for (const t of sortedValues(topology.metadataTemplates)) {
    const value = metadataValue(n, t);
    if (value === undefined) continue;
    const row: ApiMetadataRow = { id: t.id, label: t.label, value };
    if (t.priority !== 0) row.priority = t.priority;
    if (t.dataType !== '') row.dataType = t.dataType;
    if (t.truncate !== 0) row.truncate = t.truncate;
    rows.push(row);
  }
  return rows;
}

/** Last value truncated (not rounded) to 2 decimals, as Scope shows it. */
function truncate2(v: number): number {
  const t = Math.trunc(v * 100) / 100;
  return Number.isFinite(t) ? t : v;
}

function metricRow(t: MetricTemplate, m: Metric, withSamples: boolean): ApiMetricRow {
  const last = m.samples[m.samples.length - 1];
  // Built in Scope's key order: id, label, format, group, value, priority, samples, min, max, url.
  const row: Partial<ApiMetricRow> = { id: t.id, label: t.label };
  if (t.format !== '') row.format = t.format;
  if (t.group !== '') row.group = t.group;
  row.value = last === undefined ? 0 : truncate2(last.value);
  if (t.priority !== 0) row.priority = t.priority;
  row.samples = withSamples ? m.samples.map((s): ApiSample => ({ date: s.date, value: s.value })) : null;
  row.min = m.min;
  row.max = m.max;
  row.url = '';
  return row as ApiMetricRow;
}

/** Metric rows for every template whose metric the node has, by priority. */
export function metricRows(n: RNode, topology: Topology, withSamples: boolean): ApiMetricRow[] {
  const rows: ApiMetricRow[] = [];
  if (n.metrics.size === 0) return rows;
  for (const t of sortedValues(topology.metricTemplates)) {
    const m = n.metrics.get(t.id);
    if (m !== undefined) rows.push(metricRow(t, m, withSamples));
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

/** One table per template of the node's topology, sorted by table id (empty tables included). */
export function tables(n: RNode, topology: Topology): ApiTable[] {
  const out: ApiTable[] = [];
  for (const t of topology.tableTemplates.values()) {
    const type = t.type === '' ? 'property-list' : t.type;
    const rows = type === 'multicolumn-table' ? multiColumnRows(n, t) : propertyListRows(n, t);
    rows.sort(byId);
    const table: ApiTable = {
      id: t.id,
      label: t.label,
      type,
      columns: t.columns.length === 0 ? null : t.columns.map((c) => ({ id: c.id, label: c.label, dataType: c.dataType })),
      rows,
    };
    const truncated = Number(n.latest.get(`table_truncation_count_${t.prefix}`)?.value ?? '0');
    if (Number.isInteger(truncated) && truncated > 0) table.truncationCount = truncated;
    out.push(table);
  }
  return out.sort(byId);
}
