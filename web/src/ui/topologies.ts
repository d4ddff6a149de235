/** Topology list helpers (app spec §6.2, §6.3, §7.1), pure. */
import type { TopologyDesc, TopologyOptionGroup } from '../domain/api-types.js';

/** The id of a topology is the last path segment of its `url`. */
export function topologyIdOf(t: TopologyDesc): string {
  const parts = t.url.split('/');
  return parts[parts.length - 1] ?? '';
}

export interface FlatTopology {
  id: string;
  desc: TopologyDesc;
  /** Id of the top-level topology (itself when top-level): options are stored per parent. */
  parentId: string;
  isSub: boolean;
}

/** Top-level topologies sorted by rank (stable), each followed by its sub-topologies. */
export function flattenTopologies(list: readonly TopologyDesc[]): FlatTopology[] {
  const sorted = list.map((t, i) => ({ t, i })).sort((a, b) => a.t.rank - b.t.rank || a.i - b.i);
  const out: FlatTopology[] = [];
  for (const { t } of sorted) {
    const id = topologyIdOf(t);
    out.push({ id, desc: t, parentId: id, isSub: false });
    for (const s of t.sub_topologies ?? []) out.push({ id: topologyIdOf(s), desc: s, parentId: id, isSub: true });
  }
  return out;
}

export function findTopology(list: readonly FlatTopology[], id: string | null): FlatTopology | undefined {
  return id === null ? undefined : list.find((t) => t.id === id);
}

const PREFERRED = ['ecs-services', 'ecs-tasks', 'kube-controllers', 'services', 'pods', 'containers'];

/** Default topology when the URL names none (§6.2). */
export function defaultTopologyId(list: readonly FlatTopology[]): string | null {
  for (const id of PREFERRED) {
    const t = list.find((x) => x.id === id && (x.desc.stats?.node_count ?? 1) > 0);
    if (t) return t.id;
  }
  return list.find((t) => t.id === 'containers')?.id ?? list[0]?.id ?? null;
}

/** Whether a top-level topology is listed (hide_if_empty rule, §6.2). */
export function isVisibleTopology(t: FlatTopology, currentId: string | null, currentParentId: string | null): boolean {
  if (t.isSub) return true;
  if (!t.desc.hide_if_empty) return true;
  if (t.id === currentId || t.id === currentParentId) return true;
  const s = t.desc.stats;
  return !s || s.node_count > 0 || s.filtered_nodes > 0;
}

/** Effective option values: stored choice if still offered, else the group's default. */
export function effectiveOptions(groups: readonly TopologyOptionGroup[] | null, stored: Record<string, string[]> | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const g of groups ?? []) {
    const values = stored?.[g.id];
    const offered = new Set((g.options ?? []).map((o) => o.value));
    const valid = values?.filter((v) => v === '' || offered.has(v)) ?? [];
    out[g.id] = valid.length > 0 ? valid : g.defaultValue === '' && g.selectType === 'union' ? [''] : g.defaultValue.split(',');
  }
  return out;
}

/** `k=v&k=v` query string; values comma-joined and encoded. */
export function optionsQuery(options: Record<string, string[]>, extra: Record<string, string | undefined> = {}): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(options)) parts.push(`${encodeURIComponent(k)}=${v.map(encodeURIComponent).join(',')}`);
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  return parts.join('&');
}
