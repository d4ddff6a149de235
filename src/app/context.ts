/** Everything a route needs from the running app, handed to each route module explicitly. */
import type { Logger } from '../common/log.js';
import type { AuditSink } from './audit.js';
import type { Authenticator } from './auth.js';
import type { Collector } from './collector/types.js';
import type { ResolvedAppConfig } from './config.js';
import type { ControlRouter } from './control/router.js';
import type { AppMetrics } from './metrics.js';
import type { PipeRouter } from './pipe/router.js';
import type { RenderCache } from './render-cache.js';
import type { WebsocketTracker } from './ws.js';

export interface AppContext {
  readonly config: ResolvedAppConfig;
  /** Random per process (hex of a random int63): probes key apps by it (wire §4.2). */
  readonly appId: string;
  readonly collector: Collector;
  readonly metrics: AppMetrics;
  readonly renders: RenderCache;
  readonly controls: ControlRouter;
  readonly pipes: PipeRouter;
  readonly websockets: WebsocketTracker;
  readonly logger: Logger;
  readonly auth: Authenticator;
  readonly audit: AuditSink;
  /** Set once shutdown starts: health answers 503, new websockets are refused. */
  readonly state: { shuttingDown: boolean; startedAtMillis: number };
}
