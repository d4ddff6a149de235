/**
 * One app the probe talks to (wire §4.1–§4.3): learns the app's id with `GET /api`, posts queued
 * reports to `POST /api/report`, and keeps the control websocket open.
 *
 * Bounded by design: the queue holds at most 2 reports (a new report evicts the oldest; a shortcut
 * report is dropped when full), so an app that is down costs no memory growth. Failures back off
 * 1 s → 60 s with jitter; a timed-out post moves straight on to the next report (as Scope does).
 */
import WebSocket from 'ws';
import { Backoff, sleep, type BackoffOptions } from '../../common/backoff.js';
import { LogOnce, type Logger } from '../../common/log.js';
import type { ControlDispatcher } from '../control/registry.js';
import { parseHeaderFrame, parseRequestBody, responseFrames } from '../control/rpc.js';
import { HttpTransportError, probeHeaders, request, type ProbeIdentity } from './http.js';
import { WakeSignal } from './signal.js';

/** Options of {@link AppClient}; durations in ms. */
export interface AppClientOptions {
  /** Base URL of the app (`http://host:4040`, path prefix allowed). */
  url: string;
  identity: ProbeIdentity;
  logger: Logger;
  /** Per-request timeout. Default 12000. */
  timeoutMillis?: number;
  /** Control handlers; undefined = no control websocket (`--probe.no-controls`). */
  controls?: ControlDispatcher | undefined;
  /** Retry backoff. Default 1 s → 60 s, jitter 0.5. */
  backoff?: BackoffOptions;
  /** Re-check the app id this often (an app restart changes it). Default 60000. */
  rediscoverMillis?: number;
  /** Websocket ping period. Default 33333 (Scope's). */
  pingIntervalMillis?: number;
  /** Close the websocket when no pong arrived for this long. Default 60000. */
  pongTimeoutMillis?: number;
}

/** Counters for tests and logs. */
export interface AppClientStats {
  posted: number;
  failed: number;
  evicted: number;
  droppedShortcuts: number;
}

const QUEUE_CAPACITY = 2;

interface Queued {
  body: Uint8Array;
  contentType: string;
}

export class AppClient {
  /** The app's id from `GET /api`; undefined until known. */
  appId: string | undefined;
  readonly stats: AppClientStats = { posted: 0, failed: 0, evicted: 0, droppedShortcuts: 0 };
  /** Number of times the control websocket was opened. */
  controlConnects = 0;
  private readonly queue: Queued[] = [];
  private readonly queued = new WakeSignal();
  private readonly discovered = new WakeSignal();
  /** Notified when a loop reaches the app again after failing (see {@link retryWait}). */
  private readonly reachedAgain = new WakeSignal();
  private readonly abort = new AbortController();
  private readonly logOnce: LogOnce;
  private readonly timeoutMillis: number;
  private ws: WebSocket | undefined;
  private loops: Promise<void>[] = [];

  constructor(private readonly opts: AppClientOptions) {
    this.logOnce = new LogOnce(opts.logger);
    this.timeoutMillis = opts.timeoutMillis ?? 12_000;
  }

  get url(): string {
    return this.opts.url;
  }

  /** Starts discovery, posting and (with controls) the control websocket. */
  start(): void {
    this.loops = [this.discoverLoop(), this.postLoop()];
    if (this.opts.controls) this.loops.push(this.controlLoop(this.opts.controls));
  }

  /** Enqueues a report body; returns false if it was dropped (a shortcut with a full queue). */
  enqueue(body: Uint8Array, contentType: string, shortcut: boolean): boolean {
    if (this.queue.length >= QUEUE_CAPACITY) {
      if (shortcut) {
        this.stats.droppedShortcuts++;
        return false;
      }
      this.queue.shift();
      this.stats.evicted++;
    }
    this.queue.push({ body, contentType });
    this.queued.notify();
    return true;
  }

  /** Reports waiting to be posted. */
  get queueLength(): number {
    return this.queue.length;
  }

