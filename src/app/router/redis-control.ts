/**
 * Control routing across replicas (issue #8): a control for a probe whose control connection is
 * on another replica is sent there over the {@link RedisBus} and answered back, with the same
 * timeout and errors as a local call.
 */
import type { Logger } from '../../common/log.js';
import { ControlRouter } from '../control/router.js';
import { ControlCallError, parseReply, type ControlCall, type ControlReply, type ProbeConnection } from '../control/rpc.js';
import { PRESENCE_TTL_MILLIS, type BusMessage, type RedisBus } from './redis-bus.js';

interface Pending {
  resolve(reply: ControlReply): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A forwarded call as the bus carries it → a typed call (untrusted: another process wrote it). */
function callOf(v: unknown): ControlCall | undefined {
  if (!isRecord(v) || typeof v.nodeId !== 'string' || typeof v.control !== 'string') return undefined;
  let args: Record<string, string> | null = null;
  if (isRecord(v.args)) {
    args = Object.create(null) as Record<string, string>;
    for (const [k, x] of Object.entries(v.args)) if (typeof x === 'string') args[k] = x;
  }
  return { nodeId: v.nodeId, control: v.control, args };
}

export class RedisControlRouter extends ControlRouter {
  private readonly pending = new Map<string, Pending>();
  private seq = 0;
  private readonly refresh: NodeJS.Timeout;

  constructor(
    private readonly bus: RedisBus,
    onCountChange: (count: number) => void,
    private readonly logger?: Logger,
  ) {
    super(onCountChange);
    bus.on('control', (msg) => void this.serveRemote(msg));
    bus.on('control-reply', (msg) => this.onReply(msg));
    // Presence expires unless refreshed, so a replica that died stops attracting controls.
    this.refresh = setInterval(() => {
      for (const id of this.connectedProbeIds()) void this.bus.claimProbe(id).catch(() => undefined);
    }, PRESENCE_TTL_MILLIS / 3);
    this.refresh.unref();
  }

  override register(conn: ProbeConnection, closed: Promise<void>, remote = '', authenticated = true): void {
    super.register(conn, closed, remote, authenticated);
    void this.bus.claimProbe(conn.probeId).catch((err: unknown) => this.logger?.debug({ err }, 'could not record probe presence'));
    void closed.then(() => {
      if (!this.connectedProbeIds().includes(conn.probeId)) void this.bus.releaseProbe(conn.probeId).catch(() => undefined);
    });
  }

  override async handle(probeId: string, call: ControlCall, timeoutMillis: number): Promise<ControlReply> {
    if (this.connectedProbeIds().includes(probeId)) return super.handle(probeId, call, timeoutMillis);
    const owner = await this.bus.probeOwner(probeId).catch(() => undefined);
    if (owner === undefined || owner === this.bus.replicaId) return super.handle(probeId, call, timeoutMillis);
    const id = `${this.bus.replicaId}-${this.seq++}`;
    return new Promise<ControlReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ControlCallError(`probe ${probeId} did not answer control ${call.control} within ${timeoutMillis / 1000} s`, 504));
      }, timeoutMillis);
      this.pending.set(id, { resolve, reject, timer });
      this.bus.send(owner, { t: 'control', id, probeId, call, timeoutMillis }).catch(() => {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new ControlCallError(`probe ${probeId} is connected to another app replica, which cannot be reached now`, 503));
      });
    });
  }

  /** A control another replica forwarded: run it on the local connection, send the outcome back. */
  private async serveRemote(msg: BusMessage): Promise<void> {
    const call = callOf(msg.call);
    if (typeof msg.id !== 'string' || typeof msg.probeId !== 'string' || !call) return;
    const timeoutMillis = typeof msg.timeoutMillis === 'number' && msg.timeoutMillis > 0 ? msg.timeoutMillis : 90_000;
    let answer: Record<string, unknown>;
    try {
      answer = { reply: await super.handle(msg.probeId, call, timeoutMillis) };
    } catch (err) {
      const status = err instanceof ControlCallError ? err.httpStatus : 500;
      answer = { error: { message: (err as Error).message, httpStatus: status } };
    }
    await this.bus.send(msg.from, { t: 'control-reply', id: msg.id, ...answer }).catch(() => undefined);
  }

  private onReply(msg: BusMessage): void {
    if (typeof msg.id !== 'string') return;
    const entry = this.pending.get(msg.id);
    if (!entry) return; // timed out already
    this.pending.delete(msg.id);
    clearTimeout(entry.timer);
    const error = msg.error;
    if (isRecord(error)) {
      const status = typeof error.httpStatus === 'number' ? error.httpStatus : 500;
      entry.reject(new ControlCallError(typeof error.message === 'string' ? error.message : 'control failed', status));
      return;
    }
    entry.resolve(parseReply(msg.reply));
  }

  /** Stops refreshing presence and fails forwarded calls still waiting. */
  stop(): void {
    clearInterval(this.refresh);
    for (const [id, entry] of this.pending) {
      clearTimeout(entry.timer);
      entry.reject(new ControlCallError('the app is shutting down', 503));
      this.pending.delete(id);
    }
  }
}
