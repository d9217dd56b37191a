import { createCodegenProvider, defaultCodegenConfig, type CodegenConfig, type CodegenUsage } from '@assay/codegen';
import { installShutdownHandler, runService } from '@assay/lifecycle';
import { createLogger } from '@assay/logger';
import { ServiceMetrics, startMetricsServer } from '@assay/metrics';
import { connectPipeline } from '@assay/pipeline';
import { WorkerRegistry } from '@assay/queue';
import { QuotaLimiter } from '@assay/quota';
import { codegenFailureHandler, codegenProcessor } from './codegen-processor';
import { loadEnv, type CodegenWorkerEnv } from './env';
import { repairFailureHandler, repairProcessor } from './repair-processor';

/** Composition root of the codegen worker process. */
async function main(): Promise<void> {
  const env = loadEnv();
  const logger = createLogger({ name: 'codegen-worker', level: env.LOG_LEVEL });
  const provider = createCodegenProvider(codegenConfig(env), { logger });

  const { prisma, redis, events, pipeline, queues, ...connections } = connectPipeline({
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    keyPrefix: env.ASSAY_KEY_PREFIX,
    logger,
  });

  const quota = new QuotaLimiter({ redis, prefix: env.ASSAY_KEY_PREFIX });
  const metrics = new ServiceMetrics({ service: 'codegen-worker' });
  metrics.observeQueueDepth(async () => ({ codegen: await queues.depth('codegen') }));
  const workers = new WorkerRegistry({
    redisUrl: env.REDIS_URL,
    prefix: env.ASSAY_KEY_PREFIX,
    logger,
    onJobFinished: (queue, outcome, durationMs) => metrics.recordJob(queue, outcome, durationMs),
  });
  // Every token the model read or wrote counts towards the tenant's daily quota (the gateway checks it).
  const onUsage = async (tenantId: string, usage: CodegenUsage, model: string | undefined) => {
    metrics.recordTokens(model ?? provider.name, {
      input: usage.inputTokens,
      output: usage.outputTokens,
      cacheRead: usage.cacheReadTokens,
      cacheCreation: usage.cacheCreationTokens,
    });
    await quota.recordTokens(tenantId, totalTokens(usage));
  };
  workers.register(
    'codegen',
    codegenProcessor({
      prisma,
      provider,
      events,
      pipeline,
      deltaFlushMs: env.ASSAY_CODEGEN_DELTA_FLUSH_MS,
      privacyLevel: env.ASSAY_PRIVACY_LEVEL,
      auditMode: env.ASSAY_CODEGEN_AUDIT,
      onUsage,
    }),
    { concurrency: env.ASSAY_CODEGEN_CONCURRENCY, onFinalFailure: codegenFailureHandler({ pipeline }) },
  );
  workers.register(
    'repair',
    repairProcessor({
      prisma,
      provider,
      events,
      pipeline,
      maxAttempts: env.ASSAY_REPAIR_MAX_ATTEMPTS,
      privacyLevel: env.ASSAY_PRIVACY_LEVEL,
      auditMode: env.ASSAY_CODEGEN_AUDIT,
      onUsage,
    }),
    { concurrency: env.ASSAY_CODEGEN_CONCURRENCY, onFinalFailure: repairFailureHandler({ pipeline, prisma }) },
  );

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
  logger.info({ provider: provider.name, concurrency: env.ASSAY_CODEGEN_CONCURRENCY }, 'codegen worker ready');
}

/** Tokens of one generation, cached prompt reads and writes included (the provider bills them too). */
function totalTokens(usage: CodegenUsage): number {
  return usage.inputTokens + usage.outputTokens + (usage.cacheReadTokens ?? 0) + (usage.cacheCreationTokens ?? 0);
}

/** The provider settings the environment asks for. */
function codegenConfig(env: CodegenWorkerEnv): CodegenConfig {
  const provider = env.CODEGEN_PROVIDER ?? defaultCodegenConfig(env.ANTHROPIC_API_KEY).provider;
  const shared = {
    ...(env.CODEGEN_TEMPERATURE === undefined ? {} : { temperature: env.CODEGEN_TEMPERATURE }),
    ...(env.ASSAY_CODEGEN_CONTEXT_TOKENS === undefined ? {} : { contextTokenBudget: env.ASSAY_CODEGEN_CONTEXT_TOKENS }),
  };
  switch (provider) {
    case 'anthropic':
      return {
        provider,
        apiKey: env.ANTHROPIC_API_KEY ?? '',
        ...(env.ANTHROPIC_MODEL === undefined ? {} : { model: env.ANTHROPIC_MODEL }),
        ...(env.ANTHROPIC_BASE_URL === undefined ? {} : { baseURL: env.ANTHROPIC_BASE_URL }),
        ...(env.ANTHROPIC_MAX_TOKENS === undefined ? {} : { maxTokens: env.ANTHROPIC_MAX_TOKENS }),
        ...shared,
      };
    case 'openai':
      return {
        provider,
        baseURL: env.OPENAI_BASE_URL ?? '',
        model: env.OPENAI_MODEL ?? '',
        ...(env.OPENAI_API_KEY === undefined ? {} : { apiKey: env.OPENAI_API_KEY }),
        ...(env.OPENAI_MAX_TOKENS === undefined ? {} : { maxTokens: env.OPENAI_MAX_TOKENS }),
        ...shared,
      };
    case 'offline':
    case 'scripted':
      return { provider };
  }
}

runService('codegen-worker', main);
