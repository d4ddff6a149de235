// The complete flag table: one entry per flag, looked up by canonical name or alias.
import { APP_FLAGS } from './app.js';
import { PROBE_FLAGS } from './probe.js';
import { SHARED_FLAGS } from './shared.js';
import type { FlagSpec } from './types.js';

export type { FlagGroup, FlagKind, FlagRole, FlagSpec, FlagValue } from './types.js';

/** Every flag OpenScope accepts, in help order. */
export const FLAGS: readonly FlagSpec[] = [...SHARED_FLAGS, ...APP_FLAGS, ...PROBE_FLAGS];

/** Canonical name or alias → spec. Built once; throws at import time if the table has a clash. */
export const FLAGS_BY_NAME: ReadonlyMap<string, FlagSpec> = (() => {
  const byName = new Map<string, FlagSpec>();
  for (const spec of FLAGS) {
    for (const name of [spec.name, ...spec.aliases]) {
      if (byName.has(name)) throw new Error(`flag table: duplicate flag name ${name}`);
      byName.set(name, spec);
    }
  }
  return byName;
})();
