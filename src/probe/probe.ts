/**
 * The probe's pipeline (wire §5.1), shaped like OpenTelemetry's periodic exporter: unref'd timers,
 * a tick never rejects, a tick is skipped while the previous one is in flight, every reporter has
 * a deadline, and shutdown flushes.
 *
 * Spy tick (every `spyIntervalMillis`): tickers (the /proc walk), then all reporters concurrently,
 * merged into one report, then taggers in order (topology tagger last, §6.4 item 30), then folded
 * into the report pending publication. Publish tick (every `publishIntervalMillis`): take the
 * pending report (the merge of the spy ticks since the last publish), strip controls if asked,
 * un-merge the last full report unless this is a full publish (§2.9), set the window, publish.
 */
import { makeReport } from '../report/model.js';
import { mergeReportInto } from '../report/merge.js';
import { nowTime } from '../report/time.js';
import { ZERO_TIME, type Report } from '../report/types.js';
import { errorFields, LogOnce, type Logger } from '../common/log.js';
import type { Reporter, Tagger } from './types.js';
import { unmergeReport } from '../report/delta.js';
import { foldOwned, foldReportInto } from './fold.js';
import type { Publisher } from './publish/publisher.js';

/** Options of {@link ProbePipeline}; durations in ms. */
export interface PipelineOptions {
  spyIntervalMillis: number;
  publishIntervalMillis: number;
  fullReportEvery: number;
  noControls: boolean;
  logger: Logger;
  publisher: Pick<Publisher, 'publish'>;
}

/** Most pending shortcut reports (Scope's queue of 1024). */
const SHORTCUT_CAPACITY = 1024;

export class ProbePipeline {
  readonly reporters: Reporter[] = [];
  readonly taggers: Tagger[] = [];
  /** Run before reporters on each spy tick (e.g. the /proc walk the process and endpoint reporters share). */
  readonly tickers: Array<{ name: string; tick: () => Promise<unknown> }> = [];
  /** Counters for tests. */
  readonly stats = { spyTicks: 0, skippedSpyTicks: 0, publishes: 0, fullPublishes: 0, shortcuts: 0 };
  /**
   * The merge of the spy ticks since the last publish. Each tick is folded in as soon as it is
   * tagged rather than queued (Scope queues up to 16) and merged at publish: the result is the
   * same (merging is associative), but a tick's node shells and Maps become garbage at once instead
   * of living until the publish, so young-generation GC copies and promotes far less (scavenges
   * were the largest single cost of an idle probe). Nothing is dropped when publishes stall: the
   * publish tick only encodes and enqueues, so at most one interval's ticks accumulate.
   */
  private pending: Report | undefined;
  /**
   * Ids of the newest spy tick's processes when the pending report also holds processes that tick
   * no longer saw (they exited); undefined when there is nothing to prune.
   */
  private newestProcesses: Set<string> | undefined;
  private shortcuts: Report[] = [];
  private lastFull: Report | undefined;
  private publishCount = 0;
  private lastPublishMillis = Date.now();
  private spyTimer: NodeJS.Timeout | undefined;
  private publishTimer: NodeJS.Timeout | undefined;
  private spyInFlight: Promise<void> | undefined;
  private publishInFlight: Promise<void> | undefined;
  private shortcutScheduled = false;
  private readonly logOnce: LogOnce;

  constructor(private readonly opts: PipelineOptions) {
    this.logOnce = new LogOnce(opts.logger);
  }

  start(): void {
    this.spyTimer = setInterval(() => void this.spyTick(), this.opts.spyIntervalMillis);
    this.spyTimer.unref();
    this.publishTimer = setInterval(() => void this.publishTick(), this.opts.publishIntervalMillis);
    this.publishTimer.unref();
    void this.spyTick();
  }

  /** One spy tick; skipped if the previous one is still running. Never rejects. */
  spyTick(): Promise<void> {
    if (this.spyInFlight) {
      this.stats.skippedSpyTicks++;
      this.opts.logger.debug('spy tick skipped: previous tick still running');
      return this.spyInFlight;
    }
    this.spyInFlight = this.runSpy()
      .catch((err: unknown) => this.opts.logger.error({ err: errorFields(err) }, 'spy tick failed'))
      .finally(() => {
        this.spyInFlight = undefined;
      });
    return this.spyInFlight;
  }

  private async runSpy(): Promise<void> {
    const started = performance.now();
    const deadline = Math.max(5 * this.opts.spyIntervalMillis, 5000);
    for (const t of this.tickers) {
      await this.guard(t.name, t.tick, deadline);
    }
    // The pending report is handed to reporters as the report this tick folds into: a reporter
    // may update its own nodes there in place (Reporter.report). A publish waits for this tick to
    // finish before taking the pending report, so it stays the same report until addSpied.
    const into = this.pending;
    const parts = await Promise.all(this.reporters.map((r) => this.guard(r.name, () => r.report(into), deadline)));
    // Reporters hand over fresh reports, so the largest can be merged into in place (saves
    // copying every process and endpoint node each tick).
    const merged = foldOwned(parts.filter((p): p is Report => p !== undefined), makeReport);
    merged.ts = nowTime();
    await this.tag(merged);
    this.addSpied(merged);
    this.stats.spyTicks++;
    const took = performance.now() - started;
    if (took > this.opts.spyIntervalMillis) this.opts.logger.warn({ tookMillis: Math.round(took) }, 'spy tick slower than the spy interval');
  }

