/**
 * A real in-process probe context for the Docker plugin tests: a control registry (a Map), a pipe
 * opener whose pipes are in-memory duplex pairs the test holds the other end of, a shortcut sink,
 * and a logger whose lines the test can read.
 */
import { Duplex, Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '../../src/common/log.js';
import type { ControlHandler, ControlRequest, ControlResponse, ProbeContext } from '../../src/probe/types.js';
import type { Report } from '../../src/report/types.js';
import { loadScaledMillis } from '../helpers/deadline.js';

/** Two connected duplex streams: what is written to one is read from the other. */
export function duplexPair(): [Duplex, Duplex] {
  const make = (peer: () => Duplex): Duplex =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        peer().push(chunk);
        cb();
      },
      final(cb) {
        peer().push(null);
        cb();
      },
      destroy(err, cb) {
        const p = peer();
        if (!p.readableEnded) p.push(null);
        cb(err);
      },
    });
  const a: Duplex = make(() => b);
  const b: Duplex = make(() => a);
  return [a, b];
}

export interface TestPipe {
  pipeId: string;
  appId: string;
  /** The UI's end. */
  ui: Duplex;
  /** Everything received on the UI end so far. */
  text(): string;
}

export interface TestContext {
  ctx: ProbeContext;
  handlers: Map<string, ControlHandler>;
  pipes: Map<string, TestPipe>;
  shortcuts: Report[];
  /** Runs a control as the probe's dispatcher would. */
  call(control: string, nodeId: string, args?: Record<string, string>): Promise<ControlResponse>;
}

export function makeTestContext(opts: { hostId?: string; controlsEnabled?: boolean } = {}): TestContext {
  const handlers = new Map<string, ControlHandler>();
  const pipes = new Map<string, TestPipe>();
  const shortcuts: Report[] = [];
  let n = 0;
  const ctx: ProbeContext = {
    hostId: opts.hostId ?? 'testhost',
    probeId: 'abc123def456',
    controlsEnabled: opts.controlsEnabled ?? true,
    controls: {
      register: (id, h) => void handlers.set(id, h),
      unregister: (id) => void handlers.delete(id),
    },
    pipes: {
      openPipe(appId) {
        const pipeId = `pipe-${++n}`;
        const [probeEnd, ui] = duplexPair();
        let out = '';
        ui.on('data', (d: Buffer) => (out += d.toString()));
        pipes.set(pipeId, { pipeId, appId, ui, text: () => out });
        return { pipeId, stream: probeEnd };
      },
    },
    publishShortcut: (r) => void shortcuts.push(r),
  };
  const call = async (control: string, nodeId: string, args: Record<string, string> = {}): Promise<ControlResponse> => {
    const h = handlers.get(control);
    if (!h) return { error: `Control "${control}" not recognised` };
    const req: ControlRequest = { appId: 'app1', nodeId, control, args };
    try {
      return await h(req);
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) };
    }
  };
  return { ctx, handlers, pipes, shortcuts, call };
}

/** A pino logger writing into an array of parsed JSON lines. */
export function captureLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, dest), lines };
}

/**
 * Polls `fn` until it returns something other than undefined; rejects after `timeoutMillis`,
 * stretched on an overloaded machine (see loadScaledMillis).
 */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMillis: number, everyMillis = 200): Promise<T> {
  timeoutMillis = loadScaledMillis(timeoutMillis);
  const deadline = Date.now() + timeoutMillis;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMillis} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMillis));
  }
}
