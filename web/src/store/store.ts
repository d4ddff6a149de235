/**
 * One observable store (hubble-ui/zustand style, no dependency): state is immutable, updates
 * replace it, listeners run synchronously. Components subscribe with `useStore(selector)`.
 * Instances are injected (React context), never module singletons, so tests can make their own.
 */
export type Listener<T> = (state: T, prev: T) => void;

export interface Store<T> {
  get: () => T;
  set: (update: Partial<T> | ((s: T) => Partial<T>)) => void;
  /** Property (not method) so it can be passed around unbound, e.g. to useSyncExternalStore. */
  subscribe: (listener: Listener<T>) => () => void;
}

export function createStore<T extends object>(initial: T): Store<T> {
  let state = initial;
  const listeners = new Set<Listener<T>>();
  return {
    get: () => state,
    set(update) {
      const patch = typeof update === 'function' ? update(state) : update;
      const prev = state;
      state = { ...state, ...patch };
      for (const l of listeners) l(state, prev);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}
