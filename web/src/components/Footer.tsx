/** Footer: version, plugins, and tool buttons (re-layout, theme, raw report, help). */
import { useActions, useStore } from '../store/react.js';
import type { Theme } from '../ui/url-state.js';

const NEXT_THEME: Record<Theme, Theme> = { light: 'dark', dark: 'contrast', contrast: 'light' };

export function Footer(): React.JSX.Element {
  const actions = useActions();
  const api = useStore((s) => s.api);
  const theme = useStore((s) => s.url.theme);
  return (
    <footer className="footer">
      {api?.newVersion ? (
        <a className="new-version" href={api.newVersion.downloadUrl} target="_blank" rel="noreferrer">
          Update available: {api.newVersion.version}
        </a>
      ) : null}
      <span data-testid="version">{api ? `Version ${api.version} on ${api.hostname}` : ''}</span>
      <span className="plugins">
        Plugins:{' '}
        {api && api.plugins.length > 0
          ? api.plugins.map((p) => (
              <span key={p.id} className={p.status && p.status !== 'ok' ? 'plugin error' : 'plugin'} title={`${p.description ?? ''}\nStatus: ${p.status ?? 'ok'}`}>
                {p.label || p.id}
              </span>
            ))
          : 'n/a'}
      </span>
      <button type="button" title="Re-layout the graph" data-testid="relayout" onClick={() => actions.relayout()}>
        ⟳
      </button>
      <button type="button" title={`Theme: ${theme} (click for ${NEXT_THEME[theme]})`} data-testid="theme-toggle" onClick={() => actions.setTheme(NEXT_THEME[theme])}>
        ◐
      </button>
      <a className="button" href={actions.client.reportUrl()} download="openscope-report.json" title="Save raw data as JSON">
        ⤓
      </a>
      <button type="button" title="Keyboard shortcuts and search help (?)" data-testid="help-toggle" onClick={() => actions.toggleHelp()}>
        ?
      </button>
    </footer>
  );
}
