// Loads the app and probe entry points lazily, so `--help`, `--version` and `--dry-run` stay
// instant and `--mode=probe` never loads the app's server stack (and vice versa).
import type { RunningApp } from '../app/index.js';
import type { AppConfig } from '../app/config.js';
import type { Logger } from '../common/log.js';
import type { ProbeConfig, RunningProbe } from '../probe/index.js';

export type { RunningApp, RunningProbe };

export type StartApp = (config: AppConfig, logger?: Logger) => Promise<RunningApp>;
export type StartProbe = (config: ProbeConfig, logger?: Logger) => Promise<RunningProbe>;

/** A role's code failed to load (a broken install); the message is for the operator. */
export class RoleUnavailableError extends Error {
  override readonly name = 'RoleUnavailableError';
}

async function load<T>(role: string, importer: () => Promise<T>): Promise<T> {
  try {
    return await importer();
  } catch (err) {
    const why = err instanceof Error ? (err.message.split('\n')[0] ?? err.name) : String(err);
    throw new RoleUnavailableError(`the ${role} cannot be loaded: ${why}`, { cause: err });
  }
}

export async function loadStartApp(): Promise<StartApp> {
  return (await load('app', () => import('../app/index.js'))).startApp;
}

export async function loadStartProbe(): Promise<StartProbe> {
  return (await load('probe', () => import('../probe/index.js'))).startProbe;
}
