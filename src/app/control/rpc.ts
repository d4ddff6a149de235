/**
 * The app side of the probe control channel (wire §4.3): Go `net/rpc` over a JSON codec, each
 * message two websocket text frames (`{Request, Response, Value}` header, then body). The app is
 * the RPC client: it sends `control.Handle` calls and matches answers on `Seq`.
 */
import type { RawData, WebSocket } from 'ws';

/** What the app asks a probe to do (Go's `xfer.Request`). */
export interface ControlCall {
  nodeId: string;
  control: string;
  args: Record<string, string> | null;
}

/** A probe's answer in Scope's JSON field names (Go's `xfer.Response`, all omit-empty). */
export interface ControlReply {
  value?: unknown;
  error?: string;
  pipe?: string;
  raw_tty?: boolean;
  resize_tty_control?: string;
  removedNode?: string;
}

/** Why a call failed before any answer from the probe's control handler. */
export class ControlCallError extends Error {
  override name = 'ControlCallError';
  constructor(
    message: string,
    /** HTTP status the app answers the UI with. */
    readonly httpStatus: number,
  ) {
    super(message);
  }
}

interface Pending {
  resolve(reply: ControlReply): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** Largest number of calls waiting on one probe; more are refused rather than queued forever. */
const MAX_PENDING = 256;

/** One probe's control websocket, seen as an RPC client. */
export class ProbeConnection {
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  /** A header frame waiting for its body frame. */
  private header: { seq: number; error: string } | 'ignore' | undefined;
  private closedReason: string | undefined;

  constructor(
    readonly probeId: string,
    private readonly socket: WebSocket,
    private readonly onProtocolError: (message: string) => void,
  ) {
    socket.on('message', (data: RawData, isBinary: boolean) => this.onMessage(data, isBinary));
    socket.once('close', () => this.failAll(`probe ${probeId} disconnected`));
  }

  /** Sends `control.Handle(call)` and resolves with the probe's reply, or rejects after `timeoutMillis`. */
  call(call: ControlCall, timeoutMillis: number): Promise<ControlReply> {
    if (this.closedReason !== undefined) {
      return Promise.reject(new ControlCallError(this.closedReason, 400));
    }
    if (this.pending.size >= MAX_PENDING) {
      return Promise.reject(new ControlCallError(`probe ${this.probeId} has too many controls in flight`, 503));
    }
    const seq = this.seq++;
    return new Promise<ControlReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(
          new ControlCallError(
            `probe ${this.probeId} did not answer control ${call.control} within ${timeoutMillis / 1000} s`,
            504,
          ),
        );
      }, timeoutMillis);
      this.pending.set(seq, { resolve, reject, timer });
      const header = { Request: { ServiceMethod: 'control.Handle', Seq: seq }, Response: null, Value: null };
      const body = {
        Request: null,
        Response: null,
        Value: { AppID: '', NodeID: call.nodeId, Control: call.control, ControlArgs: call.args },
      };
      // Both frames are queued back to back on the socket, so no other call can interleave.
      this.socket.send(JSON.stringify(header));
      this.socket.send(JSON.stringify(body));
    });
  }

  get inFlight(): number {
    return this.pending.size;
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    let frame: unknown;
    try {
      if (isBinary) throw new Error('binary frame');
      frame = JSON.parse(rawToString(data));
    } catch {
      this.protocolError('control channel frame is not JSON text');
      return;
    }
    if (!isRecord(frame)) {
      this.protocolError('control channel frame is not a JSON object');
      return;
    }
    if (this.header === undefined) {
      this.header = parseHeader(frame);
      return;
    }
    const header = this.header;
    this.header = undefined;
    if (header === 'ignore') return;
    const entry = this.pending.get(header.seq);
    if (!entry) return; // timed out already, or a Seq we never sent
    this.pending.delete(header.seq);
    clearTimeout(entry.timer);
    if (header.error !== '') {
      entry.resolve({ error: header.error });
      return;
    }
    entry.resolve(parseReply(frame.Value));
  }

  private protocolError(message: string): void {
    this.onProtocolError(message);
    this.failAll(`probe ${this.probeId} broke the control protocol: ${message}`);
    this.socket.close(1002, 'protocol error');
  }

  /** Whether the websocket is still open (not closing, not closed). */
  isOpen(): boolean {
    return this.closedReason === undefined && this.socket.readyState === this.socket.OPEN;
  }

  private failAll(reason: string): void {
    this.closedReason ??= reason;
    for (const [seq, entry] of this.pending) {
      clearTimeout(entry.timer);
      entry.reject(new ControlCallError(reason, 400));
      this.pending.delete(seq);
    }
  }
}

/** A header frame → the Seq and RPC error of a response; requests from the probe are ignored. */
function parseHeader(frame: Record<string, unknown>): { seq: number; error: string } | 'ignore' {
  const response = frame.Response;
  if (!isRecord(response)) return 'ignore';
  const seq = response.Seq;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq)) return 'ignore';
  const error = typeof response.Error === 'string' ? response.Error : '';
  return { seq, error };
}

/** Keeps the known fields of `xfer.Response` with the right types; drops everything else. */
export function parseReply(value: unknown): ControlReply {
  if (!isRecord(value)) return {};
  const reply: ControlReply = {};
  if (value.value !== undefined && value.value !== null) reply.value = value.value;
  if (typeof value.error === 'string' && value.error !== '') reply.error = value.error;
  if (typeof value.pipe === 'string' && value.pipe !== '') reply.pipe = value.pipe;
  if (value.raw_tty === true) reply.raw_tty = true;
  if (typeof value.resize_tty_control === 'string' && value.resize_tty_control !== '') {
    reply.resize_tty_control = value.resize_tty_control;
  }
  if (typeof value.removedNode === 'string' && value.removedNode !== '') reply.removedNode = value.removedNode;
  return reply;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function rawToString(data: RawData): string {
  return rawToBuffer(data).toString('utf8');
}

export function rawToBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
