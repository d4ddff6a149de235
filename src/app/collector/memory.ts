/**
 * The in-memory collector (Scope's `local`, app §1.14): keeps every report that arrived within the
 * last window and serves their merge.
 *
 * Incremental: reports are grouped per probe, and each probe's part (the merge of its reports in
 * the window: a full report and its deltas, wire §2.9) is kept up to date as its reports arrive
 * and leave ({@link SlidingMerge}: a lean fold of the probe's few reports that appends in place,
 * once per arrival). The window's merge then folds the parts copy-on-write (nodes only one probe
 * reports are shared, not copied), so a publish re-merges one probe, not the window.
 *
 * Bounded staleness: when merging has become expensive (many probes), a merge is reused for a
 * while after reports arrive — at most {@link MAX_STALE_MILLIS}, and at most
 * {@link STALE_PER_MERGE_MILLIS} per ms the last merge took — so merging never takes more than
 * about 1/{@link STALE_PER_MERGE_MILLIS} of a core however fast reports come; a shortcut report
 * (wire §4.5) is always served at once. Small windows (cheap merges) are always fresh.
 */
import { removePartMergedNodes } from '../../report/delta.js';
import { mergeReportsShared } from '../../report/merge-shared.js';
import { SlidingMerge } from '../../report/sliding-merge.js';
import { upgradeReport } from '../../report/upgrade.js';
import { TOPOLOGIES, type Report } from '../../report/types.js';
import type { Collector, CollectorListener, CollectorObserver } from './types.js';

/** Options of {@link MemoryCollector}. */
export interface MemoryCollectorOptions {
  /** Reports count for this long after arrival, in milliseconds (Scope's `app.window`, default 15000). */
  windowMillis: number;
  /** Clock in milliseconds since the epoch; tests pass their own. Default `Date.now`. */
  now?: () => number;
  observer?: CollectorObserver;
}

/** A merge cheaper than this (ms of CPU time) is redone whenever something changed: no staleness at all. */
export const STALE_MIN_MERGE_MILLIS = 20;
/** Longest a merge is reused after a change (ms): well under one publish interval (3 s). */
export const MAX_STALE_MILLIS = 1000;
/** Reuse time allowed per ms of the last merge, so merging stays under ~10 % of a core. */
export const STALE_PER_MERGE_MILLIS = 10;
/**
 * After a report arrives, its probe's part is merged at once unless the probe's oldest report
 * leaves the window within this many ms: then it waits for that expiry (or the next request).
 * A probe's report arrives about when its report of one window ago leaves, so merging at the
 * arrival and again at the expiry a few ms later did every part twice (N=100 in-process: 1,899
 * part merges for 1,200 arrivals); waiting for the expiry does it once.
 */
export const EXPIRY_WAIT_MILLIS = 1000;

interface Entry {
  readonly probeId: string;
  readonly report: Report;
  readonly arrivalMillis: number;
}

/** One probe's reports in the window (ascending by arrival) and their merge. */
interface ProbeReports {
  readonly probeId: string;
  readonly entries: Entry[];
  /** The merge of `entries`' reports, in the same order. */
  readonly merge: SlidingMerge;
  part: Report | undefined;
  /** Whether `part` holds a node no report of the window gave a topology (see {@link hasPartMergedNodes}). */
  partMerged: boolean;
}

/**
 * Whether `report` holds a node whose `topology` is empty: a delta's partial node (wire §2.9) whose
 * full report has left the window. A window merge's node has an empty topology only when every
 * part holding its key gave it none, so when no part has such a node the merge has none either,
 * and the pass of `removePartMergedNodes` over its every node (~80k at 500 probes) can be skipped.
 */
function hasPartMergedNodes(report: Report): boolean {
  for (const { name } of TOPOLOGIES) {
    for (const node of report.topologies[name].nodes.values()) if (node.topology === '') return true;
  }
  return false;
}

/**
 * CPU time of this process in ms: costs decide staleness, and wall time would make a loaded
 * machine (or a busy test run) look like a large deployment.
 */
