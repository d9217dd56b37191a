import path from 'node:path';
import { createLogger, type Logger } from '@assay/logger';
import { DEFAULT_DEV_DATABASE, PROBE_TIMEOUT_MS } from '../consts';
import { probePostgres } from '../postgres/postgres-database';
import { startPostgres, type PostgresServer } from '../postgres/postgres-server';
import { redactUrl } from '../postgres/postgres-url';
import type { ProcessExit } from '../process/managed-process';
import { probeRedis } from '../redis/redis-client';
import { startRedis, type RedisServer } from '../redis/redis-server';
import { ensureSystemPackages } from '../system/ensure-system-packages';
import { postgresServerRequirement, redisServerRequirement, type SystemRequirement } from '../system/system-requirement';

/** Where one backing service comes from. */
export type BackingServiceSource =
  /** The URL the user gave answered: it is used as is. */
  | { kind: 'external'; url: string }
  /** A local server will be started; `reason` says why (no URL given, or it did not answer). */
  | { kind: 'local'; reason: string };

/** The outcome of probing the user's URLs: what to use, and what must be installed for it. */
export interface BackingServicesPlan {
  redis: BackingServiceSource;
  postgres: BackingServiceSource;
  /** System requirements of the local servers the plan needs (empty when both are external). */
  requirements: SystemRequirement[];
}

/** Options of {@link planBackingServices}. */
export interface PlanBackingServicesOptions {
  /** Redis the user asked for (REDIS_URL); a local server is used when it is unset or does not answer. */
  redisUrl?: string;
  /** PostgreSQL the user asked for (DATABASE_URL); same rule. */
  databaseUrl?: string;
  /** How long each probe may take. @defaultValue 3_000 */
  probeTimeoutMs?: number;
  /** Told why a given URL is not used. @defaultValue a silent logger */
  logger?: Logger;
}

/**
 * Probes the URLs the user set (a real PING / `SELECT 1` with their credentials) and decides,
 * for Redis and PostgreSQL, whether to use them or start local servers. A URL that does not
 * answer is reported with the reason and replaced by a local server.
 */
export async function planBackingServices(options: PlanBackingServicesOptions): Promise<BackingServicesPlan> {
  const logger = options.logger ?? createLogger({ name: 'devstack', level: 'silent' });
  const timeoutMs = options.probeTimeoutMs ?? PROBE_TIMEOUT_MS;
  const { redisUrl, databaseUrl } = options;
  const [redisProbe, postgresProbe] = await Promise.all([
    redisUrl ? probeRedis(redisUrl, timeoutMs) : undefined,
    databaseUrl ? probePostgres(databaseUrl, timeoutMs) : undefined,
  ]);

  let redis: BackingServiceSource = { kind: 'local', reason: 'REDIS_URL is not set' };
  if (redisUrl && redisProbe?.reachable) redis = { kind: 'external', url: redisUrl };
  else if (redisUrl && redisProbe && !redisProbe.reachable) {
    redis = { kind: 'local', reason: `REDIS_URL (${redactUrl(redisUrl)}) does not answer: ${redisProbe.reason}` };
    logger.warn(`${redis.reason}; starting a local Redis instead`);
  }

  let postgres: BackingServiceSource = { kind: 'local', reason: 'DATABASE_URL is not set' };
  if (databaseUrl && postgresProbe?.reachable) postgres = { kind: 'external', url: databaseUrl };
  else if (databaseUrl && postgresProbe && !postgresProbe.reachable) {
    postgres = { kind: 'local', reason: `DATABASE_URL (${redactUrl(databaseUrl)}) does not answer: ${postgresProbe.reason}` };
    logger.warn(`${postgres.reason}; starting a local PostgreSQL instead`);
  }

  const requirements: SystemRequirement[] = [];
  if (redis.kind === 'local') requirements.push(redisServerRequirement());
  if (postgres.kind === 'local') requirements.push(postgresServerRequirement());
  return { redis, postgres, requirements };
}

/** Options of {@link startBackingServices}. */
export interface StartBackingServicesOptions {
  /** Local servers keep their files in `<dataDir>/redis` and `<dataDir>/postgres`. */
  dataDir: string;
  /** Port the local Redis tries first (0: any free port). @defaultValue 0 */
  redisPort?: number;
  /** Port the local PostgreSQL tries first (0: any free port). @defaultValue 0 */
  postgresPort?: number;
  /** Database named in {@link BackingServices.databaseUrl} for a local server. @defaultValue "assay" */
  database?: string;
  /** Throw-away local servers (tests): no fsync, files deleted on stop. @defaultValue false */
  ephemeral?: boolean;
  /** Local servers in their own process groups (see {@link PostgresServerOptions}). @defaultValue true */
  ownProcessGroup?: boolean;
  /** Called when a local server exits without being asked to. */
  onUnexpectedExit?: (name: 'Redis' | 'PostgreSQL', exit: ProcessExit) => void;
  /** @defaultValue a silent logger */
  logger?: Logger;
}