  /** Folds a tagged spy report (owned, consumed) into the pending report. */
  private addSpied(tick: Report): void {
    const tickProcesses = tick.topologies.process.nodes;
    if (this.pending === undefined) this.pending = tick;
    else foldReportInto(this.pending, tick);
    // Processes the newest tick no longer saw have exited: publishing them from older ticks would
    // keep them on screen for one more publish interval past the app window. The pending report
    // now holds every process of this tick, so only a larger count means some have exited, and
    // only then are this tick's ids kept. A tick without processes (reporter failed or off)
    // prunes nothing. (The fold reads the tick's node Map without changing it.)
    const count = tickProcesses.size;
    this.newestProcesses = count > 0 && this.pending.topologies.process.nodes.size !== count ? new Set(tickProcesses.keys()) : undefined;
  }

  /** Runs `fn` with a deadline; failures are logged once per source and yield undefined. */
  private async guard<T>(name: string, fn: () => Promise<T>, deadlineMillis: number): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => {
        this.logOnce.fail(name, new Error(`no answer within ${deadlineMillis} ms`), `${name} is too slow; its data is skipped`);
        resolve(undefined);
      }, deadlineMillis);
      timer.unref();
    });
    try {
      const result = await Promise.race([fn(), timeout]);
      if (result !== undefined) this.logOnce.ok(name);
      return result;
    } catch (err) {
      this.logOnce.fail(name, err, `${name} failed; its data is skipped`);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  private async tag(report: Report): Promise<void> {
    for (const t of this.taggers) {
      try {
        await t.tag(report);
      } catch (err) {
        this.logOnce.fail(`tagger ${t.name}`, err, `tagger ${t.name} failed`);
      }
    }
  }

  /** One publish tick; skipped while the previous is in flight. Never rejects. */
  publishTick(): Promise<void> {
    if (this.publishInFlight) return this.publishInFlight;
    this.publishInFlight = this.runPublish()
      .catch((err: unknown) => this.opts.logger.error({ err: errorFields(err) }, 'publish failed'))
      .finally(() => {
        this.publishInFlight = undefined;
      });
    return this.publishInFlight;
  }

  private async runPublish(): Promise<void> {
    // A spy tick in flight may be updating nodes of the pending report in place (see runSpy): let
    // it finish, so the report is taken whole and nothing published is written to afterwards.
    if (this.spyInFlight) await this.spyInFlight;
    const report = this.pending;
    if (report === undefined) return;
    const alive = this.newestProcesses;
    this.pending = undefined;
    this.newestProcesses = undefined;
    if (alive) {
      const processes = report.topologies.process.nodes;
      for (const id of processes.keys()) if (!alive.has(id)) processes.delete(id);
    }
    if (this.opts.noControls) for (const t of Object.values(report.topologies)) if (t.controls.size > 0) t.controls.clear();
    const now = Date.now();
    report.windowNanos = (now - this.lastPublishMillis) * 1e6;
    this.lastPublishMillis = now;
    const every = Math.max(1, this.opts.fullReportEvery);
    const full = this.publishCount % every === 0 || this.lastFull === undefined;
    this.publishCount++;
    let out = report;
    if (full) {
      // Kept as is, not copied: nothing mutates a report once built (the publisher only encodes it,
      // un-merging is pure, and later merges fold fresh spy reports).
      this.lastFull = report;
      this.stats.fullPublishes++;
    } else {
      out = unmergeReport(report, this.lastFull!);
    }
    this.stats.publishes++;
    await this.opts.publisher.publish(out);
  }

  /** Tags a shortcut report and publishes it soon, merged with other pending ones (wire §4.5). */
  publishShortcut(report: Report): void {
    if (this.shortcuts.length >= SHORTCUT_CAPACITY) return;
    this.shortcuts.push(report);
    if (this.shortcutScheduled) return;
    this.shortcutScheduled = true;
    setImmediate(() => {
      this.shortcutScheduled = false;
      const pending = this.shortcuts;
      this.shortcuts = [];
      const merged = makeReport();
      for (const r of pending) mergeReportInto(merged, r);
      merged.shortcut = true;
      merged.ts = ZERO_TIME;
      merged.windowNanos = 0;
      if (this.opts.noControls) for (const t of Object.values(merged.topologies)) t.controls.clear();
      this.stats.shortcuts++;
      void this.tag(merged).then(() => this.opts.publisher.publish(merged));
    });
  }

  /** Stops the timers, waits for ticks in flight, runs a last spy tick and publishes it (flush). */
  async stop(flush: boolean): Promise<void> {
    clearInterval(this.spyTimer);
    clearInterval(this.publishTimer);
    await this.spyInFlight;
    await this.publishInFlight;
    if (flush) {
      if (this.pending === undefined) await this.spyTick();
      this.lastFull = undefined; // the final publish is full
      await this.publishTick();
    }
  }
}

