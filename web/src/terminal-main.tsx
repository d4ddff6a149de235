/** Popped-out terminal window: reattaches to the pipe named in the URL hash. */
import { createRoot } from 'react-dom/client';
import { ApiClient, pageBaseUrl } from './api/http.js';
import { TerminalView } from './components/TerminalView.js';
import type { TerminalState } from './store/app-state.js';
import './styles.css';

function readState(): TerminalState | null {
  try {
    const v = JSON.parse(decodeURIComponent(window.location.hash.slice(1))) as Partial<TerminalState>;
    if (typeof v.pipeId !== 'string' || typeof v.nodeId !== 'string' || typeof v.probeId !== 'string') return null;
    return {
      pipeId: v.pipeId,
      nodeId: v.nodeId,
      probeId: v.probeId,
      title: typeof v.title === 'string' ? v.title : 'Terminal',
      raw: v.raw === true,
      resizeControl: typeof v.resizeControl === 'string' ? v.resizeControl : null,
      controlId: typeof v.controlId === 'string' ? v.controlId : '',
    };
  } catch {
    return null;
  }
}

const state = readState();
const api = new ApiClient({ baseUrl: pageBaseUrl(window.location.href) });
const rootEl = document.getElementById('root');
if (rootEl) {
  document.title = state ? state.title : 'Terminal';
  createRoot(rootEl).render(
    state ? (
      <div className="popout">
        <TerminalView
          api={api}
          terminal={state}
          onClose={() => {
            void api.deletePipe(state.pipeId).finally(() => window.close());
          }}
        />
      </div>
    ) : (
      <div className="empty-state">No terminal to show.</div>
    ),
  );
}
