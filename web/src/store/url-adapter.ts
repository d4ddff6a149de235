/**
 * The only place that touches `location`/`history`: mirrors `state.url` into the hash and
 * back (Back/Forward, pasted links). Zoom-only changes replace the history entry instead of
 * pushing one, so panning does not flood the history.
 */
import type { Store } from './store.js';
import type { AppState } from './app-state.js';
import { decodeUrlState, encodeUrlState, type UrlState } from '../ui/url-state.js';

export function readUrlState(): UrlState {
  return decodeUrlState(window.location.hash);
}

function onlyZoomOrSearchDiffers(a: UrlState, b: UrlState): boolean {
  return encodeUrlState({ ...a, zoom: null, searchQuery: '' }) === encodeUrlState({ ...b, zoom: null, searchQuery: '' });
}

export function bindUrl(store: Store<AppState>): () => void {
  let writing = false;
  const unsub = store.subscribe((s, prev) => {
    if (s.url === prev.url || writing) return;
    const hash = encodeUrlState(s.url);
    if (hash === window.location.hash || (hash === '' && window.location.hash === '')) return;
    const url = `${window.location.pathname}${window.location.search}${hash}`;
    if (onlyZoomOrSearchDiffers(s.url, prev.url)) window.history.replaceState(null, '', url);
    else window.history.pushState(null, '', url);
  });
  const onPop = (): void => {
    writing = true;
    try {
      store.set({ url: readUrlState() });
    } finally {
      writing = false;
    }
  };
  window.addEventListener('popstate', onPop);
  return () => {
    unsub();
    window.removeEventListener('popstate', onPop);
  };
}
