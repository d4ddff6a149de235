/**
 * Where the history changes, for the UI's timeline (`GET /api/history`): every stored report gets a
 * cheap fingerprint of its node sets (every topology but endpoints and processes, which churn on
 * every publish), and a report whose fingerprint differs from its probe's previous one is a change.
 * Kept in memory (a few dozen bytes per change), so it covers the reports this app saw since it
 * started (the last window after a restart), not the whole stored history.
 */
import { TOPOLOGIES, type Report } from '../../report/types.js';
import type { HistoryChange, HistorySummary } from './types.js';

/** Topologies whose node sets mark a change (not endpoints/processes: they change every publish). */
const MARKED = TOPOLOGIES.map((t) => t.name).filter((n) => n !== 'endpoint' && n !== 'process');

/** A probe silent for longer than this, in ms, "appears" again with its next report. */
const GAP_MILLIS = 60_000;

/** FNV-1a, 32 bits. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Order-independent fingerprint of a report's marked node sets (count and sum of id hashes). */
export function nodeSetFingerprint(report: Report): string {
  const parts: string[] = [];
  for (const name of MARKED) {
    const nodes = report.topologies[name].nodes;
    if (nodes.size === 0) continue;
    let sum = 0;
    for (const id of nodes.keys()) sum = (sum + hash32(id)) >>> 0;
    parts.push(`${name}:${nodes.size}:${sum.toString(36)}`);
  }
  return parts.join(',');
}

interface ProbeState {
  fingerprint: string;
  firstMillis: number;
  lastMillis: number;
  reports: number;
}

/** Options of {@link ChangeIndex}. */
export interface ChangeIndexOptions {
  /** Most changes kept; the oldest are dropped first. Default 100000. */
  maxChanges?: number;
}

export class ChangeIndex {
  private readonly probes = new Map<string, ProbeState>();
  /** Ascending by time (reports are noted in arrival order, out-of-order ones inserted). */
  private changes: HistoryChange[] = [];
  private readonly maxChanges: number;

  constructor(opts: ChangeIndexOptions = {}) {
    this.maxChanges = opts.maxChanges ?? 100_000;
  }

  /** Notes one stored report. */
  note(probeId: string, report: Report, arrivalMillis: number): void {
    const fingerprint = nodeSetFingerprint(report);
    const st = this.probes.get(probeId);
    if (st && arrivalMillis < st.lastMillis) {
      // Late (a backlog replayed): counted, but it does not move the probe's state back.
      st.reports++;
      return;
    }
    let kind: HistoryChange['kind'] | undefined;
    if (!st || arrivalMillis - st.lastMillis > GAP_MILLIS) kind = 'appeared';
    else if (st.fingerprint !== fingerprint) kind = 'nodes';
    if (st) {
      st.fingerprint = fingerprint;
      st.lastMillis = arrivalMillis;
      st.reports++;
    } else {
      this.probes.set(probeId, { fingerprint, firstMillis: arrivalMillis, lastMillis: arrivalMillis, reports: 1 });
    }
    if (kind) this.push({ atMillis: arrivalMillis, probeId, kind });
  }

  private push(change: HistoryChange): void {
    let i = this.changes.length;
    while (i > 0 && this.changes[i - 1]!.atMillis > change.atMillis) i--;
    this.changes.splice(i, 0, change);
    if (this.changes.length > this.maxChanges) this.changes.splice(0, this.changes.length - this.maxChanges);
  }

  /** Forgets changes before `cutoffMillis` (retention) and probes last seen before it. */
  prune(cutoffMillis: number): void {
    let n = 0;
    while (n < this.changes.length && this.changes[n]!.atMillis < cutoffMillis) n++;
    if (n > 0) this.changes.splice(0, n);
    for (const [id, st] of this.probes) if (st.lastMillis < cutoffMillis) this.probes.delete(id);
  }

  /** Changes within [fromMillis, toMillis], at most `limit` (those nearest `toMillis` are kept). */
  summary(fromMillis: number, toMillis: number, oldestMillis: number | null, limit = 10_000): HistorySummary {
    const inRange = this.changes.filter((c) => c.atMillis >= fromMillis && c.atMillis <= toMillis);
    const truncated = inRange.length > limit;
    return {
      oldestMillis,
      probes: [...this.probes].map(([id, st]) => ({ id, firstMillis: st.firstMillis, lastMillis: st.lastMillis, reports: st.reports })),
      changes: truncated ? inRange.slice(inRange.length - limit) : inRange,
      truncated,
    };
  }
}
