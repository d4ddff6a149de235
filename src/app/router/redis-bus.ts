/**
 * The message bus between app replicas sharing one Redis (issue #8): each replica listens on its
 * own pub/sub channel; where each probe's control connection and each pipe end live is kept in
 * Redis keys with expiries, so a request reaching the wrong replica can be sent to the right one.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from '../../common/log.js';

/** A bus message: `t` names its kind; the rest is checked by the handler of that kind. */
export type BusMessage = { t: string; from: string } & Record<string, unknown>;
export type BusHandler = (msg: BusMessage) => void;

/** How long a probe's presence lasts without refresh, in ms (refreshed every third of it). */
export const PRESENCE_TTL_MILLIS = 30_000;

/** Deletes a key only if it still names this replica (a newer owner must not lose its entry). */
const DEL_IF_MINE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

export class RedisBus {
  readonly replicaId = randomBytes(8).toString('hex');
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly handlers = new Map<string, BusHandler>();
  private closed = false;

  private constructor(
    url: string,
    private readonly prefix: string,
    private readonly logger: Logger | undefined,
  ) {
    const options = { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: (n: number) => Math.min(100 * n, 2000) };
    this.pub = new Redis(url, { ...options, enableOfflineQueue: false, commandTimeout: 2000 });
    // The subscriber re-subscribes by itself after a reconnect (ioredis autoResubscribe).
    this.sub = new Redis(url, options);
    let down = false;
    const onError = (err: Error) => {
      if (down || this.closed) return;
      down = true;
      this.logger?.warn({ err: err.message }, 'replica bus: Redis unreachable; cross-replica controls and pipes fail until it is back');
    };
    this.pub.on('error', onError);
    this.sub.on('error', onError);
    this.pub.on('ready', () => {
      if (down) this.logger?.info('replica bus: Redis is back');
      down = false;
    });
    this.sub.on('message', (channel: string, text: string) => this.dispatch(text));
  }

  /** Connects and subscribes to this replica's channel. */
  static async connect(url: string, opts: { keyPrefix?: string; logger?: Logger } = {}): Promise<RedisBus> {
    const bus = new RedisBus(url, opts.keyPrefix ?? 'openscope:', opts.logger);
    try {
      await Promise.all([bus.pub.connect(), bus.sub.connect()]);
      await bus.sub.subscribe(bus.channel(bus.replicaId));
    } catch (err) {
      await bus.close();
      throw err;
    }
    return bus;
  }

  private channel(replicaId: string): string {
    return `${this.prefix}replica:${replicaId}`;
  }

  private dispatch(text: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return;
    const m = msg as Record<string, unknown>;
    if (typeof m.t !== 'string' || typeof m.from !== 'string') return;
    const handler = this.handlers.get(m.t);
    try {
      handler?.(m as BusMessage);
    } catch (err) {
      this.logger?.warn({ err, kind: m.t }, 'replica bus: handler failed');
    }
  }

  /** Handles messages of kind `t` sent to this replica (one handler per kind). */
  on(t: string, handler: BusHandler): void {
    this.handlers.set(t, handler);
  }

  /** Sends `msg` to replica `replicaId`; rejects if Redis is unreachable. */
  async send(replicaId: string, msg: { t: string } & Record<string, unknown>): Promise<void> {
    await this.pub.publish(this.channel(replicaId), JSON.stringify({ ...msg, from: this.replicaId }));
  }

  /** Records that probe `probeId`'s control connection is on this replica. */
  async claimProbe(probeId: string): Promise<void> {
    await this.pub.set(`${this.prefix}probe:${probeId}`, this.replicaId, 'PX', PRESENCE_TTL_MILLIS);
  }

  async releaseProbe(probeId: string): Promise<void> {
    await this.pub.eval(DEL_IF_MINE, 1, `${this.prefix}probe:${probeId}`, this.replicaId);
  }

  /** The replica holding probe `probeId`'s control connection, if any. */
  async probeOwner(probeId: string): Promise<string | undefined> {
    return (await this.pub.get(`${this.prefix}probe:${probeId}`)) ?? undefined;
  }

  /** Records that an end of pipe `pipeId` has a socket on this replica, for `ttlMillis`. */
  async claimPipeEnd(pipeId: string, end: string, ttlMillis: number): Promise<void> {
    const key = `${this.prefix}pipe:${pipeId}`;
    await this.pub.multi().hset(key, end, this.replicaId).pexpire(key, ttlMillis).exec();
  }

  async pipeEndOwner(pipeId: string, end: string): Promise<string | undefined> {
    return (await this.pub.hget(`${this.prefix}pipe:${pipeId}`, end)) ?? undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.sub.disconnect();
    await this.pub.quit().catch(() => this.pub.disconnect());
  }
}
