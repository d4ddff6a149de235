/**
 * A websocket that reconnects with exponential backoff and jitter, reporting its state so the
 * UI can show it (never console noise). Used for the topology stream and terminal pipes.
 */

export type SocketState =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'open' }
  | { kind: 'waiting'; attempt: number; retryAtMillis: number; reason: string }
  | { kind: 'closed' };

export interface ReconnectingSocketOptions {
  url: string;
  onMessage: (data: string | ArrayBuffer) => void;
  onState?: (state: SocketState) => void;
  /** First retry delay, default 1 s; doubles up to `maxDelayMillis` (default 10 s). */
  baseDelayMillis?: number;
  maxDelayMillis?: number;
  /** Called before each reconnect; return false to stop reconnecting (e.g. pipe deleted). */
  shouldReconnect?: () => Promise<boolean> | boolean;
  binaryType?: BinaryType;
}

export class ReconnectingSocket {
  private ws: WebSocket | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private attempt = 0;
  private stopped = false;

  constructor(private readonly opts: ReconnectingSocketOptions) {
    // Deferred so callers can keep a reference before the first state callback fires.
    queueMicrotask(() => this.connect());
  }

  private setState(s: SocketState): void {
    this.opts.onState?.(s);
  }

  private connect(): void {
    if (this.stopped) return;
    this.setState({ kind: 'connecting', attempt: this.attempt });
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.opts.url);
    } catch (err) {
      this.scheduleRetry((err as Error).message);
      return;
    }
    ws.binaryType = this.opts.binaryType ?? 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.setState({ kind: 'open' });
    };
    ws.onmessage = (ev: MessageEvent<string | ArrayBuffer>) => this.opts.onMessage(ev.data);
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.scheduleRetry(ev.reason || `connection closed (${ev.code})`);
    };
  }

  private scheduleRetry(reason: string): void {
    if (this.stopped) return;
    const base = this.opts.baseDelayMillis ?? 1000;
    const max = this.opts.maxDelayMillis ?? 10_000;
    const delay = Math.min(max, base * 2 ** this.attempt) * (0.75 + Math.random() * 0.5);
    this.attempt++;
    this.setState({ kind: 'waiting', attempt: this.attempt, retryAtMillis: Date.now() + delay, reason });
    this.timer = setTimeout(() => {
      this.timer = null;
      void Promise.resolve(this.opts.shouldReconnect?.() ?? true).then((ok) => {
        if (ok) this.connect();
        else this.close();
      });
    }, delay);
  }

  /** Reconnects now (e.g. the app answered HTTP again). */
  retryNow(): void {
    if (this.stopped || this.ws) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.connect();
  }

  get isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  send(data: string): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(data);
  }

  close(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = null;
    ws?.close();
    this.setState({ kind: 'closed' });
  }
}
