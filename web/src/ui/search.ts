/**
 * Scope's search syntax (app spec §6.13), pure:
 *  - `text`            case-insensitive regex (literal if invalid) over label, labelMinor, metadata
 *                      values, parent labels, table values;
 *  - `field:text`      only fields whose slugified label matches `field`;
 *  - `metric <op> n`   `<`, `=`, `>` on the metric whose slugified label equals `metric`
 *                      (`cpu > 2%`, `memory < 10MB`; k/m/g/t multiply by 1024^n).
 * Several terms (pinned + current) must all match.
 */
import type { NodeSummary } from '../domain/api-types.js';

export type SearchTerm =
  | { kind: 'text'; field: RegExp | null; text: RegExp }
  | { kind: 'metric'; metric: string; op: '<' | '=' | '>'; value: number }
  | { kind: 'invalid' };

/** One field of a node that matched, shown under the node. */
export interface SearchMatch {
  field: string;
  text: string;
}

export function slugify(label: string): string {
  return label.toLowerCase().replace(/[^a-z0-9]/g, '');
}

function makeRegExp(source: string): RegExp {
  try {
    return new RegExp(source, 'i');
  } catch {
    return new RegExp(source.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
  }
}

const UNITS: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Parses a metric value like `10MB`, `2%`, `1.5k` into a number; NaN when invalid. */
export function parseMetricValue(raw: string): number {
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*([kmgt])?b?\s*%?\s*$/i.exec(raw);
  if (!m || m[1] === undefined) return Number.NaN;
  const base = Number(m[1]);
  const unit = m[2]?.toLowerCase();
  return unit ? base * (UNITS[unit] ?? 1) : base;
}

/** Parses one query term. Empty input yields null (matches everything). */
export function parseTerm(query: string): SearchTerm | null {
  const q = query.trim();
  if (q === '') return null;
  if (!q.includes(':')) {
    const cmp = /^([^<>=]+?)\s*([<>=])\s*(.+)$/.exec(q);
    if (cmp && cmp[1] !== undefined && cmp[2] !== undefined && cmp[3] !== undefined) {
      const value = parseMetricValue(cmp[3]);
      if (Number.isNaN(value)) return { kind: 'invalid' };
      return { kind: 'metric', metric: slugify(cmp[1]), op: cmp[2] as '<' | '=' | '>', value };
    }
    return { kind: 'text', field: null, text: makeRegExp(q) };
  }
  const parts = q.split(':');
  if (parts.length !== 2) return { kind: 'invalid' };
  const field = (parts[0] ?? '').trim();
  const text = (parts[1] ?? '').trim();
  if (field === '' || text === '') return { kind: 'invalid' };
  return { kind: 'text', field: makeRegExp(field), text: makeRegExp(text) };
}

/** Parses several terms (pinned searches plus the live query); nulls are dropped. */
export function parseTerms(queries: readonly string[]): SearchTerm[] {
  const out: SearchTerm[] = [];
  for (const q of queries) {
    const t = parseTerm(q);
    if (t) out.push(t);
  }
  return out;
}

/** Calls `visit(fieldLabel, value)` for every searchable field of a node. */
function forEachField(node: NodeSummary, visit: (label: string, value: string) => boolean): boolean {
  if (visit('label', node.label)) return true;
  if (visit('labelMinor', node.labelMinor)) return true;
  for (const row of node.metadata ?? []) if (visit(row.label, row.value)) return true;
  for (const p of node.parents ?? []) if (visit(p.topologyId, p.label)) return true;
  for (const table of node.tables ?? []) {
    for (const row of table.rows ?? []) {
      if (table.type === 'multicolumn-table') {
        for (const v of Object.values(row.entries)) if (visit('', v)) return true;
      } else {
        const label = row.entries['label'] ?? '';
        const value = row.entries['value'] ?? '';
        if (visit(label.trim(), value)) return true;
      }
    }
  }
  return false;
}

/** Returns the first matching field of `node` for `term`, or null when it does not match. */
export function matchTerm(node: NodeSummary, term: SearchTerm): SearchMatch | null {
  switch (term.kind) {
    case 'invalid':
      return null;
    case 'metric': {
      for (const m of node.metrics ?? []) {
        if (m.valueEmpty || slugify(m.label) !== term.metric) continue;
        const ok = term.op === '<' ? m.value < term.value : term.op === '>' ? m.value > term.value : m.value === term.value;
        return ok ? { field: m.label, text: String(m.value) } : null;
      }
      return null;
    }
    case 'text': {
      let found: SearchMatch | null = null;
      forEachField(node, (label, value) => {
        if (term.field && (label === '' || !term.field.test(slugify(label)))) return false;
        if (term.text.test(value)) {
          found = { field: label || 'table', text: value };
          return true;
        }
        return false;
      });
      return found;
    }
  }
}

/** Matches a node against every term; returns its matches or null if any term fails. */
export function matchNode(node: NodeSummary, terms: readonly SearchTerm[]): SearchMatch[] | null {
  const matches: SearchMatch[] = [];
  for (const t of terms) {
    const m = matchTerm(node, t);
    if (!m) return null;
    matches.push(m);
  }
  return matches;
}

/** Ids of the nodes matching all terms; null when there are no terms (nothing is faded). */
export function matchingIds(nodes: Iterable<NodeSummary>, terms: readonly SearchTerm[]): Set<string> | null {
  if (terms.length === 0) return null;
  const out = new Set<string>();
  for (const n of nodes) if (matchNode(n, terms)) out.add(n.id);
  return out;
}
