/**
 * Censoring of the raw report for `GET /api/report?hideCommandLineArguments=true&…` (app §1.8,
 * §1.16, Go's `report.CensorRawReport`): command arguments cut after the first space, Docker
 * environment variables dropped. Works on a merge-safe copy; the shared merged report is untouched.
 */
import { copyReport } from '../report/copy.js';
import { TOPOLOGIES, type Report } from '../report/types.js';

export interface CensorOptions {
  /** Strip everything after the first space of `cmdline` and `docker_container_command`. */
  hideCommandLineArguments: boolean;
  /** Drop every `docker_env_*` latest entry. */
  hideEnvironmentVariables: boolean;
}

const COMMAND_KEYS = ['cmdline', 'docker_container_command'];
const ENV_PREFIX = 'docker_env_';

/** Reads the two censoring flags from a query: each is on only for the exact value `true`. */
export function censorOptions(query: Readonly<Record<string, string>>): CensorOptions {
  return {
    hideCommandLineArguments: query.hideCommandLineArguments === 'true',
    hideEnvironmentVariables: query.hideEnvironmentVariables === 'true',
  };
}

/** `report` itself when nothing is to hide, else a censored copy (same `id`, as Scope keeps it). */
export function censorReport(report: Report, opts: CensorOptions): Report {
  if (!opts.hideCommandLineArguments && !opts.hideEnvironmentVariables) return report;
  const out = copyReport(report);
  out.id = report.id;
  for (const { name } of TOPOLOGIES) {
    for (const node of out.topologies[name].nodes.values()) {
      // copyReport gave every node its own latest Map; entries are replaced, never mutated.
      if (opts.hideCommandLineArguments) {
        for (const key of COMMAND_KEYS) {
          const entry = node.latest.get(key);
          if (entry) node.latest.set(key, { timestamp: entry.timestamp, value: entry.value.split(' ')[0]! });
        }
      }
      if (opts.hideEnvironmentVariables) {
        for (const key of [...node.latest.keys()]) if (key.startsWith(ENV_PREFIX)) node.latest.delete(key);
      }
    }
  }
  return out;
}
