/**
 * The merge of a sliding window of reports (one probe's reports in the app's window: new ones
 * join at the end, the oldest leave), kept up to date without re-merging the whole window on
 * every change. Same data as `mergeReportsShared(window)`, key order included: that fold is
 * associative (newest timestamp wins with ties to the earlier report, unions, min of times, sums,
 * first-appearance key order), so the window may be folded in pieces and the pieces folded.
 *
 * The classic two-stack queue: the older reports are covered by suffix merges
 * (`front[i]` = merge of reports i… up to the front's end), the newer by one accumulator merged
 * into in place (`back`). A new report costs one merge into `back`; dropping the oldest drops
 * `front[0]`; when the front runs out, the remaining reports are re-folded as suffixes (one merge
 * each, once per window length). The result is then `front[0]` merged with `back`: about three
 * report merges per report instead of a fold of the whole window (five reports in Scope's 15-s
 * window of a 3-s probe). Every piece is a lean merge (`mergeReportsLean`: no Maps for topologies
 * the probe does not fill), and so is the result: read it, or merge it with `mergeReportIntoShared`.
 */
import { mergeReportIntoShared, mergeReportsLean } from './merge-shared.js';
import type { Report } from './types.js';

export class SlidingMerge {
  /** The window, oldest first. */
  private readonly reports: Report[] = [];
  /** `front[i]` = merge of `reports[i .. front.length)`; read-only (shared with results). */
  private front: Report[] = [];
  /** Merge of the `backCount` reports after the front; owned here, merged into in place. */
  private back: Report | undefined;
  private backCount = 0;
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
    this.merged = undefined;
  }

  /** Drops the oldest report. */
  shift(): void {
    if (this.reports.length === 0) return;
    this.reports.shift();
    if (this.front.length > 0) this.front.shift();
    else this.clearPieces();
    this.merged = undefined;
  }

  /** Replaces the window (any other change than push/shift: an insert, a removal in the middle). */
  replace(reports: readonly Report[]): void {
    this.reports.length = 0;
    this.reports.push(...reports);
    this.clearPieces();
    this.merged = undefined;
  }

  /**
   * The merge of the window (a fresh empty report when it is empty). Read-only, and valid until
   * the next change: it may be the accumulator that the next push merges into.
   * Throws if a report cannot be merged; the window is kept and the next call starts afresh.
   */
  result(): Report {
    if (this.merged !== undefined) return this.merged;
    try {
      this.merged = this.fold();
    } catch (err) {
      this.clearPieces();
      throw err;
    }
    return this.merged;
  }

  private clearPieces(): void {
    this.front = [];
    this.back = undefined;
    this.backCount = 0;
  }

  private fold(): Report {
    const n = this.reports.length;
    if (this.front.length === 0 && this.backCount === 0 && n > 0) {
      // Refold as suffixes: each later shift then just drops one.
      const front = new Array<Report>(n);
      front[n - 1] = mergeReportsLean([this.reports[n - 1]!]);
      for (let i = n - 2; i >= 0; i--) front[i] = mergeReportsLean([this.reports[i]!, front[i + 1]!]);
      this.front = front;
    }
    for (let i = this.front.length + this.backCount; i < n; i++) {
      this.back ??= mergeReportsLean([]);
      mergeReportIntoShared(this.back, this.reports[i]!);
      this.backCount++;
    }
    const first = this.front[0];
    if (first === undefined) return this.back ?? mergeReportsLean([]);
    return this.back === undefined ? first : mergeReportsLean([first, this.back]);
  }
}
