/**
 * Live views: topology renders prepared when a report arrives, so that the GET or websocket tick
 * that follows finds its answer ready instead of merging and rendering while the client waits.
 *
 * A view is a (topology, query) pair that someone asked for over HTTP or a websocket. When the
 * collector announces a change, the views worth preparing are rendered once, in one pass per
 * event-loop turn (setImmediate: every report read in one turn costs one pass), through the
 * same RenderCache entries the routes read, so bounded staleness for expensive renders
 * (RenderCache.recent) applies as it does to requests.
 *
 * Preparing must never cost more than the requests would: a view is prepared only while most
 * report changes have been followed by a request for it before the next change (an average over
 * the last few changes, see {@link HIT_SHARE}). Then nearly every prepared render is one a request
 * would have made anyway, only earlier. With many probes, changes come far more often than
 * requests (100 probes: ~33 changes/s against a UI tick per second), the share stays low and
 * nothing is prepared: the requests render on demand as before. Views nobody asked for within
 * {@link LIVE_MILLIS} are forgotten.
 */
import type { Logger } from '../../common/log.js';
import type { Collector } from '../collector/types.js';

/** A view not requested for this long (ms) is forgotten. */
export const LIVE_MILLIS = 10_000;
/** Most views tracked (distinct topology + query pairs); the least recently requested go first. */
const MAX_VIEWS = 64;
/** Weight of the newest change in a view's hit share (exponential average over ~1/WEIGHT changes). */
const WEIGHT = 0.25;
/** A view is prepared while at least this share of recent changes was followed by a request for it. */
export const HIT_SHARE = 0.5;

interface View {
  /** Prepares this view's answer for the collector's current report (fills the routes' cache). */
  prepare: () => Promise<void>;
  lastRequestMillis: number;
  /** A request for this view came since the last change. */
  requestedSinceChange: boolean;
  /** Exponential average of "a request followed the change before the next one" (0..1). */
  hitShare: number;
}

export class LiveViews {
  private readonly views = new Map<string, View>();
  private scheduled = false;
  private running = false;
  private again = false;

  constructor(
    collector: Collector,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    /** Called after each pass that prepared a view (e.g. to let go of intermediate render stages). */
    private readonly afterPass: () => Promise<void> = async () => {},
  ) {
    collector.subscribe(() => this.changed());
  }

  /**
   * Records a request for view `key`; `prepare` renders it for the current report (called later,
   * after report changes, while the view qualifies). Historic views (`timestamp=`) are not live:
   * callers do not register them.
   */
  requested(key: string, prepare: () => Promise<void>): void {
    let view = this.views.get(key);
    if (view === undefined) {
      if (this.views.size >= MAX_VIEWS) this.views.delete(this.views.keys().next().value!);
      view = { prepare, lastRequestMillis: 0, requestedSinceChange: false, hitShare: 0 };
    } else {
      this.views.delete(key); // re-inserted below: the map stays in request order, oldest first
    }
    view.prepare = prepare; // the latest request's (e.g. whether it takes gzip)
    view.lastRequestMillis = this.now();
    view.requestedSinceChange = true;
    this.views.set(key, view);
  }

  /** Number of views tracked (tests). */
  get size(): number {
    return this.views.size;
  }

  /** Whether view `key` would be prepared on the next change (tests). */
  qualifies(key: string): boolean {
    const view = this.views.get(key);
    return view !== undefined && view.hitShare >= HIT_SHARE;
  }

  private changed(): void {
    const now = this.now();
    let any = false;
    for (const [key, view] of this.views) {
      if (now - view.lastRequestMillis > LIVE_MILLIS) {
        this.views.delete(key);
        continue;
      }
      view.hitShare = (1 - WEIGHT) * view.hitShare + WEIGHT * (view.requestedSinceChange ? 1 : 0);
      view.requestedSinceChange = false;
      if (view.hitShare >= HIT_SHARE) any = true;
    }
    if (!any || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.pass();
    });
  }

  /** Prepares every qualifying view; a change during a pass makes one more pass afterwards. */
  private async pass(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      let prepared = false;
      for (const view of [...this.views.values()]) {
        if (view.hitShare < HIT_SHARE) continue;
        prepared = true;
        try {
          await view.prepare();
        } catch (err) {
          // The request that follows renders (and reports) it again.
          this.logger.debug({ err }, 'preparing a live view failed');
        }
      }
      if (prepared) await this.afterPass();
    } catch (err) {
      this.logger.debug({ err }, 'after a live-view pass');
    } finally {
      this.running = false;
      if (this.again) {
        this.again = false;
        setImmediate(() => void this.pass());
      }
    }
  }
}
