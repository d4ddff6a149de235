/** Page header: logo, search, topology selector, view modes, metric selector, live/pause. */
import { useMemo } from 'react';
import { useActions, useStore } from '../store/react.js';
import { flattenTopologies, isVisibleTopology, type FlatTopology } from '../ui/topologies.js';
import { useCurrentTopology, useMetricLabels } from './use-view-model.js';
import { SearchBox } from './SearchBox.js';
import type { ViewMode } from '../ui/url-state.js';
import { matchingIds, parseTerms } from '../ui/search.js';

/** Per-topology match counts of the live query, from the search index (null when no query). */
function useMatchCounts(): Record<string, number> | null {
  const index = useStore((s) => s.searchIndex);
  const query = useStore((s) => s.url.searchQuery);
  return useMemo(() => {
    const terms = parseTerms([query]);
    if (!index || terms.length === 0) return null;
    const out: Record<string, number> = {};
    for (const [id, nodes] of Object.entries(index)) out[id] = matchingIds(nodes, terms)?.size ?? 0;
    return out;
  }, [index, query]);
}

function TopologySelector(): React.JSX.Element {
  const actions = useActions();
  const topologies = useStore((s) => s.topologies);
  const currentId = useStore((s) => s.url.topologyId);
  const current = useCurrentTopology();
  const counts = useMatchCounts();
  const groups = useMemo(() => {
    const flat = flattenTopologies(topologies ?? []);
    const out: { top: FlatTopology; subs: FlatTopology[] }[] = [];
    for (const t of flat) {
      if (!t.isSub) {
        if (isVisibleTopology(t, currentId, current?.parentId ?? null)) out.push({ top: t, subs: [] });
      } else {
        const g = out.find((x) => x.top.id === t.parentId);
        g?.subs.push(t);
      }
    }
    return out;
  }, [topologies, currentId, current]);
  const item = (t: FlatTopology, sub: boolean): React.JSX.Element => {
    const stats = t.desc.stats;
    const active = t.id === currentId;
    const matches = counts?.[t.id];
    return (
      <button
        key={t.id}
        type="button"
        className={`topology-item${sub ? ' sub' : ''}${active ? ' active' : ''}${matches ? ' has-matches' : ''}`}
        data-testid={`topology-${t.id}`}
        aria-pressed={active}
        title={`${stats ? `Nodes: ${stats.node_count}\nConnections: ${stats.edge_count}` : t.desc.name}${matches !== undefined ? `\nSearch matches: ${matches}` : ''}`}
        onClick={() => actions.selectTopology(t.id)}
      >
        <span className="topology-name">{t.desc.name}</span>
        {stats ? <span className="topology-count">{stats.node_count}</span> : null}
        {matches ? (
          <span className="topology-matches" data-testid={`topology-matches-${t.id}`}>
            {matches} match{matches === 1 ? '' : 'es'}
          </span>
        ) : null}
      </button>
    );
  };
  return (
    <nav className="topologies" aria-label="Topologies" data-testid="topology-selector">
      {groups.map((g) => (
        <div key={g.top.id} className={`topology-group${g.top.id === current?.parentId ? ' active' : ''}`}>
          {item(g.top, false)}
          {g.subs.map((s) => item(s, true))}
        </div>
      ))}
    </nav>
  );
}

const MODES: { mode: ViewMode; label: string; key: string }[] = [
  { mode: 'topo', label: 'Graph', key: 'g' },
  { mode: 'grid', label: 'Table', key: 't' },
  { mode: 'resource', label: 'Resources', key: 'r' },
];

function ViewModes(): React.JSX.Element {
  const actions = useActions();
  const mode = useStore((s) => s.url.topologyViewMode);
  const topologyId = useStore((s) => s.url.topologyId);
  const pinned = useStore((s) => s.url.pinnedMetricType);
  const metrics = useMetricLabels();
  const resourceOk = ['hosts', 'containers', 'processes'].includes(topologyId ?? '');
  return (
    <div className="view-modes">
      <div className="segmented" role="group" aria-label="View mode">
        {MODES.map((m) => (
          <button
            key={m.mode}
            type="button"
            data-testid={`view-${m.mode}`}
            className={mode === m.mode ? 'active' : ''}
            aria-pressed={mode === m.mode}
            disabled={m.mode === 'resource' && !resourceOk}
            title={`${m.label} view (${m.key})`}
            onClick={() => actions.setViewMode(m.mode)}
          >
            {m.label}
          </button>
        ))}
      </div>
      {metrics.length > 0 && mode !== 'grid' ? (
        <div className="segmented small" role="group" aria-label="Metric fill" data-testid="metric-selector">
          {(mode === 'resource' ? ['CPU', 'Memory'] : metrics).map((label) => (
            <button
              key={label}
              type="button"
              className={pinned === label ? 'active' : ''}
              aria-pressed={pinned === label}
              data-testid={`metric-${label}`}
              title={pinned === label ? 'Click to stop filling nodes by this metric (q)' : `Fill nodes by ${label} (< and >)`}
              onClick={() => actions.setPinnedMetric(pinned === label && mode !== 'resource' ? null : label)}
            >
              {label}
            </button>
          ))}
        </div>
      ) : null}
    </div>
  );
}

function TimeControl(): React.JSX.Element {
  const actions = useActions();
  const pausedAt = useStore((s) => s.url.pausedAt);
  return (
    <div className="segmented time-control" role="group" aria-label="Live or paused">
      <button type="button" data-testid="live" className={!pausedAt ? 'active' : ''} aria-pressed={!pausedAt} onClick={() => actions.resume()}>
        ● Live
      </button>
      <button type="button" data-testid="pause" className={pausedAt ? 'active' : ''} aria-pressed={!!pausedAt} onClick={() => actions.pause()} title={pausedAt ? `Paused at ${pausedAt}` : 'Pause updates'}>
        ❚❚ Pause
      </button>
    </div>
  );
}

export function Header(): React.JSX.Element {
  return (
    <header className="header">
      <div className="logo" aria-label="OpenScope">
        <svg width="26" height="26" viewBox="0 0 26 26" aria-hidden="true">
          <circle cx="13" cy="13" r="11" fill="none" stroke="#0ea5b7" strokeWidth="2.5" />
          <circle cx="13" cy="13" r="5" fill="#ff6b35" />
          <path d="M13 2v5M13 19v5M2 13h5M19 13h5" stroke="#0ea5b7" strokeWidth="2" />
        </svg>
        <span>
          open<b>scope</b>
        </span>
      </div>
      <SearchBox />
      <TopologySelector />
      <ViewModes />
      <TimeControl />
    </header>
  );
}
