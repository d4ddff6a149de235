/**
 * The audit log (`--app.audit-log`, else the app's log): one JSON line per control attempt (run,
 * failed or refused: time, user, role, probe, node, control, arguments, result) and per pipe attach/close,
 * with who asked, so an operator can answer "who stopped that container / opened that shell".
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Logger } from '../common/log.js';

/** One audit record; `time` is added on write. */
export interface AuditEntry {
  event: 'control' | 'pipe-attach' | 'pipe-close';
  /** Client address as the server saw it. */
  remote: string;
  /** How the caller authenticated (`admin`, `operator`, `viewer`, `basic`, `proxy`, `probe`, `anonymous`). */
  principal: string;
  /** Who: the basic-auth or proxy user name, or `<role>-token`. */
  user?: string;
  /** The role the caller acted with. */
  role?: string;
  [field: string]: unknown;
}

export interface AuditSink {
  record(entry: AuditEntry): void;
  close(): Promise<void>;
}

/** Drops everything: the sink when no audit log is configured. */
export const NO_AUDIT: AuditSink = { record: () => undefined, close: async () => undefined };

/** Writes each record as an info line of `logger` (the default when no audit file is configured). */
export function logAudit(logger: Logger): AuditSink {
  return {
    record: (entry) => logger.info({ audit: true, ...entry }, `audit: ${entry.event}`),
    close: async () => undefined,
  };
}

/** Opens (appends to, creating with mode 0600) the audit log at `path`; rejects if it cannot. */
export async function openAuditLog(path: string): Promise<AuditSink> {
  const stream: WriteStream = createWriteStream(path, { flags: 'a', mode: 0o600 });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  let failed = false;
  stream.on('error', () => {
    failed = true; // a full disk must not take the app down; the operator sees the gap
  });
  return {
    record(entry) {
      if (!failed) stream.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
    },
    close: () => new Promise<void>((resolve) => stream.end(() => resolve())),
  };
}
