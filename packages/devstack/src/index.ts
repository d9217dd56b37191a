// System packages
export { ensureSystemPackages } from './system/ensure-system-packages';
export type { EnsureSystemPackagesOptions, EnsureSystemPackagesResult } from './system/ensure-system-packages';
export {
  PYTHON_ANALYSIS_MODULES,
  analysisRequirements,
  bubblewrapRequirement,
  executableRequirement,
  postgresServerRequirement,
  pythonModulesRequirement,
  redisServerRequirement,
} from './system/system-requirement';
export type { ExecutableRequirementOptions, PythonModulesRequirementOptions, SystemRequirement } from './system/system-requirement';
export { formatAptInstallCommand } from './system/apt-command';
export { EnvironmentMissingError } from './errors/environment-missing-error';
export type { EnvironmentMissingErrorOptions } from './errors/environment-missing-error';

// Servers
export { PostgresServer, startPostgres } from './postgres/postgres-server';
export type { PostgresServerOptions } from './postgres/postgres-server';
export { findPostgresBinaries } from './postgres/postgres-binaries';
export type { PostgresBinaries } from './postgres/postgres-binaries';
export { dropDatabase, ensureDatabase, probePostgres } from './postgres/postgres-database';
export type { PostgresProbe } from './postgres/postgres-database';
export { redactUrl, withDatabase } from './postgres/postgres-url';
export { RedisServer, startRedis } from './redis/redis-server';
export type { RedisServerOptions } from './redis/redis-server';
export { deleteKeysWithPrefix, probeRedis } from './redis/redis-client';
export type { RedisProbe } from './redis/redis-client';
export type { ProcessExit } from './process/managed-process';
export { findFreePort, isPortFree } from './net/ports';

// Stacks
export { planBackingServices, resolveBackingServices, startBackingServices } from './stack/backing-services';
export type {
  BackingServiceSource,
  BackingServices,
  BackingServicesPlan,
  PlanBackingServicesOptions,
  ResolveBackingServicesOptions,
  StartBackingServicesOptions,
} from './stack/backing-services';
export { migrateDatabase } from './stack/migrate-database';
export type { MigrateDatabaseOptions } from './stack/migrate-database';
export { startTestStack } from './stack/test-stack';
export type { TestStack, TestStackEnv, TestStackOptions } from './stack/test-stack';

// Processes
export { ProcessSupervisor, stopOrphanedChildren } from './supervisor/process-supervisor';
export type {
  ChildExitReport,
  ChildStopReport,
  ProcessSupervisorOptions,
  SupervisedProcessSpec,
} from './supervisor/process-supervisor';
export { createLogLineFormatter } from './supervisor/log-line-formatter';
export type { LogLineFormatter, LogLineFormatterOptions } from './supervisor/log-line-formatter';
export { createConsoleLogger } from './supervisor/console-logger';
export type { ConsoleLoggerOptions } from './supervisor/console-logger';

// Defaults
export {
  DEFAULT_DEV_DATABASE,
  DEFAULT_DEV_POSTGRES_PORT,
  DEFAULT_DEV_REDIS_PORT,
  DEFAULT_GATEWAY_PORT,
} from './consts';
