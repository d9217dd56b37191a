import path from 'node:path';
import { installShutdownHandler, runService } from '@assay/lifecycle';
import { createLogger } from '@assay/logger';
import { connectPipeline } from '@assay/pipeline';
import { WorkerRegistry } from '@assay/queue';
import { DEFAULT_STARTUP_CODE, LocalSandboxBackend } from '@assay/sandbox';
import { blobStoreConfigFromEnv, createBlobStore } from '@assay/storage';
import { ArtifactCollector } from './artifact-collector';
import { loadEnv } from './env';
import { executeFailureHandler, executeProcessor } from './execute-processor';
import { KernelSessions } from './kernel-sessions';
import { SandboxSlots } from './sandbox-slots';
import { WarmPool } from './warm-pool';

/** Imported by every kernel before its first cell, so that cells (nearly all use them) start at once. */
const PRELOAD_CODE = 'import numpy, pandas, matplotlib.pyplot';

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
  const backend = new LocalSandboxBackend({
    pythonPath: env.ASSAY_PYTHON,
    memoryLimitBytes: env.ASSAY_SANDBOX_MEMORY_BYTES,
    startupCode: env.ASSAY_KERNEL_PRELOAD ? `${DEFAULT_STARTUP_CODE}\n${PRELOAD_CODE}\n` : DEFAULT_STARTUP_CODE,
    logger,
  });
  const slots = new SandboxSlots({ backend, workspacesDir: path.join(env.ASSAY_DATA_DIR, 'workspaces'), logger });
  const pool = new WarmPool({ slots, size: env.ASSAY_WARM_POOL_SIZE, logger });
  const sessions = new KernelSessions({ slots, pool, blobs, idleTtlMs: env.ASSAY_KERNEL_IDLE_TTL_MS, logger });
  pool.start();

  const workers = new WorkerRegistry({ redisUrl: env.REDIS_URL, prefix: env.ASSAY_KEY_PREFIX, logger });
  const artifacts = new ArtifactCollector({
    blobs,
    events,
    limits: { maxBytes: env.ASSAY_MAX_ARTIFACT_BYTES, maxPerCell: env.ASSAY_MAX_ARTIFACTS_PER_CELL },
  });
  workers.register('execute', executeProcessor({ prisma, sessions, events, pipeline, artifacts, cellTimeoutMs: env.ASSAY_CELL_TIMEOUT_MS }), {
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
