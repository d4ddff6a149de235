/**
 * Publishes encoded reports to every app (wire §4.1–§4.2): one `AppClient` per target; a report
 * goes once to each distinct app id (two targets reaching the same app publish once). With
 * `--probe.publish.stdout` reports are printed as indented JSON instead.
 */
import { encodeReportBody, reportToWireJson } from '../../report/codec/index.js';
import type { Report } from '../../report/types.js';
import type { Logger } from '../../common/log.js';
import type { BackoffOptions } from '../../common/backoff.js';
import type { ControlDispatcher } from '../control/registry.js';
import type { ProbeTarget } from '../config.js';
import { AppClient } from './app-client.js';
import type { ProbeIdentity } from './http.js';

/** Options of {@link Publisher}. */
export interface PublisherOptions {
  targets: readonly ProbeTarget[];
  /** Identity; the authorization is per target (a target token overrides the global one). */
  identity: (target: ProbeTarget) => ProbeIdentity;
  logger: Logger;
  timeoutMillis: number;
  controls: ControlDispatcher | undefined;
  stdout: boolean;
  backoff?: BackoffOptions;
}

/**
 * gzip level of report bodies. Any level decodes the same (Scope's app reads any gzip); on a
 * typical 120 kB report level 3 takes 0.31 ms against 0.74 ms for the default 6, for a body 12 %
 * larger (9.9 kB against 8.9 kB): a probe publishes every few seconds, forever, mostly to a
 * nearby app.
 */
export const REPORT_GZIP_LEVEL = 3;

export class Publisher {
  readonly clients: AppClient[];

  constructor(private readonly opts: PublisherOptions) {
    this.clients = opts.stdout
      ? []
      : opts.targets.map(
          (t) =>
            new AppClient({
              url: t.url,
              identity: opts.identity(t),
              logger: opts.logger,
              timeoutMillis: opts.timeoutMillis,
              controls: opts.controls,
              ...(opts.backoff ? { backoff: opts.backoff } : {}),
            }),
        );
  }

  start(): void {
    for (const c of this.clients) c.start();
  }

  /** Base URL of the app with this id (for pipes). */
  locate(appId: string): string | undefined {
    return this.clients.find((c) => c.appId === appId)?.url;
  }

  /** Encodes once and enqueues to every distinct app. Never rejects. */
  async publish(report: Report): Promise<void> {
    if (this.opts.stdout) {
      process.stdout.write(`${JSON.stringify(reportToWireJson(report), null, 2)}\n`);
      return;
    }
    if (this.clients.length === 0) return;
    let body: Uint8Array;
    try {
      body = await encodeReportBody(report, 'msgpack', REPORT_GZIP_LEVEL);
    } catch (err) {
      this.opts.logger.error({ err: String(err) }, 'cannot encode report');
      return;
    }
    const seen = new Set<string>();
    for (const c of this.clients) {
      if (c.appId !== undefined) {
        if (seen.has(c.appId)) continue;
        seen.add(c.appId);
      }
      c.enqueue(body, 'application/msgpack', report.shortcut);
    }
  }

  /** Stops every client, giving queued reports up to `flushMillis` to go out. */
  async stop(flushMillis: number): Promise<void> {
    await Promise.allSettled(this.clients.map((c) => c.stop(flushMillis)));
  }
}
