/**
 * The terminal's stream (headlamp's useTerminalStream, without React): the pipe websocket with
 * reconnects (app spec §5.3), `/check` to tell a dead pipe from a dropped socket, and TTY resizes
 * through the `resize_tty_control` control.
 */
import type { ApiClient } from '../api/http.js';
import { ReconnectingSocket, type SocketState } from '../api/socket.js';

export type TerminalStatus = 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface TerminalSessionOptions {
  api: ApiClient;
  pipeId: string;
  probeId: string;
  nodeId: string;
  resizeControl: string | null;
  onData: (text: string) => void;
  onStatus: (status: TerminalStatus, detail?: string) => void;
}

export class TerminalSession {
  private socket: ReconnectingSocket;
  private decoder = new TextDecoder();
  private lastSize = '';
  private gone = false;

  constructor(private readonly o: TerminalSessionOptions) {
    this.socket = new ReconnectingSocket({
      url: o.api.pipeSocketUrl(o.pipeId),
      baseDelayMillis: 500,
      maxDelayMillis: 2000,
      onMessage: (data) => {
        o.onData(typeof data === 'string' ? data : this.decoder.decode(data, { stream: true }));
      },
      onState: (s: SocketState) => this.onSocketState(s),
      shouldReconnect: async () => {
        const st = await o.api.checkPipe(o.pipeId);
        if (st === 'gone') {
          this.gone = true;
          o.onStatus('closed', 'The process ended (pipe closed).');
          return false;
        }
        return true;
      },
    });
    void this.check();
  }

  private async check(): Promise<void> {
    if ((await this.o.api.checkPipe(this.o.pipeId)) === 'gone') {
      this.gone = true;
      this.socket.close();
      this.o.onStatus('closed', 'The pipe is closed.');
    }
  }

  private onSocketState(s: SocketState): void {
    if (this.gone) return;
    if (s.kind === 'open') {
      this.o.onStatus('connected');
      if (this.lastSize) {
        const [w, h] = this.lastSize.split('x').map(Number);
        this.lastSize = '';
        if (w && h) this.resize(w, h);
      }
    } else if (s.kind === 'connecting') this.o.onStatus(s.attempt === 0 ? 'connecting' : 'reconnecting');
    else if (s.kind === 'waiting') this.o.onStatus('reconnecting', s.reason);
  }

  get isGone(): boolean {
    return this.gone;
  }

  send(text: string): void {
    this.socket.send(text);
  }

  /** Tells the probe the new TTY size (columns × rows); repeated sizes are skipped. */
  resize(cols: number, rows: number): void {
    const key = `${cols}x${rows}`;
    if (key === this.lastSize || !this.o.resizeControl) return;
    this.lastSize = key;
    void this.o.api
      .control(this.o.probeId, this.o.nodeId, this.o.resizeControl, { height: String(rows), pipeID: this.o.pipeId, width: String(cols) })
      .catch(() => undefined);
  }

  /** Closes the socket; the caller decides whether to delete the pipe. */
  dispose(): void {
    this.socket.close();
  }
}
