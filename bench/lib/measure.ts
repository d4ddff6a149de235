/**
 * Timing helpers for benches: batches sized to a CPU-time budget, many samples, medians, and
 * paired (interleaved) measurement of a candidate against its baseline so drift hits both.
 */
// No forced GC between batches: a full `gc()` shrinks the young generation and makes the next
// batch several times slower. Batches long enough to include their share of GC work instead.

/**
 * CPU time of this process in ms (user + system, all threads — GC helpers included). On a shared
 * machine this is far steadier than wall time, which counts the time other processes ran.
 */
function cpuMillis(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export interface MeasureOptions {
  /** Samples taken (odd, for a clean median); default 15. */
  samples?: number;
  /** CPU time each sample's batch aims for, in ms; default 100. */
  batchMillis?: number;
  /** Warm-up CPU time before sampling, in ms; default 200. */
  warmupMillis?: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Keeps results alive so the JIT cannot drop the work. */
let sink: unknown;
export function consume(v: unknown): void {
  sink = v;
}

function batchNanos(fn: () => unknown, iterations: number): number {
  const t0 = cpuMillis();
  for (let i = 0; i < iterations; i++) sink = fn();
  sink = undefined;
  return ((cpuMillis() - t0) * 1e6) / iterations;
}

/** Iterations for one batch of ≈ `batchMillis`, after warming `fn` up. */
function calibrate(fn: () => unknown, batchMillis: number, warmupMillis: number): number {
  const end = cpuMillis() + warmupMillis;
  let n = 0;
  while (cpuMillis() < end) { sink = fn(); n++; }
  const perOpNanos = batchNanos(fn, Math.max(1, n >> 2));
  return Math.max(1, Math.round((batchMillis * 1e6) / perOpNanos));
}

/** Median time per call of `fn`, in nanoseconds. */
export function measure(fn: () => unknown, opts: MeasureOptions = {}): number {
  const { samples = 15, batchMillis = 100, warmupMillis = 200 } = opts;
  const iterations = calibrate(fn, batchMillis, warmupMillis);
  const xs: number[] = [];
  for (let s = 0; s < samples; s++) xs.push(batchNanos(fn, iterations));
  return median(xs);
}

export interface Paired {
  /** Median ns per call. */
  candidateNanos: number;
  baselineNanos: number;
  /** Median of the per-sample ratios candidate/baseline (robust to drift). */
  ratio: number;
}

/** Candidate and baseline measured in alternating batches. */
export function measurePaired(candidate: () => unknown, baseline: () => unknown, opts: MeasureOptions = {}): Paired {
  const { samples = 15, batchMillis = 100, warmupMillis = 200 } = opts;
  const nc = calibrate(candidate, batchMillis, warmupMillis);
  const nb = calibrate(baseline, batchMillis, warmupMillis);
  const cs: number[] = [];
  const bs: number[] = [];
  const rs: number[] = [];
  for (let s = 0; s < samples; s++) {
    const b = batchNanos(baseline, nb);
    const c = batchNanos(candidate, nc);
    bs.push(b);
    cs.push(c);
    rs.push(c / b);
  }
  void sink;
  return { candidateNanos: median(cs), baselineNanos: median(bs), ratio: median(rs) };
}
