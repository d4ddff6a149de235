/** Collector construction from the `collector` setting (app §1.14). */
import { AppConfigError } from '../config.js';
import { MemoryCollector } from './memory.js';
import type { Collector, CollectorObserver } from './types.js';

export type * from './types.js';
export { MemoryCollector, type MemoryCollectorOptions } from './memory.js';

/** Options shared by every collector. */
export interface CreateCollectorOptions {
  windowMillis: number;
  observer?: CollectorObserver;
  now?: () => number;
}

/** `local`/`memory` → {@link MemoryCollector}; anything else → {@link AppConfigError}. */
export function createCollector(kind: string, opts: CreateCollectorOptions): Collector {
  switch (kind) {
    case 'local':
    case 'memory':
      return new MemoryCollector(opts);
    default:
      throw new AppConfigError(`unsupported collector "${kind}": only local and memory are available`);
  }
}
