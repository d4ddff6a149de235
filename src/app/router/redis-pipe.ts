/**
 * Pipe routing across replicas (issue #8): the UI end of a pipe may reach one replica and the
 * probe end another. When both ends are known (Redis records which replica holds each end), each
 * replica attaches a {@link BridgeSocket} standing for the remote end to its local pipe, and the
 * bridges carry the bytes over the {@link RedisBus}. The local pipe keeps doing what it does
 * (queueing until the other end attaches, chunking, idle and tombstone handling), and closing the
 * pipe on either replica closes it on the other.
 */
import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import type { Logger } from '../../common/log.js';
import { PipeRouter, type AttachRefusal, type PipeEnd, type PipeRouterOptions } from '../pipe/router.js';
import type { BusMessage, RedisBus } from './redis-bus.js';

const other = (end: PipeEnd): PipeEnd => (end === 'ui' ? 'probe' : 'ui');

/**
 * The remote end of a pipe seen as one local websocket: what the pipe sends it goes to the peer
 * replica; what the peer sends is emitted as this socket's messages. Only the members of `ws`
 * the pipe router uses exist.
 */
class BridgeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;

  constructor(private readonly forward: (data: Buffer) => void) {
    super();
  }

  send(data: Buffer, _opts?: unknown, cb?: (err?: Error) => void): void {
    if (this.readyState === this.OPEN) this.forward(Buffer.from(data));
    cb?.();
  }

  pause(): void {}
  resume(): void {}

  close(): void {
    if (this.readyState !== this.OPEN) return;
    this.readyState = 3;
    this.emit('close', 1000, Buffer.alloc(0));
  }

  receive(data: Buffer): void {
    if (this.readyState === this.OPEN) this.emit('message', data, true);
  }
}

export class RedisPipeRouter extends PipeRouter {
  private readonly links = new Map<string, { peer: string; bridge: BridgeSocket }>();
  /** Pipes with a real socket attached on this replica (open ones). */
  private readonly local = new Set<string>();
  private readonly tombstoneMillis: number;

  constructor(
    private readonly bus: RedisBus,
    opts: PipeRouterOptions,
    private readonly logger?: Logger,
  ) {
    super(opts);
    this.tombstoneMillis = opts.tombstoneMillis;
    bus.on('pipe-link', (msg) => this.onLink(msg));
    bus.on('pipe-data', (msg) => this.onData(msg));
    bus.on('pipe-close', (msg) => this.onClose(msg));
  }

  override attach(id: string, end: PipeEnd, socket: WebSocket): AttachRefusal | undefined {
    const refusal = super.attach(id, end, socket);
    if (refusal === undefined) {
      this.local.add(id);
      void this.announce(id, end);
    }
    return refusal;
  }

  /** Records this end in Redis; if the other end is on another replica, links the two. */
  private async announce(id: string, end: PipeEnd): Promise<void> {
    try {
      await this.bus.claimPipeEnd(id, end, this.tombstoneMillis);
      const peer = await this.bus.pipeEndOwner(id, other(end));
      if (peer === undefined || peer === this.bus.replicaId || this.links.has(id)) return;
      // The peer learns of the link before any bytes of ours can reach it.
      await this.bus.send(peer, { t: 'pipe-link', pipeId: id, end });
      this.link(id, other(end), peer);
    } catch (err) {
      this.logger?.warn({ err, pipeId: id }, 'pipe: could not reach the replica bus; the pipe works only within this replica');
    }
  }

  /** Attaches a bridge for the remote `remoteEnd` of pipe `id`, whose sockets are on `peer`. */
  private link(id: string, remoteEnd: PipeEnd, peer: string): void {
    if (this.links.has(id) || this.check(id) === 'closed') return;
    const bridge = new BridgeSocket((data) => {
      void this.bus.send(peer, { t: 'pipe-data', pipeId: id, data: data.toString('base64') }).catch(() => undefined);
    });
    this.links.set(id, { peer, bridge });
    if (super.attach(id, remoteEnd, bridge as unknown as WebSocket) !== undefined) this.links.delete(id);
  }

  private onLink(msg: BusMessage): void {
    if (typeof msg.pipeId !== 'string' || (msg.end !== 'ui' && msg.end !== 'probe')) return;
    // Only if this replica has the pipe (a socket attached here); else the link is for nobody.
    if (!this.local.has(msg.pipeId) || this.canAttach(msg.pipeId) !== undefined) return;
    this.link(msg.pipeId, msg.end, msg.from);
  }

  private onData(msg: BusMessage): void {
    if (typeof msg.pipeId !== 'string' || typeof msg.data !== 'string') return;
    const link = this.links.get(msg.pipeId);
    if (link && link.peer === msg.from) link.bridge.receive(Buffer.from(msg.data, 'base64'));
  }

  private onClose(msg: BusMessage): void {
    if (typeof msg.pipeId !== 'string') return;
    const link = this.links.get(msg.pipeId);
    if (!link || link.peer !== msg.from) return;
    this.links.delete(msg.pipeId);
    this.local.delete(msg.pipeId);
    super.close(msg.pipeId);
  }

  override close(id: string): void {
    const link = this.links.get(id);
    if (link) {
      this.links.delete(id);
      void this.bus.send(link.peer, { t: 'pipe-close', pipeId: id }).catch(() => undefined);
    }
    this.local.delete(id);
    super.close(id);
  }
}
