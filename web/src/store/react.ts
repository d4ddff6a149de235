/** React bindings for the store: a context and a selector hook. */
import { createContext, useContext, useSyncExternalStore } from 'react';
import type { Store } from './store.js';
import type { AppState } from './app-state.js';
import type { AppActions } from '../data/actions.js';

export const StoreContext = createContext<Store<AppState> | null>(null);
export const ActionsContext = createContext<AppActions | null>(null);

export function useAppStore(): Store<AppState> {
  const s = useContext(StoreContext);
  if (!s) throw new Error('StoreContext missing');
  return s;
}

export function useActions(): AppActions {
  const a = useContext(ActionsContext);
  if (!a) throw new Error('ActionsContext missing');
  return a;
}

/** Subscribes to a slice; re-renders only when the selected value changes (Object.is). */
export function useStore<R>(selector: (s: AppState) => R): R {
  const store = useAppStore();
  return useSyncExternalStore(store.subscribe, () => selector(store.get()));
}
