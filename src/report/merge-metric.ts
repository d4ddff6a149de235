/**
 * Metric merging (wire §2.7). Metrics are immutable values here: `mergeMetric` never mutates its
 * inputs and returns one of them unchanged when the other has no samples, so metric objects end up
 * shared between reports. Build a new Metric instead of pushing samples into an existing one.
 */
import type { Metric, Sample, Time } from './types.js';

/**
 * Most samples a merged metric keeps (the newest ones). Scope has no cap; samples are bounded only
 * because the app merges the reports of its window (15 s default) and the probe its spy ticks
 * (1 s interval). 32 covers a 15 s window at 1 s with room for clock jitter and a doubled window, yet
 * bounds the work of a long-lived accumulator. With default settings the cap never drops a sample.
 */
export const MAX_METRIC_SAMPLES = 32;

/** One sample, min = max = value (`MakeSingletonMetric`); `max` overrides the max (a capacity). */
export function makeSingletonMetric(date: Time, value: number, max?: number): Metric {
  return { samples: [{ date, value }], min: value, max: max ?? value };
}

/** A metric from time-ordered samples, min and max computed over them (`MakeMetric`). */
export function makeMetric(samples: Sample[]): Metric {
  let min = 0;
  let max = 0;
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i]!.value;
    if (i === 0 || v < min) min = v;
    if (i === 0 || v > max) max = v;
  }
  return { samples, min, max };
}

function capped(samples: Sample[]): Sample[] {
  return samples.length > MAX_METRIC_SAMPLES ? samples.slice(samples.length - MAX_METRIC_SAMPLES) : samples;
}

/**
 * Merges two metrics: when one side has no samples the other is returned as is (its min/max
 * included, wire §6.1 #10); otherwise the samples are merge-joined by date, equal dates keeping
 * `a`'s sample; min of mins, max of maxes; at most `MAX_METRIC_SAMPLES` newest samples are kept.
 */
export function mergeMetric(a: Metric, b: Metric): Metric {
  if (b.samples.length === 0 || a === b) return a;
  if (a.samples.length === 0) return b;
  const as = a.samples;
  const bs = b.samples;
  const min = Math.min(a.min, b.min);
  const max = Math.max(a.max, b.max);
  let samples: Sample[];
  if (as[as.length - 1]!.date < bs[0]!.date) {
    samples = as.concat(bs);
  } else if (bs[bs.length - 1]!.date < as[0]!.date) {
    samples = bs.concat(as);
  } else {
    samples = [];
    let i = 0;
    let j = 0;
    while (i < as.length && j < bs.length) {
      const x = as[i]!;
      const y = bs[j]!;
      if (x.date < y.date) {
        samples.push(x);
        i++;
      } else if (y.date < x.date) {
        samples.push(y);
        j++;
      } else {
        samples.push(x);
        i++;
        j++;
      }
    }
    while (i < as.length) samples.push(as[i++]!);
    while (j < bs.length) samples.push(bs[j++]!);
    // All of b's samples were duplicates of a's: a is the answer when its bounds hold too.
    if (samples.length === as.length && min === a.min && max === a.max) return a;
  }
  return { samples: capped(samples), min, max };
}

/** The newest sample of a metric, if any. */
export function lastSample(metric: Metric): Sample | undefined {
  return metric.samples[metric.samples.length - 1];
}

/** Whether two metrics are equal (dates, values, min and max). */
export function metricsEqual(a: Metric, b: Metric): boolean {
  if (a === b) return true;
  if (a.min !== b.min || a.max !== b.max || a.samples.length !== b.samples.length) return false;
  for (let i = 0; i < a.samples.length; i++) {
    const x = a.samples[i]!;
    const y = b.samples[i]!;
    if (x.date !== y.date || x.value !== y.value) return false;
  }
  return true;
}
