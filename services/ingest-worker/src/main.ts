import { installShutdownHandler, runService } from '@assay/lifecycle';
import { createLogger } from '@assay/logger';
import { ServiceMetrics, startMetricsServer } from '@assay/metrics';
import { connectPipeline } from '@assay/pipeline';
import { WorkerRegistry } from '@assay/queue';
import { blobStoreConfigFromEnv, createBlobStore } from '@assay/storage';
import { loadEnv } from './env';
import { ingestFailureHandler, ingestProcessor } from './ingest-processor';

/** Composition root of the ingest worker process. */
async function main(): Promise<void> {
  const env = loadEnv();
  const logger = createLogger({ name: 'ingest-worker', level: env.LOG_LEVEL });
  const connections = connectPipeline({ databaseUrl: env.DATABASE_URL, redisUrl: env.REDIS_URL, keyPrefix: env.ASSAY_KEY_PREFIX, logger });
  const ingest = {
    prisma: connections.prisma,
    pipeline: connections.pipeline,
    blobs: await createBlobStore(blobStoreConfigFromEnv(env, env.ASSAY_DATA_DIR), { logger }),
  };

  const metrics = new ServiceMetrics({ service: 'ingest-worker' });
  metrics.observeQueueDepth(async () => ({ ingest: await connections.queues.depth('ingest') }));
  const workers = new WorkerRegistry({
    redisUrl: env.REDIS_URL,
    prefix: env.ASSAY_KEY_PREFIX,
    logger,
    onJobFinished: (queue, outcome, durationMs) => metrics.recordJob(queue, outcome, durationMs),
  });
  workers.register('ingest', ingestProcessor(ingest), {
    concurrency: env.ASSAY_INGEST_CONCURRENCY,
    onFinalFailure: ingestFailureHandler(ingest),
  });

  const metricsServer = await startMetricsServer(env, metrics, logger);
  installShutdownHandler({
    logger,
    steps: [
      { name: 'finish running jobs', run: () => workers.close() },
      { name: 'disconnect', run: () => connections.close() },
      { name: 'stop serving metrics', run: async () => metricsServer?.close() },
    ],
  });
  await workers.waitUntilReady();
  logger.info({ concurrency: env.ASSAY_INGEST_CONCURRENCY }, 'ingest worker ready');
}

runService('ingest-worker', main);
