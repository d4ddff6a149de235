/**
 * Docker controls (wire §5.6 "Docker controls", app §5): lifecycle actions, and pipe-backed
 * attach / exec shell / logs with TTY resize. Registered only when controls are enabled.
 */
import type Docker from 'dockerode';
import type { Logger } from '../../common/log.js';
import { parseContainerNodeId } from '../../report/ids.js';
import type { ControlHandler, ControlRequest, ControlResponse, ProbeContext } from '../types.js';
import { isNotModified, withTimeout } from './client.js';
import { hangUpSession } from './hangup.js';
import { DockerDemux, joinStreams } from './streams.js';
import { CONTROL_IDS } from './templates.js';

/** Scope's exact exec script: root's login shell with TERM=xterm, else /bin/sh. */
export const EXEC_SCRIPT =
  'TERM=xterm exec $( (type getent > /dev/null 2>&1  && getent passwd root | cut -d: -f7 2>/dev/null) || echo /bin/sh)';

/** Stop/restart grace period, seconds (Scope's 10 s). */
const STOP_TIMEOUT_SECONDS = 10;
/** Lifecycle calls may legitimately take the grace period and more. */
const LIFECYCLE_DEADLINE_MILLIS = (STOP_TIMEOUT_SECONDS + 20) * 1000;
/** Log lines sent before following. */
const LOG_TAIL_LINES = 1000;

/** A resizable TTY behind an open pipe. */
type Session = { resize(h: number, w: number): Promise<unknown> };

/** What a pipe joins: Docker's output (`source`), Docker's input (`sink`, null = read-only). */
interface PipeSpec {
  source: NodeJS.ReadableStream;
  sink: NodeJS.WritableStream | null;
  /** A resizable TTY behind the pipe. */
  session?: Session;
  /** The raw Docker stream when `source` is a demuxer over it, closed with the pipe. */
  raw?: NodeJS.ReadableStream;
  onClosed?: () => void;
}

/** Hangs up what is still running in an exec session whose pipe closed. */
async function hangUpExec(exec: Docker.Exec, containerId: string, procRoot?: string): Promise<void> {
  const info = (await withTimeout('exec inspect', exec.inspect())) as { Running?: unknown; Pid?: unknown };
  if (info.Running === true && typeof info.Pid === 'number') await hangUpSession(info.Pid, containerId, procRoot);
}

/** What the controls need from the rest of the plugin. */
export interface ControlDeps {
  ctx: ProbeContext;
  /** The dockerode client, loaded on the first control (engine.ts says why). */
  docker: () => Promise<Docker>;
  /** Re-inspects the container and publishes a shortcut report. */
  refresh(containerId: string): Promise<void>;
  logger: Logger;
  /** procfs root, for hanging up exec sessions. Default `/proc`. */
  procRoot?: string;
}

/** Docker's multiplexed output as plain bytes; the demuxer closes when the raw stream does. */
function demux(raw: NodeJS.ReadableStream): NodeJS.ReadableStream {
  const out = raw.pipe(new DockerDemux());
  raw.on('close', () => out.end());
  raw.on('error', (err: Error) => out.destroy(err));
  return out;
}

function containerIdOf(req: ControlRequest): string {
  const id = parseContainerNodeId(req.nodeId);
  if (!id) throw new Error(`Invalid ID: ${req.nodeId}`);
  return id;
}

function dimension(args: Record<string, string>, key: string): number {
  const v = args[key];
  if (v === undefined || !/^\d+$/.test(v)) throw new Error(`${key} must be a decimal number, got ${JSON.stringify(v ?? null)}`);
  return Number(v);
}