  /** Stops all loops and closes the websocket; queued reports are flushed first if `flushMillis` > 0. */
  async stop(flushMillis = 0): Promise<void> {
    if (flushMillis > 0 && this.queue.length > 0 && this.appId !== undefined) {
      const deadline = Date.now() + flushMillis;
      while (this.queue.length > 0 && Date.now() < deadline) await sleep(20);
    }
    this.abort.abort();
    this.ws?.terminate();
    await Promise.allSettled(this.loops);
  }

  /** A success of loop `key`: after failures, logs the recovery and wakes the loops waiting to retry. */
  private recovered(key: string, msg: string): void {
    if (this.logOnce.ok(key, msg)) this.reachedAgain.notify();
  }

  /**
   * Waits `millis` before a retry, or less: until another loop reaches the app again. After an
   * outage the three loops' backoffs have grown apart (up to a minute each); the first one
   * through brings the others back at once instead of leaving reports queued until their own
   * timers run out. Only transitions wake (a loop that keeps succeeding does not), so a retry can
   * be brought forward once per recovery, never into a loop. `unreachable`: the failure did not
   * reach the app (an app that answered with an error is retried on the backoff alone).
   */
  private async retryWait(millis: number, unreachable: boolean): Promise<void> {
    if (!unreachable) return sleep(millis, this.abort.signal);
    const done = new AbortController();
    const stop = (): void => done.abort();
    this.abort.signal.addEventListener('abort', stop, { once: true });
    try {
      await Promise.race([sleep(millis, done.signal), this.reachedAgain.wait(done.signal)]);
    } finally {
      done.abort();
      this.abort.signal.removeEventListener('abort', stop);
    }
  }

  private endpoint(path: string): string {
    return `${this.opts.url.replace(/\/+$/, '')}${path}`;
  }

  private async discoverOnce(): Promise<boolean> {
    const key = `app ${this.opts.url} GET /api`;
    try {
      const res = await request('GET', this.endpoint('/api'), {
        headers: probeHeaders(this.opts.identity),
        timeoutMillis: this.timeoutMillis,
        insecure: this.opts.identity.insecure,
      });
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      const parsed: unknown = JSON.parse(res.body.toString('utf8'));
      const id = typeof parsed === 'object' && parsed !== null ? (parsed as { id?: unknown }).id : undefined;
      if (typeof id !== 'string' || id === '') throw new Error('GET /api answered without an id');
      if (id !== this.appId) {
        if (this.appId !== undefined) this.opts.logger.info({ app: this.opts.url, appId: id }, 'app id changed (app restarted)');
        this.appId = id;
        this.ws?.close();
      }
      this.recovered(key, 'app reachable again');
      this.discovered.notify();
      return true;
    } catch (err) {
      this.logOnce.fail(key, err, 'cannot reach app');
      return false;
    }
  }

  private async discoverLoop(): Promise<void> {
    const backoff = new Backoff(this.opts.backoff);
    while (!this.abort.signal.aborted) {
      const ok = await this.discoverOnce();
      if (ok) {
        backoff.reset();
        await sleep(this.opts.rediscoverMillis ?? 60_000, this.abort.signal);
      } else await this.retryWait(backoff.next(), true);
    }
  }

  private async postLoop(): Promise<void> {
    const backoff = new Backoff(this.opts.backoff);
    const key = `app ${this.opts.url} POST /api/report`;
    while (!this.abort.signal.aborted) {
      if (this.appId === undefined) {
        await this.discovered.wait(this.abort.signal);
        continue;
      }
      const item = this.queue.shift();
      if (!item) {
        await this.queued.wait(this.abort.signal);
        continue;
      }
      try {
        const res = await request('POST', this.endpoint('/api/report'), {
          headers: { ...probeHeaders(this.opts.identity), 'Content-Type': item.contentType, 'Content-Encoding': 'gzip' },
          body: item.body,
          timeoutMillis: this.timeoutMillis,
          insecure: this.opts.identity.insecure,
        });
        if (res.status < 200 || res.status > 299) {
          throw new Error(`HTTP ${res.status}: ${res.body.toString('utf8').slice(0, 200)}`);
        }
        this.stats.posted++;
        backoff.reset();
        this.recovered(key, 'publishing to app again');
      } catch (err) {
        this.stats.failed++;
        this.logOnce.fail(key, err, 'publishing report failed');
        // A timeout moves on at once (Scope); anything else waits, and re-learns the app id.
        if (!(err instanceof HttpTransportError && err.timedOut)) {
          if (err instanceof HttpTransportError) void this.discoverOnce();
          await this.retryWait(backoff.next(), err instanceof HttpTransportError);
        }
      }
    }
  }

