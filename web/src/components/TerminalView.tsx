/**
 * xterm.js terminal over a pipe (app spec §5.3, §6.12). The stream logic lives in
 * data/terminal-session.ts; this component only renders and wires xterm to it.
 */
import { useEffect, useRef, useState } from 'react';
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';
import type { ApiClient } from '../api/http.js';
import { TerminalSession, type TerminalStatus } from '../data/terminal-session.js';
import type { TerminalState } from '../store/app-state.js';

export interface TerminalViewProps {
  api: ApiClient;
  terminal: TerminalState;
  onClose: (keepPipe: boolean) => void;
  /** Absent in the popped-out window itself. */
  onPopOut?: () => void;
}

export function TerminalView({ api, terminal, onClose, onPopOut }: TerminalViewProps): React.JSX.Element {
  const hostRef = useRef<HTMLDivElement>(null);
  const [status, setStatus] = useState<{ s: TerminalStatus; detail?: string }>({ s: 'connecting' });

  useEffect(() => {
    const host = hostRef.current;
    if (!host) return undefined;
    const term = new Terminal({
      cols: 80,
      rows: 24,
      cursorBlink: true,
      fontFamily: '"Roboto Mono", "DejaVu Sans Mono", Menlo, monospace',
      fontSize: 12,
      scrollback: 10_000,
      convertEol: !terminal.raw,
      theme: { background: '#1d1f27', foreground: '#e6e6ef' },
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(host);
    const session = new TerminalSession({
      api,
      pipeId: terminal.pipeId,
      probeId: terminal.probeId,
      nodeId: terminal.nodeId,
      resizeControl: terminal.resizeControl,
      onData: (text) => term.write(text),
      onStatus: (s, detail) => setStatus(detail ? { s, detail } : { s }),
    });
    const doFit = (): void => {
      try {
        fit.fit();
      } catch {
        return;
      }
      session.resize(term.cols, term.rows);
    };
    const input = term.onData((d) => session.send(d));
    let timer: ReturnType<typeof setTimeout> | null = null;
    const ro = new ResizeObserver(() => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(doFit, 150);
    });
    ro.observe(host);
    doFit();
    term.focus();
    return () => {
      ro.disconnect();
      if (timer) clearTimeout(timer);
      input.dispose();
      session.dispose();
      term.dispose();
    };
  }, [api, terminal]);

  return (
    <div className="terminal-panel" data-testid="terminal" data-status={status.s} role="region" aria-label={`Terminal: ${terminal.title}`}>
      <div className="terminal-header">
        <span className="terminal-title">{terminal.title}</span>
        <span className={`terminal-status ${status.s}`} data-testid="terminal-status">
          {status.s === 'connecting' ? 'Connecting…' : status.s === 'connected' ? 'Connected' : status.s === 'reconnecting' ? 'Reconnecting…' : (status.detail ?? 'Closed')}
        </span>
        {onPopOut ? (
          <button type="button" data-testid="terminal-popout" title="Open in a new window" onClick={onPopOut}>
            ⧉ Pop out
          </button>
        ) : null}
        <button type="button" data-testid="terminal-close" aria-label="Close terminal" onClick={() => onClose(false)}>
          ×
        </button>
      </div>
      <div className="terminal-body" ref={hostRef} data-testid="terminal-body" />
    </div>
  );
}
