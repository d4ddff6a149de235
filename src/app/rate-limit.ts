/**
 * Per-key token buckets (issue #7: a per-probe report rate limit). A probe publishes every 3 s
 * plus shortcut reports on changes, so the defaults leave ample room for a healthy probe while a
 * runaway or hostile one is answered 429 instead of costing a decode and a merge per request.
 */

/** Options of {@link RateLimiter}. */
export interface RateLimiterOptions {
  /** Sustained requests per second per key. */
  perSecond: number;
  /** Requests a key may make at once after being idle. */
  burst: number;
  /** Most keys tracked; past it the oldest are forgotten (they start again with a full bucket). */
  maxKeys: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; atMillis: number }>();

  constructor(private readonly opts: RateLimiterOptions) {}

  /** Takes one request for `key`; returns 0 when allowed, else milliseconds until one would be. */
  take(key: string, nowMillis = Date.now()): number {
    const { perSecond, burst } = this.opts;
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= this.opts.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
      bucket = { tokens: burst, atMillis: nowMillis };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(burst, bucket.tokens + ((nowMillis - bucket.atMillis) / 1000) * perSecond);
      bucket.atMillis = nowMillis;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - bucket.tokens) / perSecond) * 1000);
  }
}
