/**
 * Exponential backoff with jitter, and an abortable sleep. Used wherever OpenScope retries I/O:
 * publishing reports, control websockets, pipes, Docker event streams.
 */

/** Options of {@link Backoff}; all durations in milliseconds. */
export interface BackoffOptions {
  /** First delay. Default 1000 (Scope's 1 s). */
  initialMillis?: number;
  /** Upper bound of any delay. Default 60000 (Scope's 60 s). */
  maxMillis?: number;
  /** Growth factor per failure. Default 2. */
  factor?: number;
  /**
   * Fraction of each delay that is randomised, 0…1. Default 0.5: a delay d becomes uniform in
   * [d·(1−jitter), d], so many probes restarting together do not retry in lockstep.
   */
  jitter?: number;
  /** Random source in [0, 1); default `Math.random` (tests inject a fixed one). */
  random?: () => number;
}

/** Stateful exponential backoff: `next()` after each failure, `reset()` after a success. */
export class Backoff {
  private readonly initialMillis: number;
  private readonly maxMillis: number;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private attempt = 0;

  constructor(opts: BackoffOptions = {}) {
    this.initialMillis = opts.initialMillis ?? 1000;
    this.maxMillis = opts.maxMillis ?? 60_000;
    this.factor = opts.factor ?? 2;
    this.jitter = Math.min(1, Math.max(0, opts.jitter ?? 0.5));
    this.random = opts.random ?? Math.random;
  }

  /** The delay to wait before the next attempt; grows with each call until `reset()`. */
  next(): number {
    const base = Math.min(this.maxMillis, this.initialMillis * this.factor ** this.attempt);
    if (base < this.maxMillis) this.attempt++;
    return Math.round(base * (1 - this.jitter * this.random()));
  }

  /** Forget failures: the next delay is `initialMillis` again. */
  reset(): void {
    this.attempt = 0;
  }

  /** Consecutive failures since the last reset (capped once the maximum is reached). */
  get failures(): number {
    return this.attempt;
  }
}

/**
 * Resolves after `millis`, or early (without rejecting) when `signal` aborts. The timer is unref'd
 * so a pending retry never keeps the process alive.
 */
export function sleep(millis: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, millis);
    timer.unref();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Parses an HTTP `Retry-After` header (seconds or HTTP date) into milliseconds from `nowMillis`;
 * undefined when absent or malformed.
 */
export function retryAfterMillis(header: string | null | undefined, nowMillis = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMillis);
}
