/**
 * Byte plumbing between Docker streams and probe pipes: Docker's multiplexed stdout/stderr framing
 * (non-TTY attach and logs), and joining two streams so that either end closing closes the other.
 */
import { Transform, type Duplex, type TransformCallback } from 'node:stream';

/**
 * Docker's stream multiplexing (non-TTY containers): frames of an 8-byte header
 * `[stream, 0, 0, 0, size uint32 BE]` followed by `size` bytes. Emits the payloads, stdout and
 * stderr alike, in order.
 */
export class DockerDemux extends Transform {
  private pending = Buffer.alloc(0);

  override _transform(chunk: Buffer | string, _enc: BufferEncoding, done: TransformCallback): void {
    this.pending = Buffer.concat([this.pending, typeof chunk === 'string' ? Buffer.from(chunk) : chunk]);
    while (this.pending.length >= 8) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) break;
      this.push(this.pending.subarray(8, 8 + size));
      this.pending = this.pending.subarray(8 + size);
    }
    done();
  }
}

/** Something to close once: Docker streams are a mix of sockets and HTTP responses. */
export interface Closable {
  destroy?: (err?: Error) => unknown;
  end?: () => unknown;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

/**
 * Copies `source` (Docker output) into `pipe`, and `pipe` into `sink` (Docker input; null for
 * read-only streams such as logs, whose pipe input is discarded). When either side ends or fails,
 * both are closed and `onClose` runs once.
 */
export function joinStreams(
  pipe: Duplex,
  source: NodeJS.ReadableStream,
  sink: NodeJS.WritableStream | null,
  onClose: () => void,
  extraClose: Closable[] = [],
): void {
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    source.unpipe?.(pipe);
    for (const s of [source as unknown as Closable, ...(sink ? [sink as unknown as Closable] : []), ...extraClose]) {
      try {
        if (s.destroy) s.destroy();
        else s.end?.();
      } catch {
        // already closed
      }
    }
    if (!pipe.destroyed) pipe.end();
    onClose();
  };
  source.on('data', (d: Buffer | string) => {
    if (!pipe.destroyed && !pipe.writableEnded) pipe.write(d);
  });
  for (const ev of ['end', 'close', 'error']) source.on(ev, close);
  if (sink) {
    pipe.on('data', (d: Buffer) => {
      sink.write(d);
    });
  } else {
    pipe.resume(); // discard what the UI types
  }
  for (const ev of ['end', 'close', 'error']) pipe.on(ev, close);
  if (sink && sink !== (source as unknown)) sink.on('error', close);
}
