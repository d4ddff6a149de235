/** A reusable wake-up: `wait()` resolves at the next `notify()` or when the signal aborts. */
export class WakeSignal {
  private waiters: Array<() => void> = [];

  notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }

  /** Resolves at the next `notify()`, or when `abort` fires (then the waiter is dropped at once). */
  wait(abort: AbortSignal): Promise<void> {
    if (abort.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        abort.removeEventListener('abort', aborted);
        resolve();
      };
      const aborted = (): void => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      this.waiters.push(done);
      abort.addEventListener('abort', aborted, { once: true });
    });
  }
}