/** Registers every Docker control in `deps.ctx.controls`; returns a function that undoes it and closes pipes. */
export function registerDockerControls(deps: ControlDeps): () => void {
  const { ctx, docker } = deps;
  const sessions = new Map<string, Session>();
  const closers = new Set<() => void>();

  const lifecycle = (action: (c: Docker.Container) => Promise<unknown>): ControlHandler => {
    return async (req) => {
      const id = containerIdOf(req);
      try {
        await withTimeout(req.control, docker().then((d) => action(d.getContainer(id))), LIFECYCLE_DEADLINE_MILLIS);
      } catch (err) {
        if (!isNotModified(err)) throw err; // 304: already in that state, which is what was asked
      }
      await deps.refresh(id);
      return {};
    };
  };

  const openPipe = (req: ControlRequest, p: PipeSpec): string => {
    let opened;
    try {
      opened = ctx.pipes.openPipe(req.appId);
    } catch (err) {
      for (const s of [p.source, p.raw]) (s as { destroy?: () => void } | undefined)?.destroy?.();
      p.onClosed?.();
      throw err;
    }
    const { pipeId, stream } = opened;
    if (p.session) sessions.set(pipeId, p.session);
    const close = (): void => {
      sessions.delete(pipeId);
      closers.delete(closeNow);
      p.onClosed?.();
    };
    const closeNow = (): void => void stream.destroy();
    closers.add(closeNow);
    joinStreams(stream, p.source, p.sink, close, p.raw && p.raw !== p.source ? [p.raw] : []);
    return pipeId;
  };

  const handlers: Record<string, ControlHandler> = {
    [CONTROL_IDS.stop]: lifecycle((c) => c.stop({ t: STOP_TIMEOUT_SECONDS })),
    [CONTROL_IDS.start]: lifecycle((c) => c.start()),
    [CONTROL_IDS.restart]: lifecycle((c) => c.restart({ t: STOP_TIMEOUT_SECONDS })),
    [CONTROL_IDS.pause]: lifecycle((c) => c.pause()),
    [CONTROL_IDS.unpause]: lifecycle((c) => c.unpause()),
    [CONTROL_IDS.remove]: async (req): Promise<ControlResponse> => {
      const id = containerIdOf(req);
      await withTimeout(req.control, docker().then((d) => d.getContainer(id).remove()), LIFECYCLE_DEADLINE_MILLIS);
      await deps.refresh(id); // inspect answers 404: the registry forgets it and reports it deleted
      return { removedNode: req.nodeId };
    },
    [CONTROL_IDS.exec]: async (req): Promise<ControlResponse> => {
      const id = containerIdOf(req);
      const c = (await docker()).getContainer(id);
      const exec = await withTimeout(
        'exec create',
        c.exec({ Cmd: ['/bin/sh', '-c', EXEC_SCRIPT], AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: true }),
      );
      const stream = await withTimeout('exec start', exec.start({ hijack: true, stdin: true, Tty: true }));
      const pipe = openPipe(req, {
        source: stream,
        sink: stream,
        session: { resize: (h, w) => exec.resize({ h, w }) },
        onClosed: () => void hangUpExec(exec, id, deps.procRoot).catch((err: unknown) => deps.logger.debug({ err }, 'exec hangup failed')),
      });
      return { pipe, rawTty: true, resizeTtyControl: CONTROL_IDS.resizeExec };
    },
    [CONTROL_IDS.attach]: async (req): Promise<ControlResponse> => {
      const c = (await docker()).getContainer(containerIdOf(req));
      const info = (await withTimeout('inspect', c.inspect())) as { Config?: { Tty?: unknown } };
      const tty = info.Config?.Tty === true;
      const stream = await withTimeout(
        'attach',
        c.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true }),
      );
      const source = tty ? stream : demux(stream);
      const pipe = openPipe(req, {
        source,
        sink: stream,
        raw: stream,
        ...(tty ? { session: { resize: (h: number, w: number) => c.resize({ h, w }) } } : {}),
      });
      return tty ? { pipe, rawTty: true, resizeTtyControl: CONTROL_IDS.resizeAttach } : { pipe, rawTty: false };
    },
    [CONTROL_IDS.logs]: async (req): Promise<ControlResponse> => {
      const c = (await docker()).getContainer(containerIdOf(req));
      const info = (await withTimeout('inspect', c.inspect())) as { Config?: { Tty?: unknown } };
      const logs = await withTimeout(
        'logs',
        c.logs({ follow: true, stdout: true, stderr: true, tail: LOG_TAIL_LINES }),
      );
      const source = info.Config?.Tty === true ? logs : demux(logs);
      return { pipe: openPipe(req, { source, sink: null, raw: logs }), rawTty: false };
    },
  };

  const resize: ControlHandler = async (req) => {
    const pipeId = req.args.pipeID ?? '';
    const h = dimension(req.args, 'height');
    const w = dimension(req.args, 'width');
    const session = sessions.get(pipeId);
    if (!session) throw new Error(`no resizable terminal on pipe ${JSON.stringify(pipeId)}`);
    await withTimeout('resize', session.resize(h, w));
    return {};
  };
  handlers[CONTROL_IDS.resizeExec] = resize;
  handlers[CONTROL_IDS.resizeAttach] = resize;

  for (const [id, h] of Object.entries(handlers)) ctx.controls.register(id, h);
  return () => {
    for (const id of Object.keys(handlers)) ctx.controls.unregister(id);
    for (const close of [...closers]) close();
  };
}
