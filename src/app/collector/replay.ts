/**
 * Scope's file collector (wire §1.6), for `file://` paths holding report files rather than a store
 * written by {@link FileCollector}: a file, or a directory (walked recursively) of `*.json` /
 * `*.msgpack` files, optionally `.gz`. When there are several and every one is named
 * `<nanoseconds-since-epoch>.<ext>`, they are replayed in a loop with their original spacing
 * into an in-memory window; otherwise they are merged once into a static report.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Logger } from '../../common/log.js';
import { decodeReportBody } from '../../report/codec/index.js';
import type { Report } from '../../report/types.js';
import { AppConfigError } from '../config.js';
import { mergeWindow } from './history.js';
import { MemoryCollector } from './memory.js';
import type { Collector, CollectorListener, CollectorObserver } from './types.js';

/** A report file Scope's collector reads: `<name>.json`, `.msgpack`, each optionally `.gz`. */
const REPORT_FILE = /\.(json|msgpack)(\.gz)?$/;
/** A timestamped one: `<nanoseconds-since-epoch>.<ext>`. */
const TIMESTAMPED = /^(\d+)\.(json|msgpack)(\.gz)?$/;
/** How deep directories are walked (Scope walked without limit; a bound keeps a bad path cheap). */
const MAX_DEPTH = 8;

/** Options of {@link ReplayCollector}. */
export interface ReplayCollectorOptions {
  /** A report file, or a directory of them. */
  path: string;
  /** Reports count for this long after (re)play, in ms (Scope's `app.window`). */
  windowMillis: number;
  now?: () => number;
  observer?: CollectorObserver;
  logger?: Logger;
}

/** Every file under `dir` (recursively, bounded), synchronously: used once, at start, to choose. */
function listFilesSync(dir: string, depth = 0): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory() && depth < MAX_DEPTH) out.push(...listFilesSync(p, depth + 1));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/**
 * Whether `path` is for Scope's file collector rather than the file store: a report file, or a
 * directory whose files are all report files (at least one). The store's own files (segments,
 * markers) are never named like that, and an empty or missing directory belongs to the store.
 */
export function isScopeReportPath(path: string): boolean {
  let st;
  try {
    st = statSync(path);
  } catch {
    return false;
  }
  if (st.isFile()) return true;
  if (!st.isDirectory()) return false;
  const files = listFilesSync(path);
  return files.length > 0 && files.every((f) => REPORT_FILE.test(basename(f)));
}

async function listFiles(dir: string, depth = 0): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory() && depth < MAX_DEPTH) out.push(...(await listFiles(p, depth + 1)));
    else if (e.isFile() && REPORT_FILE.test(e.name)) out.push(p);
  }
  return out;
}

async function readReport(path: string): Promise<Report> {
  const m = REPORT_FILE.exec(basename(path))!;
  try {
    return await decodeReportBody(await readFile(path), {
      contentType: m[1] === 'json' ? 'application/json' : 'application/msgpack',
      contentEncoding: m[2] ? 'gzip' : '',
    });
  } catch (err) {
    throw new AppConfigError(`cannot read report file ${path}: ${(err as Error).message}`);
  }
}

export class ReplayCollector implements Collector {
  readonly historic = false;
  private readonly path: string;
  private readonly live: MemoryCollector;
  private readonly logger: Logger | undefined;
  private readonly now: () => number;
  private staticReport: Report | undefined;
  /** The static report merged with the live window, keyed by the live report's identity. */
  private merged: { live: Report; report: Report } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly started: Promise<void>;
  /** Reports played so far (all loops). */
  played = 0;

  constructor(opts: ReplayCollectorOptions) {
    this.path = opts.path;
    this.logger = opts.logger;
    this.now = opts.now ?? Date.now;
    this.live = new MemoryCollector({ windowMillis: opts.windowMillis, now: this.now, ...(opts.observer ? { observer: opts.observer } : {}) });
    this.started = this.start();
    this.started.catch(() => undefined);
  }

  /** Resolves once the files are read; rejects with {@link AppConfigError} for an unreadable one. */
  ready(): Promise<void> {
    return this.started;
  }

  private async start(): Promise<void> {
    const st = await stat(this.path).catch((err: unknown) => {
      throw new AppConfigError(`cannot read ${this.path}: ${(err as Error).message}`);
    });
    const files = st.isDirectory() ? (await listFiles(this.path)).sort() : [this.path];
    if (files.length === 0) throw new AppConfigError(`no report files (*.json, *.msgpack, optionally .gz) in ${this.path}`);
    const stamps = files.map((f) => TIMESTAMPED.exec(basename(f))?.[1]);
    const reports = await Promise.all(files.map(readReport));
    if (files.length > 1 && stamps.every((s) => s !== undefined)) {
      const order = files.map((_, i) => i).sort((a, b) => (BigInt(stamps[a]!) < BigInt(stamps[b]!) ? -1 : 1));
      const t0 = BigInt(stamps[order[0]!]!);
      const offsets = order.map((i) => Number((BigInt(stamps[i]!) - t0) / 1_000_000n));
      // The loop starts again one mean interval after the last report, keeping the rhythm.
      const periodMillis = offsets[offsets.length - 1]! + Math.max(1, offsets[offsets.length - 1]! / (offsets.length - 1));
      this.logger?.info({ path: this.path, reports: files.length, periodMillis }, 'file collector: replaying timestamped reports in a loop');
      this.loop(order.map((i) => reports[i]!), offsets, periodMillis);
    } else {
      this.staticReport = mergeWindow(reports);
      this.logger?.info({ path: this.path, reports: files.length }, 'file collector: serving the merge of the report files');
    }
  }

  private loop(reports: readonly Report[], offsets: readonly number[], periodMillis: number): void {
    let loopStart = Date.now();
    let i = 0;
    const step = (): void => {
      if (this.closed) return;
      // The collector owns what it is given: each play adds a fresh copy of the report.
      void this.live.add('', structuredClone(reports[i]!), this.now());
      this.played++;
      i++;
      if (i === reports.length) {
        i = 0;
        loopStart += periodMillis;
      }
      this.timer = setTimeout(step, Math.max(0, loopStart + offsets[i]! - Date.now()));
      this.timer.unref();
    };
    step();
  }

  /** Reports POSTed meanwhile count too, as with Scope (they join the replayed window). */
  async add(probeId: string, report: Report, arrivalMillis: number): Promise<void> {
    await this.live.add(probeId, report, arrivalMillis);
  }

  async report(): Promise<Report> {
    await this.started;
    const live = await this.live.report();
    if (this.staticReport === undefined) return live;
    if (this.merged?.live !== live) this.merged = { live, report: mergeWindow([this.staticReport, live]) };
    return this.merged.report;
  }

  async hasRecentReports(): Promise<boolean> {
    await this.started;
    return this.staticReport !== undefined || this.live.hasRecentReports();
  }

  summary(): Promise<string[]> {
    return this.live.summary();
  }

  subscribe(listener: CollectorListener): () => void {
    return this.live.subscribe(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.started.catch(() => undefined);
    clearTimeout(this.timer);
    await this.live.close();
  }
}
