import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { installShutdownHandler, runService } from '@assay/lifecycle';
import { createLogger } from '@assay/logger';
import { ServiceMetrics, startMetricsServer } from '@assay/metrics';
import { KernelControl } from '@assay/events';
import { connectPipeline } from '@assay/pipeline';
import { WorkerRegistry, replicaQueueName } from '@assay/queue';
import { blobStoreConfigFromEnv, createBlobStore } from '@assay/storage';
import { ArtifactCollector } from './artifact-collector';
import { loadEnv } from './env';
import { CellRunner } from './cell-runner';
import { executeFailureHandler, executeProcessor } from './execute-processor';
import { notebookFailureHandler, notebookProcessor } from './notebook-processor';
import { KernelSessions } from './kernel-sessions';
import { ReplicaPresence } from './replica-presence';
import { createSandboxSlots } from './sandbox-backend';
import { WarmPool } from './warm-pool';

/** Composition root of the executor worker process. */
async function main(): Promise<void> {
  const env = loadEnv();
  const logger = createLogger({ name: 'executor-worker', level: env.LOG_LEVEL });

  const { prisma, redis, events, pipeline, queues, sessions: registry, ...connections } = connectPipeline({
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    keyPrefix: env.ASSAY_KEY_PREFIX,
    kernelIdleTtlMs: env.ASSAY_KERNEL_IDLE_TTL_MS,
    logger,
  });
  const blobs = await createBlobStore(blobStoreConfigFromEnv(env, env.ASSAY_DATA_DIR), { logger });
  const slots = createSandboxSlots(env, blobs, logger);
  const pool = new WarmPool({ slots, size: env.ASSAY_WARM_POOL_SIZE, logger });
  // Unique per process, readable in the registry: which host and process holds a chat's kernel.
  const executorId = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const sessions = new KernelSessions({
    slots,
    pool,
    idleTtlMs: env.ASSAY_KERNEL_IDLE_TTL_MS,
    maxSessions: env.ASSAY_MAX_SESSIONS,
    registry,
    executorId,
    logger,
  });
  pool.start();

  const metrics = new ServiceMetrics({ service: 'executor-worker' });
  metrics.observeActiveSessions(() => sessions.size);
  // The shared queues plus this replica's own (work for the chats whose kernels it holds).
  metrics.observeQueueDepth(async () => ({
    execute: await queues.depth('execute'),
    notebook: await queues.depth('notebook'),
    [replicaQueueName('execute', executorId)]: await queues.depth('execute', executorId),
    [replicaQueueName('notebook', executorId)]: await queues.depth('notebook', executorId),
  }));
  const workers = new WorkerRegistry({
    redisUrl: env.REDIS_URL,
    prefix: env.ASSAY_KEY_PREFIX,
    logger,
    onJobFinished: (queue, outcome, durationMs) => metrics.recordJob(queue, outcome, durationMs),
  });
  const artifacts = new ArtifactCollector({
    blobs,
    events,
    limits: { maxBytes: env.ASSAY_MAX_ARTIFACT_BYTES, maxPerCell: env.ASSAY_MAX_ARTIFACTS_PER_CELL },
  });
  const cells = new CellRunner({ events, artifacts, cellTimeoutMs: env.ASSAY_CELL_TIMEOUT_MS });
  // Each routed queue twice: the shared one, and this replica's own (work for chats whose kernel it holds).
  for (const replica of [undefined, executorId]) {
    workers.register('execute', executeProcessor({ prisma, sessions, events, pipeline, cells, cellTimeoutMs: env.ASSAY_CELL_TIMEOUT_MS }), {
      concurrency: env.ASSAY_EXECUTOR_CONCURRENCY,
      onFinalFailure: executeFailureHandler({ pipeline }),
      replica,
    });
    workers.register('notebook', notebookProcessor({ prisma, sessions, events, cells, cellTimeoutMs: env.ASSAY_CELL_TIMEOUT_MS }), {
      concurrency: env.ASSAY_EXECUTOR_CONCURRENCY,
      onFinalFailure: notebookFailureHandler({ prisma }),
      replica,
    });
  }
  const presence = new ReplicaPresence({ executorId, registry, queues, heartbeatMs: env.ASSAY_EXECUTOR_HEARTBEAT_MS, logger });
  // Interrupts bypass the queues: they must reach a kernel while its cell still runs.
  const stopListening = await new KernelControl({ redis, prefix: env.ASSAY_KEY_PREFIX }).listen(
    (signal) => {
      const session = sessions.peek(signal.chatId);
      if (session === undefined) return;
      logger.info({ tenantId: signal.tenantId, chatId: signal.chatId }, 'interrupting the running cell on request');
      session.sandbox.interrupt().catch((error: unknown) => logger.warn({ err: error, chatId: signal.chatId }, 'interrupt failed'));
    },
    (raw) => logger.warn({ length: raw.length }, 'ignoring a malformed kernel signal'),
  );

  const metricsServer = await startMetricsServer(env, metrics, logger);
  installShutdownHandler({
    logger,
    steps: [
      { name: 'stop listening for interrupts', run: () => stopListening() },
      { name: 'finish running jobs', run: () => workers.close() },
      { name: 'hand queued work to other replicas', run: () => presence.stop() },
      { name: 'shut down kernels', run: () => sessions.closeAll() },
      { name: 'disconnect', run: () => connections.close() },
      { name: 'stop serving metrics', run: async () => metricsServer?.close() },
    ],
  });
  await workers.waitUntilReady();
  await presence.start();
  logger.info({ backend: env.ASSAY_SANDBOX_BACKEND, concurrency: env.ASSAY_EXECUTOR_CONCURRENCY, executorId, maxSessions: env.ASSAY_MAX_SESSIONS }, 'executor worker ready');
}

runService('executor-worker', main);
