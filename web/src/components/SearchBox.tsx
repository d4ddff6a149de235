/** Search box with pinned terms (Enter pins, Backspace on empty unpins), app spec §6.13. */
import { useEffect, useRef } from 'react';
import { useActions, useStore } from '../store/react.js';
import { useSearchView } from './use-view-model.js';

export function SearchBox(): React.JSX.Element {
  const actions = useActions();
  const query = useStore((s) => s.url.searchQuery);
  const pinned = useStore((s) => s.url.pinnedSearches);
  const nodeCount = useStore((s) => s.nodes.size);
  const example = useStore((s) => s.nodes.values().next().value?.label ?? 'nginx');
  const { matches } = useSearchView();
  const inputRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const onFocus = (): void => inputRef.current?.focus();
    window.addEventListener('openscope:focus-search', onFocus);
    return () => window.removeEventListener('openscope:focus-search', onFocus);
  }, []);

  return (
    <div className="search" data-testid="search">
      <div className="search-box">
        <span className="search-icon" aria-hidden="true">
          ⌕
        </span>
        {pinned.map((q) => (
          <span key={q} className="search-pin" data-testid="search-pin">
            {q}
            <button type="button" aria-label={`Unpin ${q}`} onClick={() => actions.unpinSearch(q)}>
              ×
            </button>
          </span>
        ))}
        <input
          ref={inputRef}
          data-testid="search-input"
          aria-label="Search nodes"
          placeholder={pinned.length ? '' : 'search'}
          value={query}
          disabled={nodeCount === 0 && !query && pinned.length === 0}
          onChange={(e) => actions.setSearch(e.target.value)}
          onFocus={() => actions.searchFocused()}
          onKeyDown={(e) => {
            if (e.key === 'Enter') actions.pinSearch();
            else if (e.key === 'Backspace' && query === '' && pinned.length > 0) actions.unpinSearch();
            else if (e.key === 'Escape') {
              actions.setSearch('');
              inputRef.current?.blur();
            }
          }}
        />
        {query ? (
          <span className="search-count" data-testid="search-count">
            {matches?.size ?? 0} match{matches?.size === 1 ? '' : 'es'}
          </span>
        ) : null}
      </div>
      {query === '' ? <div className="search-hint">Try “{example}”, “pid:123”, “cpu &gt; 2%” or “memory &lt; 10MB”.</div> : null}
    </div>
  );
}
