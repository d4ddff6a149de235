/** `GET /api/history` (ours, file and Redis collectors): where the stored history changes. Checked here, once. */
import { ApiShapeError } from './validate.js';

/** One moment a probe's node set changed (or the probe appeared). */
export interface HistoryChange {
  atMillis: number;
  probeId: string;
  kind: 'appeared' | 'nodes';
}

/** What the timeline knows about the stored history. */
export interface TimelineHistory {
  /** The app's clock when it answered, ms since the epoch. */
  nowMillis: number;
  /** Arrival of the oldest stored report; null when nothing is stored yet. */
  oldestMillis: number | null;
  /** Ascending. */
  changes: HistoryChange[];
}

function millis(v: unknown): number | null {
  if (typeof v !== 'string') return null;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? ms : null;
}

export function parseHistory(v: unknown): TimelineHistory {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ApiShapeError('/api/history is not an object');
  const o = v as Record<string, unknown>;
  const nowMillis = millis(o['now']);
  if (nowMillis === null) throw new ApiShapeError('/api/history has no "now"');
  const changes: HistoryChange[] = [];
  for (const c of Array.isArray(o['changes']) ? o['changes'] : []) {
    if (typeof c !== 'object' || c === null) continue;
    const r = c as Record<string, unknown>;
    const atMillis = millis(r['at']);
    if (atMillis === null) continue;
    changes.push({ atMillis, probeId: typeof r['probeId'] === 'string' ? r['probeId'] : '', kind: r['kind'] === 'appeared' ? 'appeared' : 'nodes' });
  }
  changes.sort((a, b) => a.atMillis - b.atMillis);
  return { nowMillis, oldestMillis: millis(o['oldest']), changes };
}
