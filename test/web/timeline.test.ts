// The time-travel timeline's state logic (issue #8): range, positions, stepping, change jumps, replay.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHistory, type TimelineHistory } from '../../web/src/api/history.js';
import { initialState, type AppState } from '../../web/src/store/app-state.js';
import { createStore } from '../../web/src/store/store.js';
import {
  LIVE_SLACK_MILLIS,
  changeMoments,
  currentMillis,
  formatAgo,
  formatMoment,
  fromFraction,
  jumpToChange,
  nextChange,
  pausedAtFor,
  play,
  previousChange,
  step,
  stopPlayback,
  timelineRange,
  toFraction,
  travelTo,
} from '../../web/src/store/timeline.js';
import { decodeUrlState, encodeUrlState } from '../../web/src/ui/url-state.js';

const NOW = Date.parse('2026-11-25T12:00:00.000Z');
const MIN = 60_000;
const iso = (ms: number): string => new Date(ms).toISOString();

function history(oldestMillis: number | null, changes: number[]): TimelineHistory {
  return { nowMillis: NOW, oldestMillis, changes: changes.map((atMillis) => ({ atMillis, probeId: 'p', kind: 'nodes' as const })) };
}

function storeWith(h: TimelineHistory | null, pausedAt: string | null = null) {
  const s: AppState = initialState();
  return createStore<AppState>({ ...s, history: h, url: { ...s.url, pausedAt } });
}

describe('timeline range and positions', () => {
  test('covers the oldest stored report up to now; an hour before the app answered', () => {
    assert.deepEqual(timelineRange(history(NOW - 30 * MIN, []), NOW), { startMillis: NOW - 30 * MIN, endMillis: NOW });
    assert.deepEqual(timelineRange(null, NOW), { startMillis: NOW - 60 * MIN, endMillis: NOW });
    // A history of a few seconds still gets a usable span.
    assert.equal(timelineRange(history(NOW - 5000, []), NOW).startMillis, NOW - MIN);
  });

  test('fractions map both ways and clamp', () => {
    const r = { startMillis: NOW - 100_000, endMillis: NOW };
    assert.equal(toFraction(NOW - 50_000, r), 0.5);
    assert.equal(toFraction(NOW - 500_000, r), 0);
    assert.equal(toFraction(NOW + 1, r), 1);
    assert.equal(fromFraction(0.25, r), NOW - 75_000);
    assert.equal(fromFraction(-3, r), NOW - 100_000);
    assert.equal(fromFraction(Number.NaN, r), NOW);
  });

  test('a moment near now is live; older ones are clamped to the range', () => {
    const r = { startMillis: NOW - 10 * MIN, endMillis: NOW };
    assert.equal(pausedAtFor(NOW - LIVE_SLACK_MILLIS + 1, r, NOW), null);
    assert.equal(pausedAtFor(NOW - 5 * MIN, r, NOW), iso(NOW - 5 * MIN));
    assert.equal(pausedAtFor(NOW - 60 * MIN, r, NOW), iso(NOW - 10 * MIN));
  });
});

describe('changes', () => {
  const changes = history(null, [NOW - 9 * MIN, NOW - 5 * MIN, NOW - 5 * MIN + 200, NOW - MIN]).changes;

  test('previous and next are strict', () => {
    assert.equal(previousChange(changes, NOW - 5 * MIN), NOW - 9 * MIN);
    assert.equal(previousChange(changes, NOW - 9 * MIN), null);
    assert.equal(nextChange(changes, NOW - 5 * MIN), NOW - 5 * MIN + 200);
    assert.equal(nextChange(changes, NOW - MIN), null);
  });

  test('marks: one per second at most, within the range', () => {
    assert.deepEqual(changeMoments(changes, { startMillis: NOW - 6 * MIN, endMillis: NOW }), [NOW - 5 * MIN, NOW - MIN]);
  });

  test('/api/history replies are validated and sorted', () => {
    const h = parseHistory({
      now: iso(NOW),
      oldest: iso(NOW - 10 * MIN),
      changes: [{ at: iso(NOW - MIN), probeId: 'a', kind: 'nodes' }, { at: 'garbage' }, { at: iso(NOW - 2 * MIN), probeId: 'b', kind: 'appeared' }, 7],
    });
    assert.equal(h.oldestMillis, NOW - 10 * MIN);
    assert.deepEqual(h.changes.map((c) => [c.atMillis, c.probeId, c.kind]), [[NOW - 2 * MIN, 'b', 'appeared'], [NOW - MIN, 'a', 'nodes']]);
    assert.throws(() => parseHistory({ changes: [] }), /now/);
    assert.throws(() => parseHistory('x'));
  });
});

