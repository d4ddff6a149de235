// Clean shutdown on SIGINT/SIGTERM: close the roles in order, force-exit after a grace period,
// exit at once on a second signal.

/** Something that can be closed (a running app or probe). */
export interface Closable {
  close(): Promise<void>;
}

export interface ShutdownOptions {
  /** Closed in this order (the probe before the app, so its last publish can still land). */
  readonly roles: readonly Closable[];
  /** Grace period before a forced exit. Default 5000. */
  readonly graceMillis?: number;
  /** Called with the exit code once everything closed, or on a forced exit. */
  readonly exit: (code: number) => void;
  readonly log: (message: string) => void;
}

/** Closes every role in order; a role that fails to close does not stop the others. */
export async function closeAll(roles: readonly Closable[], log: (message: string) => void): Promise<boolean> {
  let clean = true;
  for (const role of roles) {
    try {
      await role.close();
    } catch (err) {
      clean = false;
      log(`error while shutting down: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return clean;
}

/**
 * Installs SIGINT and SIGTERM handlers. Returns a function that removes them (for tests).
 * Exit codes: 0 after a clean close, 1 if a role failed to close or the grace period ran out,
 * 130/143 (128 + signal number) on a second signal.
 */
export function installShutdownHandlers(opts: ShutdownOptions): () => void {
  const graceMillis = opts.graceMillis ?? 5000;
  let shuttingDown = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (shuttingDown) {
      opts.log(`received ${signal} again, exiting now`);
      opts.exit(signal === 'SIGINT' ? 130 : 143);
      return;
    }
    shuttingDown = true;
    opts.log(`received ${signal}, shutting down`);
    // unref: the timer alone must not keep a process alive that has nothing else left to do.
    setTimeout(() => {
      opts.log(`shutdown took longer than ${graceMillis} ms, exiting`);
      opts.exit(1);
    }, graceMillis).unref();
    void closeAll(opts.roles, opts.log).then((clean) => opts.exit(clean ? 0 : 1));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
