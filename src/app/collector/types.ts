/**
 * Where the app keeps reports between arrival and rendering (app §1.14). One interface for every
 * collector: today the in-memory window (`local`/`memory`); file replay, Redis and time travel
 * (issue #8) plug in behind it without the routes changing.
 */
import type { Report } from '../../report/types.js';

/** What happened when a collector's content changed. */
export interface CollectorChange {
  /** The change is a shortcut report (wire §4.5): watchers should re-render at once. */
  readonly shortcut: boolean;
}

/** Called on every change; must not throw (errors are the listener's own business). */
export type CollectorListener = (change: CollectorChange) => void;

/** Receives timings of the collector's own work, for `/metrics`. */
export interface CollectorObserver {
  /** Seconds spent merging (and upgrading) stored reports into one. */
  observeMergeSeconds(seconds: number): void;
  /** A stored report broke the merge and was dropped, so one bad probe cannot stop the app serving. */
  reportDropped?(probeId: string, err: unknown): void;
}

export interface Collector {
  /**
   * Whether {@link Collector.report} can serve times older than now − window; the UI shows its
   * time-travel timeline only then (`capabilities.historic_reports` of `GET /api`).
   */
  readonly historic: boolean;

  /**
   * Stores one decoded report from probe `probeId` that arrived at `arrivalMillis` (ms since the
   * epoch). The collector owns `report` from now on; the caller must not touch it again.
   */
  add(probeId: string, report: Report, arrivalMillis: number): Promise<void>;

  /**
   * The merged, upgraded (wire §2.10) report of the window ending at `atMillis` (default: now),
   * with part-merged nodes removed. Collectors that are not historic ignore `atMillis`.
   *
   * The result is shared: callers must not mutate it. While nothing changed the same object is
   * returned again, so callers may cache work keyed by the object's identity.
   */
  report(atMillis?: number): Promise<Report>;

  /** Whether any report arrived within [now − window, now] (`GET /api/probes?sparse`). */
  hasRecentReports(): Promise<boolean>;

  /**
   * One line per stored report, oldest first, for operators (`GET /admin/summary`, app §1.13):
   * arrival time, probe, and node counts per topology. Optional: collectors without it serve an
   * empty page.
   */
  summary?(): Promise<string[]>;

  /** Calls `listener` on every change until the returned function is called. */
  subscribe(listener: CollectorListener): () => void;

  /**
   * Resolves once the collector can serve (history scanned, connections made); rejects with a
   * message for the operator if it never can (e.g. an unusable directory). Optional: collectors
   * without start-up work omit it.
   */
  ready?(): Promise<void>;

  /** Releases timers and connections; later calls to other methods may reject. */
  close(): Promise<void>;
}
