/** Hooks deriving view data from the store (memoised; no transport). */
import { useMemo } from 'react';
import { useStore } from '../store/react.js';
import { matchingIds, parseTerms } from '../ui/search.js';
import type { NodeSummary } from '../domain/api-types.js';
import { findTopology, flattenTopologies } from '../ui/topologies.js';

export interface SearchView {
  /** Nodes matching the live query; null when there is no query. */
  matches: Set<string> | null;
  /** Nodes hidden because they fail a pinned search; null when nothing is pinned. */
  hidden: Set<string> | null;
}

export function useSearchView(): SearchView {
  const nodes = useStore((s) => s.nodes);
  const query = useStore((s) => s.url.searchQuery);
  const pinned = useStore((s) => s.url.pinnedSearches);
  return useMemo(() => {
    const matches = matchingIds(nodes.values(), parseTerms([query]));
    let hidden: Set<string> | null = null;
    const pinnedTerms = parseTerms(pinned);
    if (pinnedTerms.length > 0) {
      const keep = matchingIds(nodes.values(), pinnedTerms) ?? new Set<string>();
      hidden = new Set([...nodes.keys()].filter((id) => !keep.has(id)));
    }
    return { matches, hidden };
  }, [nodes, query, pinned]);
}

/** Distinct metric labels of the current nodes (for the metric selector), sorted. */
export function useMetricLabels(): string[] {
  const nodes = useStore((s) => s.nodes);
  return useMemo(() => {
    const set = new Set<string>();
    for (const n of nodes.values()) for (const m of n.metrics ?? []) if (!m.valueEmpty) set.add(m.label);
    return [...set].sort();
  }, [nodes]);
}

export function useCurrentTopology(): ReturnType<typeof findTopology> {
  const topologies = useStore((s) => s.topologies);
  const id = useStore((s) => s.url.topologyId);
  return useMemo(() => findTopology(flattenTopologies(topologies ?? []), id), [topologies, id]);
}

export function useTopologyNames(): Record<string, string> {
  const topologies = useStore((s) => s.topologies);
  return useMemo(() => {
    const out: Record<string, string> = {};
    for (const t of flattenTopologies(topologies ?? [])) out[t.id] = t.isSub ? `${t.desc.name}` : t.desc.name;
    return out;
  }, [topologies]);
}

export function visibleNodes(nodes: ReadonlyMap<string, NodeSummary>, hidden: ReadonlySet<string> | null): NodeSummary[] {
  const out: NodeSummary[] = [];
  for (const n of nodes.values()) if (!hidden?.has(n.id)) out.push(n);
  return out;
}