/** Redis and PostgreSQL ready to use, and the local servers started for them, if any. */
export interface BackingServices {
  /** The Redis to use. */
  redisUrl: string;
  /** The database to use: the user's DATABASE_URL, or `database` on the local server (which may not exist yet). */
  databaseUrl: string;
  /** The local Redis, when one was started. */
  redis?: RedisServer;
  /** The local PostgreSQL, when one was started. */
  postgres?: PostgresServer;
  /** Stops the local servers this call started (the user's servers are not touched). Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the local servers a plan asks for (both at once) and returns the URLs to use.
 * If one fails to start, the other is stopped before the error is thrown.
 */
export async function startBackingServices(plan: BackingServicesPlan, options: StartBackingServicesOptions): Promise<BackingServices> {
  const logger = options.logger ?? createLogger({ name: 'devstack', level: 'silent' });
  const shared = { ephemeral: options.ephemeral ?? false, ownProcessGroup: options.ownProcessGroup ?? true, logger };
  const [redisResult, postgresResult] = await Promise.allSettled([
    plan.redis.kind === 'local'
      ? startRedis({
          ...shared,
          dir: path.join(options.dataDir, 'redis'),
          port: options.redisPort ?? 0,
          onUnexpectedExit: (exit) => options.onUnexpectedExit?.('Redis', exit),
        })
      : undefined,
    plan.postgres.kind === 'local'
      ? startPostgres({
          ...shared,
          dir: path.join(options.dataDir, 'postgres'),
          port: options.postgresPort ?? 0,
          onUnexpectedExit: (exit) => options.onUnexpectedExit?.('PostgreSQL', exit),
        })
      : undefined,
  ]);
  const redis = redisResult.status === 'fulfilled' ? redisResult.value : undefined;
  const postgres = postgresResult.status === 'fulfilled' ? postgresResult.value : undefined;
  if (redisResult.status === 'rejected' || postgresResult.status === 'rejected') {
    await Promise.all([redis?.stop(), postgres?.stop()]);
    throw redisResult.status === 'rejected' ? redisResult.reason : (postgresResult as PromiseRejectedResult).reason;
  }

  const redisUrl = plan.redis.kind === 'external' ? plan.redis.url : redis?.url;
  const databaseUrl = plan.postgres.kind === 'external' ? plan.postgres.url : postgres?.urlFor(options.database ?? DEFAULT_DEV_DATABASE);
  if (redisUrl === undefined || databaseUrl === undefined) throw new Error('A local server was planned but not started.');
  let stopping: Promise<void> | undefined;
  return {
    redisUrl,
    databaseUrl,
    ...(redis ? { redis } : {}),
    ...(postgres ? { postgres } : {}),
    stop: () => {
      stopping ??= Promise.all([redis?.stop(), postgres?.stop()]).then(() => undefined);
      return stopping;
    },
  };
}

/** Options of {@link resolveBackingServices}. */
export interface ResolveBackingServicesOptions extends PlanBackingServicesOptions, StartBackingServicesOptions {
  /**
   * Install redis-server / postgresql with apt-get when a local server is needed and they are
   * missing (see {@link ensureSystemPackages}). @defaultValue true
   */
  installPackages?: boolean;
}

/**
 * Redis and PostgreSQL in one call: the user's URLs when they answer, otherwise local servers
 * (installing their packages first when needed and possible).
 *
 * @example
 * const services = await resolveBackingServices({ redisUrl: process.env.REDIS_URL, databaseUrl: process.env.DATABASE_URL, dataDir: '.assay/dev' });
 * // ... use services.redisUrl and services.databaseUrl
 * await services.stop();
 */
export async function resolveBackingServices(options: ResolveBackingServicesOptions): Promise<BackingServices> {
  const plan = await planBackingServices(options);
  if (plan.requirements.length > 0) {
    await ensureSystemPackages({
      requirements: plan.requirements,
      install: options.installPackages ?? true,
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }
  return startBackingServices(plan, options);
}
