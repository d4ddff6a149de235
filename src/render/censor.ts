/**
 * Censoring of summaries and details (app §1.16, §4.10): `hideCommandLineArguments=true` keeps
 * only the command of `cmdline` / `docker_container_command` rows; `hideEnvironmentVariables=true`
 * drops `docker_env_*` tables. Only the exact value `true` switches either on.
 */
import type { NodeSummary } from './api-types.js';

export interface Censor {
  readonly hideCommandLineArguments: boolean;
  readonly hideEnvironmentVariables: boolean;
}

export function censorFromQuery(query: Readonly<Record<string, string>>): Censor | undefined {
  const hideCommandLineArguments = query.hideCommandLineArguments === 'true';
  const hideEnvironmentVariables = query.hideEnvironmentVariables === 'true';
  return hideCommandLineArguments || hideEnvironmentVariables ? { hideCommandLineArguments, hideEnvironmentVariables } : undefined;
}

const COMMAND_ROWS = new Set(['cmdline', 'docker_container_command']);

/** A censored copy of `s` (the input is not changed). */
export function censorSummary<T extends NodeSummary>(s: T, censor: Censor): T {
  const out: T = { ...s };
  if (censor.hideCommandLineArguments && s.metadata !== undefined) {
    out.metadata = s.metadata.map((row) => {
      if (!COMMAND_ROWS.has(row.id)) return row;
      const space = row.value.indexOf(' ');
      return space < 0 ? row : { ...row, value: row.value.slice(0, space) };
    });
  }
  if (censor.hideEnvironmentVariables && s.tables !== undefined) {
    const kept = s.tables.filter((t) => !t.id.startsWith('docker_env_'));
    if (kept.length > 0) out.tables = kept;
    else delete out.tables;
  }
  return out;
}
