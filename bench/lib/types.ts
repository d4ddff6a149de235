/**
 * One figure of a benchmark (see bench/run.ts for the contract). Figures are compared against a
 * baseline measured in the same run, because the machine is shared and noisy: absolute numbers
 * drift, ratios much less.
 */
export interface BenchResult {
  /** What was measured, e.g. `decode JSON api-report (322 KB)`. */
  name: string;
  /** The measured figure (usually a median), in `unit`. */
  value: number;
  /** `µs/op`, `ms/op`, `MB/s`, … */
  unit: string;
  /** Same-run reference, same unit: e.g. `JSON.parse` of the same bytes. */
  baseline?: { name: string; value: number };
  /** value / baseline.value (computed by run.ts when omitted and a baseline is given). */
  ratio?: number;
  /** The goal, in words, e.g. `≤ 1.5× JSON.parse`. */
  target?: string;
  note?: string;
}

/** What every `bench/*.bench.ts` module exports. */
export type BenchModule = { run(): Promise<BenchResult[]> };
