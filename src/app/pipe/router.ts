/**
 * The app's pipe router (app §1.12, wire §4.4): a pipe is two ends (`ui`, `probe`), each with the
 * websockets attached to it. Bytes any socket of one end sends reach every socket of the other end
 * as binary frames of at most 1024 bytes; bytes sent while the other end has no socket wait (up to
 * a bound, then the sender is paused). A pipe with an end unattached for the idle time is closed;
 * closed pipes are remembered as tombstones for a while so `/check` and reconnects get 404.
 */
import type { RawData, WebSocket } from 'ws';
import { rawToBuffer } from '../control/rpc.js';

export type PipeEnd = 'ui' | 'probe';

/** Options of {@link PipeRouter}. */
export interface PipeRouterOptions {
  /** An end unattached this long closes the pipe, in milliseconds (60000). */
  idleMillis: number;
  /** How often idle pipes are looked for, in milliseconds (30000). */
  sweepIntervalMillis: number;
  /** How long closed pipes are remembered, in milliseconds (600000). */
  tombstoneMillis: number;
  /** Most pipes (open and tombstoned) known at once. */
  maxPipes: number;
  onCountChange?: (openPipes: number) => void;
  now?: () => number;
}

/** Largest frame sent to a pipe websocket (Scope reads the pipe in 1024-byte chunks). */
export const PIPE_CHUNK_BYTES = 1024;
/** Bytes waiting for one direction before the sending sockets are paused. */
const HIGH_WATER_BYTES = 1024 * 1024;

/** One direction of a pipe: what one end's sockets send, queued for the other end's sockets. */
class Relay {
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private inFlightBytes = 0;
  private paused = false;

  constructor(
    private readonly sources: Set<WebSocket>,
    private readonly targets: Set<WebSocket>,
  ) {}

  write(data: Buffer): void {
    if (data.length === 0) return;
    this.queue.push(data);
    this.queuedBytes += data.length;
    this.flush();
  }

  /** Sends what is queued to every target socket, in ≤1024-byte binary frames. */
  flush(): void {
    const targets = [...this.targets].filter((t) => t.readyState === t.OPEN);
    if (targets.length > 0) {
      for (const buf of this.queue) {
        for (let off = 0; off < buf.length; off += PIPE_CHUNK_BYTES) {
          const chunk = buf.subarray(off, off + PIPE_CHUNK_BYTES);
          for (const target of targets) {
            this.inFlightBytes += chunk.length;
            target.send(chunk, { binary: true }, () => {
              this.inFlightBytes -= chunk.length;
              this.applyBackpressure();
            });
          }
        }
      }
      this.queue = [];
      this.queuedBytes = 0;
    }
    this.applyBackpressure();
  }

  private applyBackpressure(): void {
    const waiting = this.queuedBytes + this.inFlightBytes;
    if (!this.paused && waiting > HIGH_WATER_BYTES) {
      this.paused = true;
      for (const s of this.sources) s.pause();
    } else if (this.paused && waiting <= HIGH_WATER_BYTES / 2) {
      this.paused = false;
      for (const s of this.sources) s.resume();
    }
  }

  /** A newly attached source starts paused if this direction is backed up. */
  adopt(source: WebSocket): void {
    if (this.paused) source.pause();
  }
}

class Pipe {
  readonly sockets: Record<PipeEnd, Set<WebSocket>> = { ui: new Set(), probe: new Set() };
  /** When each end last had a socket (or was created), in ms. */
  readonly lastUsedMillis: Record<PipeEnd, number>;
  /** ui → probe and probe → ui. */
  readonly toProbe: Relay;
  readonly toUi: Relay;
  closedAtMillis: number | undefined;

  constructor(nowMillis: number) {
    this.lastUsedMillis = { ui: nowMillis, probe: nowMillis };
    this.toProbe = new Relay(this.sockets.ui, this.sockets.probe);
    this.toUi = new Relay(this.sockets.probe, this.sockets.ui);
  }
}

/** Why a socket could not be attached. */
export type AttachRefusal = 'closed' | 'full';

export class PipeRouter {
  private readonly pipes = new Map<string, Pipe>();
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly opts: PipeRouterOptions) {
    this.now = opts.now ?? Date.now;
    this.timer = setInterval(() => this.sweep(), opts.sweepIntervalMillis);
    this.timer.unref();
  }

  /** `open` for open or never-seen pipes (the UI must not give up before the probe dials), else `closed`. */
  check(id: string): 'open' | 'closed' {
    return this.pipes.get(id)?.closedAtMillis === undefined ? 'open' : 'closed';
  }

  /** Whether a socket could attach now to pipe `id` (checked before upgrading). */
  canAttach(id: string): AttachRefusal | undefined {
    const pipe = this.pipes.get(id);
    if (pipe) return pipe.closedAtMillis === undefined ? undefined : 'closed';
    return this.pipes.size >= this.opts.maxPipes ? 'full' : undefined;
  }

  /** Attaches `socket` to end `end` of pipe `id`, creating the pipe if it is new. */
  attach(id: string, end: PipeEnd, socket: WebSocket): AttachRefusal | undefined {
    const refusal = this.canAttach(id);
    if (refusal) return refusal;
    let pipe = this.pipes.get(id);
    if (!pipe) {
      pipe = new Pipe(this.now());
      this.pipes.set(id, pipe);
      this.countChanged();
    }
    const p = pipe;
    const [out, back] = end === 'ui' ? [p.toProbe, p.toUi] : [p.toUi, p.toProbe];
    p.sockets[end].add(socket);
    out.adopt(socket);
    socket.on('message', (data: RawData) => out.write(rawToBuffer(data)));
    socket.once('close', () => {
      p.sockets[end].delete(socket);
      if (p.sockets[end].size === 0) p.lastUsedMillis[end] = this.now();
    });
    back.flush(); // deliver what waited for this end
    return undefined;
  }

  /** Closes pipe `id` and every socket on it (idempotent; unknown ids are fine). */
  close(id: string): void {
    const pipe = this.pipes.get(id);
    if (!pipe || pipe.closedAtMillis !== undefined) return;
    pipe.closedAtMillis = this.now();
    for (const end of ['ui', 'probe'] as const) {
      for (const socket of pipe.sockets[end]) socket.close(1000, 'pipe closed');
    }
    this.countChanged();
  }

  /** Closes idle pipes and forgets old tombstones (Scope's 30 s garbage collection). */
  sweep(): void {
    const now = this.now();
    for (const [id, pipe] of this.pipes) {
      if (pipe.closedAtMillis !== undefined) {
        if (now - pipe.closedAtMillis >= this.opts.tombstoneMillis) this.pipes.delete(id);
        continue;
      }
      for (const end of ['ui', 'probe'] as const) {
        if (pipe.sockets[end].size === 0 && now - pipe.lastUsedMillis[end] >= this.opts.idleMillis) {
          this.close(id);
          break;
        }
      }
    }
  }

  /** Closes every pipe and stops the sweeper. */
  stop(): void {
    clearInterval(this.timer);
    for (const id of this.pipes.keys()) this.close(id);
  }

  private countChanged(): void {
    let open = 0;
    for (const pipe of this.pipes.values()) if (pipe.closedAtMillis === undefined) open++;
    this.opts.onCountChange?.(open);
  }
}
