/** The in-page terminal, docked left of the details panel; pop-out hands the pipe to a window. */
import { lazy, Suspense } from 'react';
import { useActions, useStore } from '../store/react.js';

// xterm.js is the biggest dependency and only needed once a terminal opens: load it lazily.
const TerminalView = lazy(() => import('./TerminalView.js').then((m) => ({ default: m.TerminalView })));

export function TerminalDock(): React.JSX.Element | null {
  const actions = useActions();
  const terminal = useStore((s) => s.terminal);
  if (!terminal) return null;
  const popOut = (): void => {
    const url = `terminal.html#${encodeURIComponent(JSON.stringify(terminal))}`;
    const w = window.open(url, `openscope-${terminal.pipeId}`, 'width=820,height=520');
    if (w) actions.closeTerminal(true);
  };
  return (
    <div className="terminal-dock">
      <Suspense fallback={<div className="terminal-panel loading">Loading terminal…</div>}>
        <TerminalView key={terminal.pipeId} api={actions.client} terminal={terminal} onClose={(keep) => actions.closeTerminal(keep)} onPopOut={popOut} />
      </Suspense>
    </div>
  );
}
