/**
 * The `host_exec` and `host_resize_exec_tty` controls (wire §5.3): a login shell on a new PTY,
 * streamed over a pipe back to the app. node-pty gives a real PTY; if it cannot be loaded, the
 * shell runs under util-linux `script -qfc` (a PTY without resize) instead.
 */
import { spawn as spawnChild } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../common/log.js';
import type { ControlRequest, ControlResponse, ProbeContext } from '../types.js';

interface Terminal {
  write(data: string | Buffer): void;
  resize(cols: number, rows: number): void;
  kill(): void;
  onData(cb: (data: string | Buffer) => void): void;
  onExit(cb: () => void): void;
}

type PtyModule = typeof import('node-pty');
let ptyModule: Promise<PtyModule | undefined> | undefined;
function loadPty(): Promise<PtyModule | undefined> {
  ptyModule ??= import('node-pty').then(
    (m) => m,
    () => undefined,
  );
  return ptyModule;
}

/** The shell command: root's login shell, entered into PID 1's namespaces when containerised. */
export function shellCommand(): [file: string, args: string[]] {
  const inode = (p: string): string => {
    try {
      return readlinkSync(p);
    } catch {
      return '';
    }
  };
  // Containerised = our mount namespace differs from PID 1's; unknown (unreadable) counts as not.
  const own = inode('/proc/self/ns/mnt');
  const init = inode('/proc/1/ns/mnt');
  const containerised = own !== '' && init !== '' && own !== init;
  let passwd = '';
  try {
    passwd = readFileSync(containerised ? '/proc/1/root/etc/passwd' : '/etc/passwd', 'utf8');
  } catch {
    // defaults below
  }
  const root = passwd.split('\n').find((l) => l.startsWith('root:'))?.split(':');
  const shell = root?.[6] || '/bin/sh';
  if (!containerised) return [shell, ['-l']];
  const uid = root?.[2] || '0';
  const gid = root?.[3] || '0';
  return ['/usr/bin/nsenter', ['-t1', '-m', '-i', '-n', '-p', '--no-fork', '--setuid', uid, '--setgid', gid, shell, '-l']];
}

async function openTerminal(): Promise<Terminal> {
  const [file, args] = shellCommand();
  const env = { TERM: 'xterm' };
  const pty = await loadPty();
  if (pty) {
    const p = pty.spawn(file, args, { name: 'xterm', cols: 80, rows: 24, cwd: '/', env, encoding: null });
    return {
      write: (d) => p.write(d),
      resize: (c, r) => p.resize(c, r),
      kill: () => p.kill(),
      onData: (cb) => void p.onData((d: string | Buffer) => cb(d)),
      onExit: (cb) => void p.onExit(() => cb()),
    };
  }
  const quoted = [file, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const child = spawnChild('script', ['-qfc', quoted, '/dev/null'], { env, cwd: '/', stdio: 'pipe' });
  return {
    write: (d) => void child.stdin.write(d),
    resize: () => undefined,
    kill: () => void child.kill('SIGKILL'),
    onData: (cb) => {
      child.stdout.on('data', cb);
      child.stderr.on('data', cb);
    },
    onExit: (cb) => void child.on('exit', cb),
  };
}

/** Registers the host shell controls with the probe. */
export function registerHostExec(ctx: ProbeContext, logger: Logger): void {
  const terminals = new Map<string, Terminal>();

  ctx.controls.register('host_exec', async (req: ControlRequest): Promise<ControlResponse> => {
    const term = await openTerminal();
    const { pipeId, stream } = ctx.pipes.openPipe(req.appId);
    terminals.set(pipeId, term);
    wire(term, stream, () => terminals.delete(pipeId));
    logger.info({ pipeId }, 'host_exec: shell started');
    return { pipe: pipeId, rawTty: true, resizeTtyControl: 'host_resize_exec_tty' };
  });

  ctx.controls.register('host_resize_exec_tty', async (req: ControlRequest): Promise<ControlResponse> => {
    const { pipeID = '', height = '', width = '' } = req.args;
    const rows = Number(height);
    const cols = Number(width);
    if (!/^\d+$/.test(height) || !/^\d+$/.test(width) || rows <= 0 || cols <= 0) {
      return { error: 'invalid height or width' };
    }
    const term = terminals.get(pipeID);
    if (!term) return { error: `pipe ${pipeID} not found` };
    term.resize(cols, rows);
    return {};
  });
}

/** Copies bytes both ways; whichever side ends first ends the other. */
function wire(term: Terminal, stream: Duplex, onDone: () => void): void {
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    onDone();
    term.kill();
    stream.destroy();
  };
  term.onData((d) => {
    if (!stream.destroyed) stream.write(typeof d === 'string' ? Buffer.from(d, 'latin1') : d);
  });
  term.onExit(finish);
  stream.on('data', (d: Buffer) => term.write(d));
  stream.on('close', finish);
  stream.on('error', finish);
}
