// Public surface of the CLI package (main.ts is the executable; this is for tests and tools).
export { parseArgs, type FlagOccurrence, type ParsedArgs } from './parse-args.js';
export { buildCliConfig, BOTH_MODE_APP_ADDRESS, type CliEnv } from './config.js';
export type {
  AppCliConfig,
  BasicAuthSettings,
  CliConfig,
  CliMode,
  ContainerLabelFilter,
  KubernetesRole,
  LogLevel,
  ProbeCliConfig,
} from './config-types.js';
export { CliUsageError } from './errors.js';
export { FLAGS, FLAGS_BY_NAME, type FlagSpec } from './flags/index.js';
export { computeProbeTargets, DEFAULT_APP_PORT, parseTarget, probeTargetArgs, type ProbeTarget } from './targets.js';
export { parseGoDurationMillis, parseGoDurationNanos, formatGoDuration } from './duration.js';
export { toAppConfig, toProbeConfig, loadAppSecrets, type AppSecrets, type RuntimeFacts } from './to-config.js';
export { prepare, main, type CliIo, type Prepared } from './run.js';
export { usageText } from './usage.js';
export { packageVersion } from './version.js';