function cpuMillis(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Inserts `entry` into `list` (ascending by arrival; arrivals are mostly appended); returns its index. */
function insertByArrival(list: Entry[], entry: Entry): number {
  let i = list.length;
  while (i > 0 && list[i - 1]!.arrivalMillis > entry.arrivalMillis) i--;
  if (i === list.length) list.push(entry);
  else list.splice(i, 0, entry);
  return i;
}

const reportsOf = (entries: readonly Entry[]): Report[] => entries.map((e) => e.report);

export class MemoryCollector implements Collector {
  readonly historic = false;
  private readonly windowMillis: number;
  private readonly now: () => number;
  private readonly observer: CollectorObserver | undefined;
  /** Ascending by arrival time (arrivals are appended; out-of-order ones inserted). */
  private entries: Entry[] = [];
  private readonly probes = new Map<string, ProbeReports>();
  /** Probes whose part must be merged again. */
  private readonly unmerged = new Set<ProbeReports>();
  private cached: Report | undefined;
  /** Whether something changed since `cached` was merged. */
  private dirty = true;
  /** A shortcut report arrived since `cached` was merged: no staleness allowed. */
  private urgent = false;
  /** When `cached` was merged (collector clock, ms). */
  private cachedAtMillis = 0;
  /** The cost of the last two merges (ms): both must be slow to allow staleness (a cold JIT is not load). */
  private lastMergeMillis = 0;
  private previousMergeMillis = 0;
  private readonly listeners = new Set<CollectorListener>();
  private closed = false;

  constructor(opts: MemoryCollectorOptions) {
    this.windowMillis = opts.windowMillis;
    this.now = opts.now ?? Date.now;
    this.observer = opts.observer;
  }

  async add(probeId: string, report: Report, arrivalMillis: number): Promise<void> {
    if (this.closed) throw new Error('collector is closed');
    const entry = { probeId, report, arrivalMillis };
    insertByArrival(this.entries, entry);
    let probe = this.probes.get(probeId);
    if (probe === undefined) {
      probe = { probeId, entries: [], merge: new SlidingMerge(), part: undefined, partMerged: false };
      this.probes.set(probeId, probe);
    }
    if (insertByArrival(probe.entries, entry) === probe.entries.length - 1) probe.merge.push(report);
    else probe.merge.replace(reportsOf(probe.entries));
    probe.part = undefined;
    this.unmerged.add(probe);
    this.dirty = true;
    if (report.shortcut) this.urgent = true;
    const nowMillis = this.now();
    this.expire(nowMillis);
    // Re-merge the parts this arrival (and any expiry) touched now, in small steps between
    // requests, rather than all at once in the next request — but not those about to change again.
    this.refreshParts(nowMillis + EXPIRY_WAIT_MILLIS - this.windowMillis);
    const change = { shortcut: report.shortcut };
    for (const listener of this.listeners) listener(change);
  }

  async report(_atMillis?: number): Promise<Report> {
    this.expire(this.now());
    if (this.cached === undefined || (this.dirty && !this.mayServeStale())) this.cached = this.merge();
    return this.cached;
  }

  async hasRecentReports(): Promise<boolean> {
    this.expire(this.now());
    return this.entries.length > 0;
  }

  async summary(): Promise<string[]> {
    this.expire(this.now());
    return this.entries.map(({ probeId, report, arrivalMillis }) => {
      const counts = TOPOLOGIES.filter(({ name }) => report.topologies[name].nodes.size > 0)
        .map(({ wire, name }) => `${wire}: ${report.topologies[name].nodes.size}`)
        .join(', ');
      const kind = report.shortcut ? 'shortcut report' : 'report';
      return `${stampOf(arrivalMillis)}: ${kind} from probe ${probeId || '(unknown)'}: ${counts || 'no nodes'}`;
    });
  }

  subscribe(listener: CollectorListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.entries = [];
    this.probes.clear();
    this.cached = undefined;
    this.listeners.clear();
  }

  /** Whether the cached merge may be served although something changed (see module comment). */
  private mayServeStale(): boolean {
    const costMillis = Math.min(this.lastMergeMillis, this.previousMergeMillis);
    if (this.urgent || costMillis < STALE_MIN_MERGE_MILLIS) return false;
    const ageMillis = this.now() - this.cachedAtMillis;
    return ageMillis >= 0 && ageMillis < Math.min(MAX_STALE_MILLIS, costMillis * STALE_PER_MERGE_MILLIS);
  }

  /** Drops reports that arrived before `nowMillis − window`; their probes' parts are redone. */
  private expire(nowMillis: number): void {
    const cutoff = nowMillis - this.windowMillis;
    let n = 0;
    while (n < this.entries.length && this.entries[n]!.arrivalMillis < cutoff) n++;
    if (n === 0) return;
    for (let i = 0; i < n; i++) this.forget(this.entries[i]!);
    this.entries.splice(0, n);
    this.dirty = true;
  }

  /** Removes `entry` from its probe's list (not from `entries`). */
  private forget(entry: Entry): void {
    const probe = this.probes.get(entry.probeId);
    if (probe === undefined) return;
    const i = probe.entries.indexOf(entry);
    if (i < 0) return;
    probe.entries.splice(i, 1);
    // Expiry takes a probe's oldest report; anything else re-folds its window.
    if (i === 0) probe.merge.shift();
    else probe.merge.replace(reportsOf(probe.entries));
    probe.part = undefined;
    this.unmerged.add(probe);
  }

  private merge(): Report {
    // CPU time is costly to read here (getrusage over every thread; see RenderCache's cpuMillis)
    // and only matters once merges near STALE_MIN_MERGE_MILLIS: cheaper ones are timed by the wall
    // clock, an upper bound of their CPU time; staleness needs two slow merges, the later CPU-timed.
    const timeCpu = this.lastMergeMillis >= STALE_MIN_MERGE_MILLIS / 4;
    const startedWall = performance.now();
    const started = timeCpu ? cpuMillis() : 0;
    this.refreshParts();
    const parts: Report[] = [];
    let partMerged = false;
    for (const probe of this.probes.values()) {
      if (probe.part === undefined) continue;
      parts.push(probe.part);
      partMerged ||= probe.partMerged;
    }
    // Parts are our own merges of typed reports, so this fold cannot meet malformed input.
    const upgraded = upgradeReport(mergeReportsShared(parts));
    // upgradeReport adds only nodes with a topology (namespaces), so the parts tell.
    if (partMerged) removePartMergedNodes(upgraded);
    this.dirty = false;
    this.urgent = false;
    this.cachedAtMillis = this.now();
    this.previousMergeMillis = this.lastMergeMillis;
    this.lastMergeMillis = timeCpu ? cpuMillis() - started : performance.now() - startedWall;
    this.observer?.observeMergeSeconds(this.lastMergeMillis / 1000);
    return upgraded;
  }

  /**
   * Merges the parts of the probes that changed; forgets probes left without reports. With
   * `waitBefore`, a probe whose oldest report arrived before it (so expires soon) is left for later.
   */
  private refreshParts(waitBefore = -Infinity): void {
    for (const probe of this.unmerged) {
      if (probe.entries.length > 0) {
        if (probe.entries[0]!.arrivalMillis < waitBefore) continue;
        probe.part = this.mergeProbe(probe);
        probe.partMerged = hasPartMergedNodes(probe.part);
      }
      // Gone from the window (or every report of it dropped); a later report makes a new entry.
      if (probe.entries.length === 0 && this.probes.get(probe.probeId) === probe) this.probes.delete(probe.probeId);
      this.unmerged.delete(probe);
    }
  }

  /** One probe's reports merged (stored reports stay untouched: the merge shares, never writes). */
  private mergeProbe(probe: ProbeReports): Report {
    try {
      return probe.merge.result();
    } catch {
      // Decoded reports are typed, so this "cannot happen"; if it does, the culprits go (each is
      // tried alone) so one bad report cannot stop the app serving.
      for (const entry of [...probe.entries]) {
        try {
          mergeReportsShared([entry.report]);
        } catch (err) {
          probe.entries.splice(probe.entries.indexOf(entry), 1);
          this.entries.splice(this.entries.indexOf(entry), 1);
          this.observer?.reportDropped?.(entry.probeId, err);
        }
      }
      probe.merge.replace(reportsOf(probe.entries));
      return probe.merge.result();
    }
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's `Jan _2 15:04:05.000` in UTC, as Scope's summary lines start. */
function stampOf(millis: number): string {
  const d = new Date(millis);
  const day = String(d.getUTCDate()).padStart(2, ' ');
  return `${MONTHS[d.getUTCMonth()]} ${day} ${d.toISOString().slice(11, 23)}`;
}
