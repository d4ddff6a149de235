import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { installShutdownHandlers, type Closable } from '../../src/cli/shutdown.js';

/** Installs the handlers, emits signals in-process, and resolves with the first exit code. */
async function withHandlers(roles: Closable[], signals: NodeJS.Signals[], graceMillis = 5000): Promise<number> {
  let uninstall = (): void => undefined;
  const code = new Promise<number>((resolve) => {
    uninstall = installShutdownHandlers({ roles, graceMillis, exit: resolve, log: () => undefined });
  });
  try {
    for (const s of signals) process.emit(s, s);
    return await Promise.race([code, sleep(10_000).then(() => -1)]);
  } finally {
    uninstall();
  }
}

describe('shutdown', () => {
  it('closes the roles in order (probe, then app) and exits 0', async () => {
    const closed: string[] = [];
    const role = (name: string): Closable => ({ close: async () => void closed.push(name) });
    assert.equal(await withHandlers([role('probe'), role('app')], ['SIGTERM']), 0);
    assert.deepEqual(closed, ['probe', 'app']);
  });

  it('a role failing to close still closes the others, exit 1', async () => {
    const closed: string[] = [];
    const roles: Closable[] = [
      { close: () => Promise.reject(new Error('boom')) },
      { close: async () => void closed.push('app') },
    ];
    assert.equal(await withHandlers(roles, ['SIGINT']), 1);
    assert.deepEqual(closed, ['app']);
  });

  it('a close that hangs past the grace period forces exit 1', async () => {
    const hang: Closable = { close: () => new Promise<void>(() => undefined) };
    assert.equal(await withHandlers([hang], ['SIGTERM'], 50), 1);
  });

  it('a second signal exits at once with 128 + signal number', async () => {
    const hang: Closable = { close: () => new Promise<void>(() => undefined) };
    assert.equal(await withHandlers([hang], ['SIGINT', 'SIGINT']), 130);
    assert.equal(await withHandlers([hang], ['SIGTERM', 'SIGTERM']), 143);
  });
});
