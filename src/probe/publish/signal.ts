/** A reusable wake-up: `wait()` resolves at the next `notify()` or when the signal aborts. */
export class WakeSignal {
  private waiters: Array<() => void> = [];

  notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }

  wait(abort: AbortSignal): Promise<void> {
    if (abort.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        abort.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.push(done);
      abort.addEventListener('abort', done, { once: true });
    });
  }
}
