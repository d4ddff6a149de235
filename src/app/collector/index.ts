/** Collector construction from the `collector` setting (app §1.14, wire §1.6, issue #8). */
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../common/log.js';
import { AppConfigError } from '../config.js';
import { AwsCollector } from './aws.js';
import { FileCollector } from './file.js';
import { MemoryCollector } from './memory.js';
import { RedisCollector } from './redis.js';
import { isScopeReportPath, ReplayCollector } from './replay.js';
import type { Collector, CollectorObserver } from './types.js';

export type * from './types.js';
export { MemoryCollector, type MemoryCollectorOptions } from './memory.js';
export { FileCollector, type FileCollectorOptions } from './file.js';
export { RedisCollector, type RedisCollectorOptions } from './redis.js';
export { AwsCollector, type AwsCollectorOptions } from './aws.js';
export { ReplayCollector, type ReplayCollectorOptions } from './replay.js';
export { HistoryCollector, mergeWindow, type HistoryStore, type StoredRecord } from './history.js';

/** Options shared by every collector. */
export interface CreateCollectorOptions {
  windowMillis: number;
  /** How long the file and Redis collectors keep reports, in ms. Default 24 h. */
  retentionMillis?: number;
  observer?: CollectorObserver;
  now?: () => number;
  logger?: Logger;
  /** `--app.collector.s3` (`s3://…`), required by the DynamoDB collector. */
  s3Url?: string;
  /** `--app.aws.create.tables`: create the DynamoDB table and S3 bucket when missing. */
  awsCreateTables?: boolean;
}

/** What a `--app.collector` value names. */
export type CollectorSpec =
  | { kind: 'memory' }
  | { kind: 'file'; dir: string }
  | { kind: 'redis'; url: string }
  | { kind: 'dynamodb'; url: string };

/** `local`/`memory`, `file:///dir`, `redis://host:port/db` → a spec; anything else → {@link AppConfigError}. */
export function parseCollectorSpec(value: string): CollectorSpec {
  if (value === 'local' || value === 'memory') return { kind: 'memory' };
  if (value.startsWith('file://')) {
    let dir: string;
    try {
      dir = fileURLToPath(value);
    } catch (err) {
      throw new AppConfigError(`collector "${value}" is not a file URL with an absolute path: ${(err as Error).message}`);
    }
    return { kind: 'file', dir };
  }
  if (value.startsWith('redis://') || value.startsWith('rediss://')) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new AppConfigError(`collector "${value}" is not a valid redis:// URL`);
    }
    if (url.hostname === '' || !/^\/?\d*$/.test(url.pathname)) {
      throw new AppConfigError(`collector "${value}" must look like redis://host:port/db`);
    }
    return { kind: 'redis', url: value };
  }
  if (value.startsWith('dynamodb://')) return { kind: 'dynamodb', url: value };
  throw new AppConfigError(
    `unsupported collector "${value}": use local (or memory), file:///absolute/dir, redis://host:port/db or dynamodb://[key:secret@]region-or-host/table`,
  );
}

/** Builds the collector `value` names; call its `ready()` before serving. */
export function createCollector(value: string, opts: CreateCollectorOptions): Collector {
  const spec = parseCollectorSpec(value);
  const common = {
    windowMillis: opts.windowMillis,
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.observer ? { observer: opts.observer } : {}),
  };
  const history = {
    ...common,
    ...(opts.retentionMillis === undefined ? {} : { retentionMillis: opts.retentionMillis }),
    ...(opts.logger ? { logger: opts.logger } : {}),
  };
  switch (spec.kind) {
    case 'memory':
      return new MemoryCollector(common);
    case 'file':
      // A file or a directory of Scope report files: Scope's replay; else the #8 store.
      if (isScopeReportPath(spec.dir)) return new ReplayCollector({ ...common, path: spec.dir, ...(opts.logger ? { logger: opts.logger } : {}) });
      return new FileCollector({ ...history, dir: spec.dir });
    case 'redis':
      return new RedisCollector({ ...history, url: spec.url });
    case 'dynamodb':
      if (!opts.s3Url?.startsWith('s3://')) {
        throw new AppConfigError('the dynamodb collector needs --app.collector.s3=s3://[key:secret@]region-or-host/bucket');
      }
      return new AwsCollector({ ...history, dynamoUrl: spec.url, s3Url: opts.s3Url, createTables: opts.awsCreateTables ?? false });
  }
}
