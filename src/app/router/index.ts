/**
 * Control and pipe routing for the app: local routers, or — with the Redis collector — routers
 * that reach probes and pipe ends connected to other replicas (issue #8).
 */
import type { Logger } from '../../common/log.js';
import { ControlRouter } from '../control/router.js';
import { PipeRouter, type PipeRouterOptions } from '../pipe/router.js';
import { RedisBus } from './redis-bus.js';
import { RedisControlRouter } from './redis-control.js';
import { RedisPipeRouter } from './redis-pipe.js';

export { RedisBus } from './redis-bus.js';
export { RedisControlRouter } from './redis-control.js';
export { RedisPipeRouter } from './redis-pipe.js';

/** The routers of one app, and how to stop what they started. */
export interface Routing {
  readonly controls: ControlRouter;
  readonly pipes: PipeRouter;
  /** Ends cross-replica traffic (call after the routers' sockets are closed). */
  close(): Promise<void>;
}

/** Options of {@link createRouting}. */
export interface RoutingOptions {
  /** The `collector` setting: `redis://…` makes routing cross-replica, anything else local. */
  collector: string;
  pipes: PipeRouterOptions;
  onProbeCountChange: (count: number) => void;
  logger?: Logger;
}

export async function createRouting(opts: RoutingOptions): Promise<Routing> {
  if (!/^rediss?:\/\//.test(opts.collector)) {
    return { controls: new ControlRouter(opts.onProbeCountChange), pipes: new PipeRouter(opts.pipes), close: async () => {} };
  }
  const bus = await RedisBus.connect(opts.collector, opts.logger ? { logger: opts.logger } : {});
  const controls = new RedisControlRouter(bus, opts.onProbeCountChange, opts.logger);
  const pipes = new RedisPipeRouter(bus, opts.pipes, opts.logger);
  return {
    controls,
    pipes,
    close: async () => {
      controls.stop();
      await bus.close();
    },
  };
}
