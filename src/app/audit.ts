/**
 * The audit log (`--app.audit-log`): one JSON line per control call and per pipe attach/close,
 * with who asked, so an operator can answer "who stopped that container / opened that shell".
 */
import { createWriteStream, type WriteStream } from 'node:fs';

/** One audit record; `time` is added on write. */
export interface AuditEntry {
  event: 'control' | 'pipe-attach' | 'pipe-close';
  /** Client address as the server saw it. */
  remote: string;
  /** How the caller authenticated (`admin`, `viewer`, `basic`, `probe`, `anonymous`). */
  principal: string;
  [field: string]: unknown;
}

export interface AuditSink {
  record(entry: AuditEntry): void;
  close(): Promise<void>;
}

/** Drops everything: the sink when no audit log is configured. */
export const NO_AUDIT: AuditSink = { record: () => undefined, close: async () => undefined };

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
