/**
 * What every websocket the app serves shares (app §1.6 point 5): a ping every ~33 s, dropped when
 * no pong came for 60 s; a global cap on open sockets; and a count per kind for `/metrics`.
 */
import type { WebSocket } from 'ws';
import type { AppMetrics } from './metrics.js';

export type WebsocketKind = 'topology' | 'control' | 'pipe';

/** Options of {@link WebsocketTracker}. */
export interface WebsocketTrackerOptions {
  /** Most sockets open at once. */
  maxWebsockets: number;
  pingIntervalMillis: number;
  pongTimeoutMillis: number;
  metrics: AppMetrics;
}

export class WebsocketTracker {
  private readonly sockets = new Set<WebSocket>();

  constructor(private readonly opts: WebsocketTrackerOptions) {}

  /** Whether one more socket may be opened (checked before upgrading). */
  hasRoom(): boolean {
    return this.sockets.size < this.opts.maxWebsockets;
  }

  get size(): number {
    return this.sockets.size;
  }

  /** Starts keep-alive and accounting for `socket` until it closes. */
  track(socket: WebSocket, kind: WebsocketKind): void {
    this.sockets.add(socket);
    const gauge = this.opts.metrics.websocketClients.labels(kind);
    gauge.inc();
    let lastPongMillis = Date.now();
    socket.on('pong', () => {
      lastPongMillis = Date.now();
    });
    const timer = setInterval(() => {
      if (Date.now() - lastPongMillis > this.opts.pongTimeoutMillis) {
        socket.terminate();
        return;
      }
      socket.ping();
    }, this.opts.pingIntervalMillis);
    timer.unref();
    // A socket error (peer vanished, bad frame) just ends that socket; it must never reach the process.
    socket.on('error', () => socket.terminate());
    socket.once('close', () => {
      clearInterval(timer);
      this.sockets.delete(socket);
      gauge.dec();
    });
  }

  /** Closes every socket (app shutdown): `1001 going away`. */
  closeAll(): void {
    for (const socket of this.sockets) socket.close(1001, 'app shutting down');
  }

  /** Terminates sockets that did not finish closing. */
  terminateAll(): void {
    for (const socket of this.sockets) socket.terminate();
  }
}
