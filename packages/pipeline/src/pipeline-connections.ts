import { createPrismaClient, type PrismaClient } from '@assay/db';
import { ChatEventLog, SessionRegistry } from '@assay/events';
import type { Logger } from '@assay/logger';
import { JobQueues } from '@assay/queue';
import { Redis } from 'ioredis';
import { MessagePipeline } from './message-pipeline';

/** Where a process finds PostgreSQL and Redis (the services' CoreEnv settings). */
export interface PipelineConnectionOptions {
  databaseUrl: string;
  redisUrl: string;
  /** Prefix of every Redis key (ASSAY_KEY_PREFIX). */
  keyPrefix: string;
  logger: Logger;
  /**
   * Idle TTL of kernels (ASSAY_KERNEL_IDLE_TTL_MS): how long a chat's session counts in the
   * session registry.
   * @defaultValue 30 minutes
   */
  kernelIdleTtlMs?: number;
}

/**
 * The connections every service opens, and the pipeline built on them: Prisma, a Redis
 * connection for events, the queue producers. `close()` disconnects them in order (queues,
 * Redis, PostgreSQL) and is meant as a service's last shutdown step.
 */
export interface PipelineConnections {
  prisma: PrismaClient;
  redis: Redis;
  queues: JobQueues;
  events: ChatEventLog;
  /** Which executor holds which chat's kernel (routing, per-tenant session counts). */
  sessions: SessionRegistry;
  pipeline: MessagePipeline;
  close(): Promise<void>;
}

/** Opens a service's connections to PostgreSQL and Redis and builds its {@link MessagePipeline}. */
export function connectPipeline(options: PipelineConnectionOptions): PipelineConnections {
  const prisma = createPrismaClient(options.databaseUrl);
  const redis = new Redis(options.redisUrl);
  const queues = new JobQueues({ redisUrl: options.redisUrl, prefix: options.keyPrefix });
  const events = new ChatEventLog({ redis, prefix: options.keyPrefix });
  const sessions = new SessionRegistry({ redis, prefix: options.keyPrefix, staleAfterMs: options.kernelIdleTtlMs ?? 30 * 60_000 });
  const pipeline = new MessagePipeline({
    prisma,
    queues,
    events,
    logger: options.logger,
    executorFor: (tenantId, chatId) => sessions.ownerOf(tenantId, chatId),
  });
  let closing: Promise<void> | undefined;
  return {
    prisma,
    redis,
    queues,
    events,
    sessions,
    pipeline,
    close() {
      closing ??= (async () => {
        await queues.close();
        await redis.quit();
        await prisma.$disconnect();
      })();
      return closing;
    },
  };
}
