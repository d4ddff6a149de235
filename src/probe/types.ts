/**
 * The probe's extension points (wire §5.1): reporters produce partial reports every spy tick,
 * taggers rewrite the merged report, control handlers answer the app's control RPCs (wire §4.3),
 * and pipes stream bytes between something on this host and the UI (wire §4.4).
 */
import type { Duplex } from 'node:stream';
import type { Report } from '../report/types.js';

/** A source of data (host, processes, endpoints, Docker, Kubernetes…). */
export interface Reporter {
  /** Short name used in logs and metrics, e.g. `docker`. */
  readonly name: string;
  /**
   * What the source shows right now, as a partial report. Must not throw for a missing or
   * failing source: return what could be read (possibly an empty report) and log the problem once.
   *
   * `into` is the report this tick will be folded into (the merge of the spy ticks since the last
   * publish), which nothing else reads or writes until the tick is folded. A reporter may update a
   * node of `into` that it issued itself in an earlier tick in place, and return that same node,
   * when the update is what folding a new node into it would give: the fold then skips it.
   */
  report(into?: Readonly<Report>): Promise<Report>;
  /** Releases timers, sockets and streams. */
  stop?(): Promise<void>;
}

/** Rewrites the merged report of one spy tick in place (e.g. adds container parents to processes). */
export interface Tagger {
  readonly name: string;
  tag(report: Report): void | Promise<void>;
}

/** A control request as the app sends it (Go's `xfer.Request`). */
export interface ControlRequest {
  /** The app this request came from; pipes are opened back to it. */
  appId: string;
  nodeId: string;
  control: string;
  args: Record<string, string>;
}

/** A control response (Go's `xfer.Response`); every field optional. */
export interface ControlResponse {
  value?: unknown;
  error?: string;
  pipe?: string;
  rawTty?: boolean;
  resizeTtyControl?: string;
  removedNode?: string;
}

/** Answers one control; rejections are turned into `{error}` responses by the dispatcher. */
export type ControlHandler = (req: ControlRequest) => Promise<ControlResponse>;

/** Where reporters register the controls they can answer. */
export interface ControlRegistry {
  register(controlId: string, handler: ControlHandler): void;
  unregister(controlId: string): void;
}

/**
 * Opens pipes back to the app a control came from. The returned stream is the probe's end:
 * bytes written to it reach the UI; bytes the UI sends can be read from it. It ends when either
 * side closes the pipe.
 */
export interface PipeOpener {
  openPipe(appId: string): { pipeId: string; stream: Duplex };
}

/** What a reporter may use from the running probe. */
export interface ProbeContext {
  /** This host's id (hostname or `SCOPE_HOSTNAME`). */
  hostId: string;
  /** Random hex id of this probe run (wire §3.6). */
  probeId: string;
  controls: ControlRegistry;
  pipes: PipeOpener;
  /** Publish a shortcut report at once (wire §4.5). */
  publishShortcut(report: Report): void;
  /** false when `--probe.no-controls`: reporters must not register or advertise controls. */
  controlsEnabled: boolean;
}
