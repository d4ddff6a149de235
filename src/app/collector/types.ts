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

/** A report's HTTP body as the probe sent it (wire §4.1), already decoded once successfully. */
export interface ReceivedBody {
  /** The body bytes, possibly gzip- or deflate-compressed. */
  readonly bytes: Uint8Array;
  /** Its format, from `Content-Type`. */
  readonly format: 'msgpack' | 'json';
  /** The `Content-Encoding` header ('' if none). */
  readonly contentEncoding: string;
}

/** One moment the set of nodes a probe reports changed (`GET /api/history`). */
export interface HistoryChange {
  /** Arrival time of the first report with the new node set, ms since the epoch. */
  readonly atMillis: number;
  readonly probeId: string;
  /** `appeared`: first report of the probe (or first after a gap); `nodes`: its node set changed. */
  readonly kind: 'appeared' | 'nodes';
}

/** What a historic collector can tell about its history (`GET /api/history`). */
export interface HistorySummary {
  /** Arrival of the oldest stored report, ms since the epoch; null if none. */
  readonly oldestMillis: number | null;
  /** Per probe seen since the app started: first and last arrival and how many reports. */
  readonly probes: readonly { id: string; firstMillis: number; lastMillis: number; reports: number }[];
  /** Changes within the asked range, ascending. */
  readonly changes: readonly HistoryChange[];
  /** True if changes were left out (the range held more than the limit). */
  readonly truncated: boolean;
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
   * `received`, when given, is the body `report` was decoded from: collectors that store reports
   * keep those bytes instead of encoding `report` again (the memory collector ignores it).
   */
  add(probeId: string, report: Report, arrivalMillis: number, received?: ReceivedBody): Promise<void>;

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

  /**
   * Where changes are in [fromMillis, toMillis] (node sets of probes appearing or changing), for
   * the UI's timeline. Optional: only historic collectors have it.
   */
  history?(fromMillis: number, toMillis: number): Promise<HistorySummary>;

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
