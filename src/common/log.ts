/**
 * Logging for every long-running part of OpenScope (probe, app, CLI): pino, JSON to stderr by
 * default, plus a helper that reports a failing source once and again only when it recovers, so a
 * source that is down for hours (Docker, an app) does not flood the log every tick.
 */
import { pino, type Logger as PinoLogger, type LevelWithSilent } from 'pino';

/** The logger type used across OpenScope (a pino logger). */
export type Logger = PinoLogger;

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Minimum level logged. Default `info`. */
  level?: LevelWithSilent;
  /** Component name put on every line (`probe`, `app`), Scope's `<probe>` prefix in spirit. */
  name?: string;
  /** Where lines go; default stderr (fd 2) so stdout stays free for `--probe.publish.stdout`. */
  destination?: NodeJS.WritableStream;
}

/** A pino logger writing JSON lines to stderr (or `destination`). */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const options = { level: opts.level ?? 'info', ...(opts.name ? { name: opts.name } : {}) };
  return pino(options, opts.destination ?? pino.destination({ fd: 2, sync: false }));
}

/** A logger that drops everything: the default where a caller passes none (tests, libraries). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/**
 * "Log once until recovered": `fail(key, …)` logs at `warn` the first time a key fails and is silent
 * (debug only) while it keeps failing; `ok(key)` logs at `info` once when a failed key works again.
 * Keys are free-form (`docker`, `app http://10.0.0.1:4040`).
 */
export class LogOnce {
  private readonly failing = new Map<string, number>();

  constructor(private readonly logger: Logger) {}

  /** Records a failure of `key`; logs `msg` with `err` only on the first consecutive failure. */
  fail(key: string, err: unknown, msg: string): void {
    const count = this.failing.get(key) ?? 0;
    this.failing.set(key, count + 1);
    const fields = { source: key, err: errorFields(err) };
    if (count === 0) this.logger.warn(fields, msg);
    else this.logger.debug({ ...fields, failures: count + 1 }, msg);
  }

  /** Records a success of `key`; logs a recovery line if it was failing, and then returns true. */
  ok(key: string, msg = 'recovered'): boolean {
    const count = this.failing.get(key);
    if (count === undefined) return false;
    this.failing.delete(key);
    this.logger.info({ source: key, failures: count }, msg);
    return true;
  }

  /** Whether `key` is currently failing. */
  isFailing(key: string): boolean {
    return this.failing.has(key);
  }
}

/** A compact, serialisable view of an unknown thrown value. */
export function errorFields(err: unknown): { message: string; code?: string } {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === undefined ? { message: err.message } : { message: err.message, code };
  }
  return { message: String(err) };
}
