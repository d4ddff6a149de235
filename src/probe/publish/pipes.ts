/**
 * The probe end of pipes (wire §4.4): `openPipe(appId)` returns a local Duplex at once and dials
 * `ws(s)://<app>/api/pipe/<id>/probe` in the background. Writes wait until the websocket is open
 * (backpressure, no unbounded buffer); received messages are pushed to the readable side. When the
 * local side ends, the pipe is closed with `DELETE /api/pipe/<id>`; a dial answered `404` means
 * the app/UI closed it; other disconnects are retried with backoff.
 */
import { Duplex } from 'node:stream';
import WebSocket from 'ws';
import { Backoff, sleep, type BackoffOptions } from '../../common/backoff.js';
import type { Logger } from '../../common/log.js';
import type { PipeOpener } from '../types.js';
import { probeHeaders, request, type ProbeIdentity } from './http.js';

/** Random `pipe-<int63>` (wire §3.6). */
export function newPipeId(): string {
  const hi = BigInt(Math.floor(Math.random() * 0x80000000));
  const lo = BigInt(Math.floor(Math.random() * 0x100000000));
  return `pipe-${(hi * 0x100000000n + lo).toString()}`;
}

/** Finds the base URL of an app by its id. */
export type AppLocator = (appId: string) => string | undefined;

/** Options of {@link PipeClient}. */
export interface PipeClientOptions {
  locate: AppLocator;
  identity: ProbeIdentity;
  logger: Logger;
  timeoutMillis?: number;
  backoff?: BackoffOptions;
}

export class PipeClient implements PipeOpener {
  private readonly open = new Set<Duplex>();

  constructor(private readonly opts: PipeClientOptions) {}

  openPipe(appId: string): { pipeId: string; stream: Duplex } {
    const pipeId = newPipeId();
    const base = this.opts.locate(appId);
    const stream = new PipeStream(pipeId, base, this.opts);
    this.open.add(stream);
    stream.on('close', () => this.open.delete(stream));
    if (base === undefined) {
      this.opts.logger.warn({ appId, pipeId }, 'pipe: unknown app; closing pipe');
      process.nextTick(() => stream.destroy());
    }
    return { pipeId, stream };
  }

  /** Closes every open pipe. */
  closeAll(): void {
    for (const s of this.open) s.destroy();
  }
}

class PipeStream extends Duplex {
  private ws: WebSocket | undefined;
  private readonly pending: Array<{ chunk: Buffer; cb: (err?: Error | null) => void }> = [];
  private readonly abort = new AbortController();

  constructor(
    readonly pipeId: string,
    private readonly base: string | undefined,
    private readonly opts: PipeClientOptions,
  ) {
    super();
    if (base !== undefined) void this.dialLoop(base);
  }

  private async dialLoop(base: string): Promise<void> {
    const backoff = new Backoff(this.opts.backoff);
    const url = `${base.replace(/\/+$/, '')}/api/pipe/${encodeURIComponent(this.pipeId)}/probe`.replace(/^http/, 'ws');
    while (!this.abort.signal.aborted && !this.destroyed) {
      const outcome = await this.session(url, backoff);
      if (outcome === 'closed-by-app') {
        this.destroy();
        return;
      }
      if (this.abort.signal.aborted) return;
      await sleep(backoff.next(), this.abort.signal);
    }
  }

  /** One websocket session: resolves with why it ended. */
  private session(url: string, backoff: Backoff): Promise<'closed-by-app' | 'dropped'> {
    return new Promise((resolve) => {
      const ws = new WebSocket(url, {
        headers: probeHeaders(this.opts.identity),
        rejectUnauthorized: !this.opts.identity.insecure,
        handshakeTimeout: this.opts.timeoutMillis ?? 12_000,
      });
      this.ws = ws;
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode === 404 ? 'closed-by-app' : 'dropped');
        ws.terminate();
      });
      ws.on('open', () => {
        backoff.reset();
        this.flush();
      });
      ws.on('message', (data) => {
        const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
        this.push(buf);
      });
      ws.on('error', () => undefined); // 'close' follows
      ws.on('close', (code) => {
        if (this.ws === ws) this.ws = undefined;
        // The app closes the websocket when the UI end went away for good.
        resolve(code === 1000 ? 'closed-by-app' : 'dropped');
      });
    });
  }

  private flush(): void {
    const ws = this.ws;
    while (ws && ws.readyState === WebSocket.OPEN && this.pending.length > 0) {
      const { chunk, cb } = this.pending.shift()!;
      ws.send(chunk, { binary: true }, (err) => cb(err ?? null));
    }
  }

  override _read(): void {
    // Data is pushed as websocket messages arrive.
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.pending.push({ chunk, cb });
    this.flush();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.destroy();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.abort.abort();
    this.ws?.close(1000);
    for (const { cb: pendingCb } of this.pending.splice(0)) pendingCb(new Error('pipe closed'));
    this.push(null);
    if (this.base !== undefined) {
      const url = `${this.base.replace(/\/+$/, '')}/api/pipe/${encodeURIComponent(this.pipeId)}`;
      void request('DELETE', url, {
        headers: probeHeaders(this.opts.identity),
        timeoutMillis: this.opts.timeoutMillis ?? 12_000,
        insecure: this.opts.identity.insecure,
      }).catch((e: unknown) => this.opts.logger.debug({ pipeId: this.pipeId, err: String(e) }, 'pipe: DELETE failed'));
    }
    cb(err);
  }
}
