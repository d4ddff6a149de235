/**
 * The merge of a sliding window of reports (one probe's reports in the app's window: new ones
 * join at the end, the oldest leave). Same data, key order included, as
 * `mergeReportsShared(window)`.
 *
 * Folded afresh when the result is asked for after a change, with `mergeReportsLean`: its
 * nodes and metrics are made once per fold and later steps of the fold merge into them in place
 * (samples appended, not copied), so folding a window of five reports costs about what two
 * pairwise report merges did, and nothing but the result is kept. A two-stack sliding fold (suffix
 * merges of the older reports plus an accumulator) did ~2.2 pairwise merges per arrival but kept
 * six merged reports per probe alive between arrivals: 372 KiB per probe in-process, against 95.
 *
 * Each report's sample spans are taken once, when it joins (its objects are then fresh in the
 * cache), so that the folds of the five windows it is part of know whether its samples follow
 * the older reports' without reading every metric's first and last dates again.
 */
import { mergeReportsLean, reportSampleSpans, type SampleSpans } from './merge-shared.js';
import type { Report } from './types.js';

export class SlidingMerge {
  /** The window, oldest first. */
  private readonly reports: Report[] = [];
  /** `reportSampleSpans` of each report of `reports`. */
  private readonly spans: SampleSpans[] = [];
  /** The merge of the window, until the next change. */
  private merged: Report | undefined;

  /** Reports in the window. */
  get length(): number {
    return this.reports.length;
  }

  /** The window's reports, oldest first (read-only view). */
  get window(): readonly Report[] {
    return this.reports;
  }

  /** Adds `report` as the newest. */
  push(report: Report): void {
    this.reports.push(report);
    this.spans.push(reportSampleSpans(report));
    this.merged = undefined;
  }

  /** Drops the oldest report. */
  shift(): void {
    if (this.reports.length === 0) return;
    this.reports.shift();
    this.spans.shift();
    this.merged = undefined;
  }

  /** Replaces the window (any other change than push/shift: an insert, a removal in the middle). */
  replace(reports: readonly Report[]): void {
    this.reports.length = 0;
    this.reports.push(...reports);
    this.spans.length = 0;
    for (const report of reports) this.spans.push(reportSampleSpans(report));
    this.merged = undefined;
  }

  /**
   * The merge of the window (a fresh empty report when it is empty). Read-only, and valid until
   * the next change. Throws if a report cannot be merged; the next call tries again.
   */
  result(): Report {
    this.merged ??= mergeReportsLean(this.reports, this.spans);
    return this.merged;
  }
}
