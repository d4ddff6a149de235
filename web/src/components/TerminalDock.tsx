/** The in-page terminal, docked left of the details panel; pop-out hands the pipe to a window. */
import { useActions, useStore } from '../store/react.js';
import { TerminalView } from './TerminalView.js';

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
      <TerminalView key={terminal.pipeId} api={actions.client} terminal={terminal} onClose={(keep) => actions.closeTerminal(keep)} onPopOut={popOut} />
    </div>
  );
}
