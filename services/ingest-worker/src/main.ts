import path from 'node:path';
import { createPrismaClient } from '@assay/db';
import { ChatEventLog } from '@assay/events';
import { installShutdownHandler, runService } from '@assay/lifecycle';
import { createLogger } from '@assay/logger';
import { MessagePipeline } from '@assay/pipeline';
import { JobQueues, WorkerRegistry } from '@assay/queue';
import { LocalBlobStore } from '@assay/storage';
import { Redis } from 'ioredis';
import { loadEnv } from './env';
import { ingestFailureHandler, ingestProcessor } from './ingest-processor';

/** Composition root of the ingest worker process. */
async function main(): Promise<void> {
  const env = loadEnv();
  const logger = createLogger({ name: 'ingest-worker', level: env.LOG_LEVEL });

  const prisma = createPrismaClient(env.DATABASE_URL);
  const redis = new Redis(env.REDIS_URL);
  const queues = new JobQueues({ redisUrl: env.REDIS_URL, prefix: env.ASSAY_KEY_PREFIX });
  const events = new ChatEventLog({ redis, prefix: env.ASSAY_KEY_PREFIX });
  const pipeline = new MessagePipeline({ prisma, queues, events, logger });
  const blobs = new LocalBlobStore({ rootDir: path.join(env.ASSAY_DATA_DIR, 'blobs') });

  const workers = new WorkerRegistry({ redisUrl: env.REDIS_URL, prefix: env.ASSAY_KEY_PREFIX, logger });
  const ingest = { prisma, blobs, pipeline };
  workers.register('ingest', ingestProcessor(ingest), {
    concurrency: env.ASSAY_INGEST_CONCURRENCY,
    onFinalFailure: ingestFailureHandler(ingest),
  });

  installShutdownHandler({
    logger,
    steps: [
      { name: 'finish running jobs', run: () => workers.close() },
      { name: 'close queues', run: () => queues.close() },
      { name: 'disconnect redis', run: async () => void (await redis.quit()) },
      { name: 'disconnect postgres', run: () => prisma.$disconnect() },
    ],
  });
  await workers.waitUntilReady();
  logger.info({ concurrency: env.ASSAY_INGEST_CONCURRENCY }, 'ingest worker ready');
}

runService('ingest-worker', main);
