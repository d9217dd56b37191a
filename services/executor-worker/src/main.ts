import path from 'node:path';
import { installShutdownHandler, runService } from '@assay/lifecycle';
import { createLogger } from '@assay/logger';
import { connectPipeline } from '@assay/pipeline';
import { WorkerRegistry } from '@assay/queue';
import { LocalSandboxBackend } from '@assay/sandbox';
import { blobStoreConfigFromEnv, createBlobStore } from '@assay/storage';
import { loadEnv } from './env';
import { executeFailureHandler, executeProcessor } from './execute-processor';
import { KernelSessions } from './kernel-sessions';

/** Composition root of the executor worker process. */
async function main(): Promise<void> {
  const env = loadEnv();
  const logger = createLogger({ name: 'executor-worker', level: env.LOG_LEVEL });

  const { prisma, events, pipeline, ...connections } = connectPipeline({
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    keyPrefix: env.ASSAY_KEY_PREFIX,
    logger,
  });
  const blobs = await createBlobStore(blobStoreConfigFromEnv(env, env.ASSAY_DATA_DIR), { logger });
  const sessions = new KernelSessions({
    backend: new LocalSandboxBackend({ pythonPath: env.ASSAY_PYTHON, memoryLimitBytes: env.ASSAY_SANDBOX_MEMORY_BYTES, logger }),
    blobs,
    workspacesDir: path.join(env.ASSAY_DATA_DIR, 'workspaces'),
    idleTtlMs: env.ASSAY_KERNEL_IDLE_TTL_MS,
    logger,
  });

  const workers = new WorkerRegistry({ redisUrl: env.REDIS_URL, prefix: env.ASSAY_KEY_PREFIX, logger });
  workers.register('execute', executeProcessor({ prisma, sessions, events, pipeline, cellTimeoutMs: env.ASSAY_CELL_TIMEOUT_MS }), {
    concurrency: env.ASSAY_EXECUTOR_CONCURRENCY,
    onFinalFailure: executeFailureHandler({ pipeline }),
  });

  installShutdownHandler({
    logger,
    steps: [
      { name: 'finish running jobs', run: () => workers.close() },
      { name: 'shut down kernels', run: () => sessions.closeAll() },
      { name: 'disconnect', run: () => connections.close() },
    ],
  });
  await workers.waitUntilReady();
  logger.info({ concurrency: env.ASSAY_EXECUTOR_CONCURRENCY }, 'executor worker ready');
}

runService('executor-worker', main);
