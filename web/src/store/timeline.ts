/**
 * Time travel (issue #8): the timeline's state logic, pure except for the store helpers at the end.
 * The chosen moment lives in the URL (`pausedAt`, Scope's key, RFC 3339 with milliseconds); while
 * it is set every request carries `timestamp=`. "Playing" replays history forward from that moment
 * at wall-clock speed over a websocket opened with `timestamp=` (app §1.6); it is not in the URL.
 */
import type { HistoryChange, TimelineHistory } from '../api/history.js';
import type { AppState } from './app-state.js';
import type { Store } from './store.js';

/** Replay from `fromMillis`, started at `startedAtMillis` (wall clock). */
export interface Playback {
  fromMillis: number;
  startedAtMillis: number;
}

/** The span the timeline covers, ms since the epoch. */
export interface TimeRange {
  startMillis: number;
  endMillis: number;
}

/** A moment this close to now is "live" (the app serves it from its live window too). */
export const LIVE_SLACK_MILLIS = 2000;
/** One step of the −/+ buttons and arrow keys: a probe's publish interval (Scope's default). */
export const STEP_MILLIS = 3000;
/** Span shown before the app has said how old its history is, and the least span shown. */
export const DEFAULT_SPAN_MILLIS = 3_600_000;
const MIN_SPAN_MILLIS = 60_000;

/** From the oldest stored report (or an hour back) to now. */
export function timelineRange(history: TimelineHistory | null, nowMillis: number): TimeRange {
  const oldest = history?.oldestMillis ?? nowMillis - DEFAULT_SPAN_MILLIS;
  return { startMillis: Math.min(oldest, nowMillis - MIN_SPAN_MILLIS), endMillis: nowMillis };
}

/** Position along the range, 0…1 (clamped). */
export function toFraction(ms: number, range: TimeRange): number {
  const span = range.endMillis - range.startMillis;
  if (span <= 0) return 1;
  return Math.min(1, Math.max(0, (ms - range.startMillis) / span));
}

/** The moment at position `fraction` (clamped to 0…1), whole milliseconds. */
export function fromFraction(fraction: number, range: TimeRange): number {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 1));
  return Math.round(range.startMillis + f * (range.endMillis - range.startMillis));
}

/** `pausedAt` → ms, or null when live or unparseable. */
export function pausedMillis(pausedAt: string | null): number | null {
  if (!pausedAt) return null;
  const ms = Date.parse(pausedAt);
  return Number.isFinite(ms) ? ms : null;
}

/** The moment shown: null when live; while playing, the start plus the time since. */
export function currentMillis(pausedAt: string | null, playback: Playback | null, nowMillis: number): number | null {
  if (!pausedAt) return null;
  if (playback) return playback.fromMillis + Math.max(0, nowMillis - playback.startedAtMillis);
  return pausedMillis(pausedAt);
}

/** A requested moment → the `pausedAt` to set: null (live) at or near now, else clamped to the range start. */
export function pausedAtFor(ms: number, range: TimeRange, nowMillis: number): string | null {
  if (!Number.isFinite(ms) || ms >= nowMillis - LIVE_SLACK_MILLIS) return null;
  return new Date(Math.max(Math.round(ms), range.startMillis)).toISOString();
}

/** The latest change strictly before `atMillis` (null: none). */
export function previousChange(changes: readonly HistoryChange[], atMillis: number): number | null {
  let best: number | null = null;
  for (const c of changes) {
    if (c.atMillis < atMillis) best = c.atMillis;
    else break;
  }
  return best;
}

/** The earliest change strictly after `atMillis` (null: none). */
export function nextChange(changes: readonly HistoryChange[], atMillis: number): number | null {
  for (const c of changes) if (c.atMillis > atMillis) return c.atMillis;
  return null;
}

/** Changes at distinct moments (several probes changing in the same report round show once). */
export function changeMoments(changes: readonly HistoryChange[], range: TimeRange): number[] {
  const out: number[] = [];
  for (const c of changes) {
    if (c.atMillis < range.startMillis || c.atMillis > range.endMillis) continue;
    if (out.length === 0 || c.atMillis - out[out.length - 1]! >= 1000) out.push(c.atMillis);
  }
  return out;
}

/** `2026-11-25 18:21:07 UTC` (seconds; UTC so a shared link reads the same everywhere). */
export function formatMoment(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Short relative form for the label: `5m 3s ago`. */
export function formatAgo(ms: number, nowMillis: number): string {
  let s = Math.max(0, Math.round((nowMillis - ms) / 1000));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h > 0 ? `${h}h ` : ''}${h > 0 || m > 0 ? `${m}m ` : ''}${s}s ago`;
}

// Store helpers: the only writers of `pausedAt` and `playback` besides the header's Live/Pause.

/** Shows moment `ms` (null or near now: live); stops any replay. */
export function travelTo(store: Store<AppState>, ms: number | null, nowMillis = Date.now()): void {
  const s = store.get();
  const pausedAt = ms === null ? null : pausedAtFor(ms, timelineRange(s.history, nowMillis), nowMillis);
  if (pausedAt === s.url.pausedAt && s.playback === null) return;
  store.set({ url: { ...s.url, pausedAt }, playback: null });
}

/** Moves the shown moment by `deltaMillis` (from now when live). */
export function step(store: Store<AppState>, deltaMillis: number, nowMillis = Date.now()): void {
  const s = store.get();
  const from = currentMillis(s.url.pausedAt, s.playback, nowMillis) ?? nowMillis;
  travelTo(store, from + deltaMillis, nowMillis);
}

/** Jumps to the previous (-1) or next (+1) change; stays put when there is none. */
export function jumpToChange(store: Store<AppState>, direction: -1 | 1, nowMillis = Date.now()): void {
  const s = store.get();
  const at = currentMillis(s.url.pausedAt, s.playback, nowMillis) ?? nowMillis;
  const changes = s.history?.changes ?? [];
  const target = direction < 0 ? previousChange(changes, at) : nextChange(changes, at);
  if (target !== null) travelTo(store, target, nowMillis);
}

/** Replays forward from the shown moment (a live view has nothing to replay). */
export function play(store: Store<AppState>, nowMillis = Date.now()): void {
  const s = store.get();
  const from = pausedMillis(s.url.pausedAt);
  if (from === null || s.playback) return;
  store.set({ playback: { fromMillis: from, startedAtMillis: nowMillis } });
}

/** Stops a replay where it is: that moment goes into the URL. */
export function stopPlayback(store: Store<AppState>, nowMillis = Date.now()): void {
  const s = store.get();
  if (!s.playback) return;
  travelTo(store, currentMillis(s.url.pausedAt, s.playback, nowMillis), nowMillis);
}