describe('store actions', () => {
  test('travel puts the moment in the URL (with milliseconds) and back to live', () => {
    const store = storeWith(history(NOW - 30 * MIN, []));
    travelTo(store, NOW - 7 * MIN - 123, NOW);
    assert.equal(store.get().url.pausedAt, iso(NOW - 7 * MIN - 123));
    assert.equal(decodeUrlState(encodeUrlState(store.get().url)).pausedAt, iso(NOW - 7 * MIN - 123), 'the URL keeps the chosen time');
    travelTo(store, null, NOW);
    assert.equal(store.get().url.pausedAt, null);
  });

  test('steps move by the given interval, from now when live; forward past now is live', () => {
    const store = storeWith(history(NOW - 30 * MIN, []));
    step(store, -3000, NOW);
    assert.equal(store.get().url.pausedAt, iso(NOW - 3000));
    step(store, -3000, NOW);
    assert.equal(store.get().url.pausedAt, iso(NOW - 6000));
    step(store, 3000, NOW);
    step(store, 3000, NOW);
    assert.equal(store.get().url.pausedAt, null);
  });

  test('jumps go to the previous/next change and stay put at the ends', () => {
    const store = storeWith(history(NOW - 30 * MIN, [NOW - 20 * MIN, NOW - 10 * MIN]));
    jumpToChange(store, -1, NOW);
    assert.equal(store.get().url.pausedAt, iso(NOW - 10 * MIN));
    jumpToChange(store, -1, NOW);
    assert.equal(store.get().url.pausedAt, iso(NOW - 20 * MIN));
    jumpToChange(store, -1, NOW);
    assert.equal(store.get().url.pausedAt, iso(NOW - 20 * MIN), 'no earlier change: unchanged');
    jumpToChange(store, 1, NOW);
    assert.equal(store.get().url.pausedAt, iso(NOW - 10 * MIN));
  });

  test('replay moves the shown moment at wall-clock speed; stopping keeps where it is', () => {
    const store = storeWith(history(NOW - 30 * MIN, []), iso(NOW - 10 * MIN));
    play(store, NOW);
    const s = store.get();
    assert.deepEqual(s.playback, { fromMillis: NOW - 10 * MIN, startedAtMillis: NOW });
    assert.equal(currentMillis(s.url.pausedAt, s.playback, NOW + 42_000), NOW - 10 * MIN + 42_000);
    stopPlayback(store, NOW + 42_000);
    assert.equal(store.get().playback, null);
    assert.equal(store.get().url.pausedAt, iso(NOW - 10 * MIN + 42_000));
    // Live has nothing to replay; live wins over a stale replay.
    const live = storeWith(null);
    play(live, NOW);
    assert.equal(live.get().playback, null);
    assert.equal(currentMillis(null, { fromMillis: 1, startedAtMillis: 2 }, NOW), null);
  });
});

test('labels', () => {
  assert.equal(formatMoment(Date.parse('2026-11-25T18:21:07.456Z')), '2026-11-25 18:21:07 UTC');
  assert.equal(formatAgo(NOW - 5 * MIN - 3000, NOW), '5m 3s ago');
  assert.equal(formatAgo(NOW - 2 * 3600_000, NOW), '2h 0m 0s ago');
  assert.equal(formatAgo(NOW - 4000, NOW), '4s ago');
});
