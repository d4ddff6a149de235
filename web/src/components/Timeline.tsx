/**
 * The time-travel timeline (issue #8), shown when the app keeps history
 * (`capabilities.historic_reports`): a track from the oldest stored report to now with change
 * marks; click or drag to pick a moment, arrows or buttons to step by one publish interval or
 * jump between changes, play to replay forward, Live to return. State logic: store/timeline.ts.
 */
import { useEffect, useRef, useState } from 'react';
import { useAppStore, useStore } from '../store/react.js';
import {
  STEP_MILLIS,
  changeMoments,
  currentMillis,
  formatAgo,
  formatMoment,
  fromFraction,
  jumpToChange,
  LIVE_SLACK_MILLIS,
  play,
  step,
  stopPlayback,
  timelineRange,
  toFraction,
  travelTo,
} from '../store/timeline.js';

/** Re-renders every second (the range ends at now; a replay moves). */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return now;
}

export function Timeline(): React.JSX.Element | null {
  const historic = useStore((s) => s.api?.capabilities['historic_reports'] === true);
  return historic ? <TimelineBar /> : null;
}

function TimelineBar(): React.JSX.Element {
  const store = useAppStore();
  const pausedAt = useStore((s) => s.url.pausedAt);
  const playback = useStore((s) => s.playback);
  const history = useStore((s) => s.history);
  const now = useNow();
  const track = useRef<HTMLDivElement>(null);
  /** While dragging: the moment under the pointer (committed on release). */
  const [preview, setPreview] = useState<number | null>(null);

  const range = timelineRange(history, now);
  const current = currentMillis(pausedAt, playback, now);
  const shown = preview ?? current;
  const marks = changeMoments(history?.changes ?? [], range);

  // A replay that catches up with now becomes live.
  useEffect(() => {
    if (playback && current !== null && current >= now - LIVE_SLACK_MILLIS) travelTo(store, null, now);
  }, [playback, current, now, store]);

  const momentAt = (clientX: number): number => {
    const rect = track.current?.getBoundingClientRect();
    if (!rect || rect.width <= 0) return now;
    return fromFraction((clientX - rect.left) / rect.width, range);
  };
  const onPointerDown = (e: React.PointerEvent<HTMLDivElement>): void => {
    e.currentTarget.setPointerCapture?.(e.pointerId);
    setPreview(momentAt(e.clientX));
  };
  const onPointerMove = (e: React.PointerEvent<HTMLDivElement>): void => {
    if (preview !== null) setPreview(momentAt(e.clientX));
  };
  const onPointerUp = (e: React.PointerEvent<HTMLDivElement>): void => {
    if (preview === null) return;
    setPreview(null);
    travelTo(store, momentAt(e.clientX));
  };
  const onKeyDown = (e: React.KeyboardEvent<HTMLDivElement>): void => {
    if (e.key === 'ArrowLeft') step(store, -STEP_MILLIS);
    else if (e.key === 'ArrowRight') step(store, STEP_MILLIS);
    else if (e.key === 'PageUp') jumpToChange(store, -1);
    else if (e.key === 'PageDown') jumpToChange(store, 1);
    else if (e.key === 'End') travelTo(store, null);
    else return;
    e.preventDefault();
  };

  const live = shown === null;
  const label = live ? 'Live' : `${formatMoment(shown)} · ${formatAgo(shown, now)}`;
  return (
    <div className="timeline" data-testid="timeline" data-live={live ? 'true' : 'false'}>
      <div className="timeline-buttons">
        <button type="button" data-testid="timeline-prev-change" title="Previous change (PageUp)" onClick={() => jumpToChange(store, -1)}>
          ‹ change
        </button>
        <button type="button" data-testid="timeline-back" title={`Back ${STEP_MILLIS / 1000} s (←)`} onClick={() => step(store, -STEP_MILLIS)}>
          −{STEP_MILLIS / 1000}s
        </button>
        {playback ? (
          <button type="button" data-testid="timeline-pause" title="Stop the replay here" onClick={() => stopPlayback(store)}>
            ❚❚
          </button>
        ) : (
          <button type="button" data-testid="timeline-play" title="Replay forward from here" disabled={pausedAt === null} onClick={() => play(store)}>
            ▶
          </button>
        )}
        <button type="button" data-testid="timeline-forward" title={`Forward ${STEP_MILLIS / 1000} s (→)`} disabled={live} onClick={() => step(store, STEP_MILLIS)}>
          +{STEP_MILLIS / 1000}s
        </button>
        <button type="button" data-testid="timeline-next-change" title="Next change (PageDown)" disabled={live} onClick={() => jumpToChange(store, 1)}>
          change ›
        </button>
        <button type="button" data-testid="timeline-live" className={live ? 'active' : ''} aria-pressed={live} title="Back to live (End)" onClick={() => travelTo(store, null)}>
          ● Live
        </button>
      </div>
      <div
        ref={track}
        className="timeline-track"
        data-testid="timeline-track"
        role="slider"
        tabIndex={0}
        aria-label="Moment shown"
        aria-valuemin={range.startMillis}
        aria-valuemax={range.endMillis}
        aria-valuenow={shown ?? range.endMillis}
        aria-valuetext={label}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={() => setPreview(null)}
        onKeyDown={onKeyDown}
        title={`${formatMoment(range.startMillis)} – now`}
      >
        {marks.map((m) => (
          <span key={m} className="timeline-mark" data-testid="timeline-mark" style={{ left: `${toFraction(m, range) * 100}%` }} title={`Change at ${formatMoment(m)}`} />
        ))}
        <span className="timeline-cursor" style={{ left: `${toFraction(shown ?? range.endMillis, range) * 100}%` }} />
      </div>
      <span className="timeline-label" data-testid="timeline-label">
        {label}
      </span>
    </div>
  );
}
