/** Keyboard shortcuts (app spec §6.19), active unless typing in an input or a terminal. */
import { useEffect } from 'react';
import type { Store } from '../store/store.js';
import type { AppState } from '../store/app-state.js';
import type { AppActions } from '../data/actions.js';
import { useAppStore, useActions } from '../store/react.js';

function metricsOf(s: AppState): string[] {
  const set = new Set<string>();
  for (const n of s.nodes.values()) for (const m of n.metrics ?? []) if (!m.valueEmpty) set.add(m.label);
  return [...set].sort();
}

export function handleKey(ev: KeyboardEvent, store: Store<AppState>, actions: AppActions): boolean {
  const s = store.get();
  if (ev.key === 'Escape') {
    if (s.helpOpen) actions.toggleHelp(false);
    else if (s.url.nodeDetails.length > 0 && !s.terminal) actions.closeTopCard();
    else return false;
    return true;
  }
  const t = ev.target as HTMLElement | null;
  if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.isContentEditable || t.closest('.terminal-panel'))) return false;
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return false;
  switch (ev.key) {
    case '/':
      window.dispatchEvent(new Event('openscope:focus-search'));
      return true;
    case '?':
      actions.toggleHelp();
      return true;
    case 'g':
      actions.setViewMode('topo');
      return true;
    case 't':
      actions.setViewMode('grid');
      return true;
    case 'r':
      if (['hosts', 'containers', 'processes'].includes(s.url.topologyId ?? '')) actions.setViewMode('resource');
      return true;
    case 'f':
      window.__openscopeGraph?.fit();
      return true;
    case 'q':
      if (s.url.topologyViewMode !== 'resource') actions.setPinnedMetric(null);
      return true;
    case '<':
    case '>': {
      const list = metricsOf(s);
      if (list.length === 0) return true;
      const i = s.url.pinnedMetricType ? list.indexOf(s.url.pinnedMetricType) : -1;
      const next = ev.key === '>' ? (i + 1) % list.length : (i <= 0 ? list.length : i) - 1;
      actions.setPinnedMetric(list[next] ?? null);
      return true;
    }
    default:
      return false;
  }
}

export function useKeyboardShortcuts(): void {
  const store = useAppStore();
  const actions = useActions();
  useEffect(() => {
    const onKey = (ev: KeyboardEvent): void => {
      if (handleKey(ev, store, actions)) ev.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [store, actions]);
}
