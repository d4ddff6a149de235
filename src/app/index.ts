/** The app's public surface: start it from a config (the CLI does), plus the pieces others reuse. */
export { startApp, type RunningApp } from './server.js';
export {
  AppConfigError,
  COLLECTOR_KINDS,
  defaultAppConfig,
  parseListenAddress,
  resolveAppConfig,
  type AppConfig,
  type CollectorKind,
  type ResolvedAppConfig,
} from './config.js';
export { createCollector, MemoryCollector, type Collector, type CollectorChange, type CreateCollectorOptions } from './collector/index.js';
export { TOKEN_COOKIE, type AuthConfig, type TokenRole } from './auth.js';