  private async controlLoop(controls: ControlDispatcher): Promise<void> {
    const backoff = new Backoff(this.opts.backoff);
    const key = `app ${this.opts.url} control websocket`;
    while (!this.abort.signal.aborted) {
      const appId = this.appId;
      if (appId === undefined) {
        await this.discovered.wait(this.abort.signal);
        continue;
      }
      const opened = await this.runControlSocket(appId, controls, () => {
        backoff.reset();
        this.recovered(key, 'control websocket connected');
      }).catch((err: unknown) => {
        this.logOnce.fail(key, err, 'control websocket failed');
        return false;
      });
      if (this.abort.signal.aborted) return;
      if (opened) await sleep(200, this.abort.signal);
      else await this.retryWait(backoff.next(), true);
    }
  }

  /** One control websocket session; resolves when it closes (true if it had opened). */
  private runControlSocket(appId: string, controls: ControlDispatcher, onOpen: () => void): Promise<boolean> {
    const wsUrl = this.endpoint('/api/control/ws').replace(/^http/, 'ws');
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl, {
        headers: probeHeaders(this.opts.identity),
        rejectUnauthorized: !this.opts.identity.insecure,
        handshakeTimeout: this.timeoutMillis,
      });
      this.ws = ws;
      let opened = false;
      let lastPong = Date.now();
      let ping: NodeJS.Timeout | undefined;
      let pendingHeader: { seq: number; method: string } | undefined;
      ws.on('open', () => {
        opened = true;
        this.controlConnects++;
        onOpen();
        const pingMillis = this.opts.pingIntervalMillis ?? 33_333;
        const pongTimeout = this.opts.pongTimeoutMillis ?? 60_000;
        ping = setInterval(() => {
          if (Date.now() - lastPong > pongTimeout) {
            ws.terminate();
            return;
          }
          ws.ping();
        }, pingMillis);
        ping.unref();
      });
      ws.on('pong', () => {
        lastPong = Date.now();
      });
      ws.on('message', (data, isBinary) => {
        lastPong = Date.now(); // any traffic proves the peer is alive
        if (isBinary) return;
        const text = (Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer)).toString('utf8');
        if (!pendingHeader) {
          const header = parseHeaderFrame(text);
          if (header.ok) pendingHeader = { seq: header.seq, method: header.method };
          else this.opts.logger.warn({ app: this.opts.url, reason: header.reason }, 'control: bad header frame ignored');
          return;
        }
        const { seq, method } = pendingHeader;
        pendingHeader = undefined;
        const req = parseRequestBody(text, appId);
        const answer = (frames: [string, string]): void => {
          if (ws.readyState !== WebSocket.OPEN) return;
          ws.send(frames[0]);
          ws.send(frames[1]);
        };
        if (typeof req === 'string') {
          answer(responseFrames(seq, method, {}, `bad request: ${req}`));
          return;
        }
        if (method !== 'control.Handle') {
          answer(responseFrames(seq, method, {}, `rpc: can't find method ${method}`));
          return;
        }
        void controls.handle(req).then((response) => answer(responseFrames(seq, method, response)));
      });
      ws.on('close', () => {
        clearInterval(ping);
        if (this.ws === ws) this.ws = undefined;
        resolve(opened);
      });
      ws.on('error', (err) => {
        clearInterval(ping);
        if (!opened) reject(err);
      });
    });
  }
}
