import http from 'node:http';
import { ChatEventSubscriber, KernelControl } from '@assay/events';
import { installShutdownHandler, runService } from '@assay/lifecycle';
import { createLogger } from '@assay/logger';
import { ServiceMetrics } from '@assay/metrics';
import { connectPipeline } from '@assay/pipeline';
import { QueueName } from '@assay/queue';
import { QuotaLimiter } from '@assay/quota';
import { blobStoreConfigFromEnv, createBlobStore } from '@assay/storage';
import { createGatewayApp } from './app';
import { ApiKeyCache } from './http/api-key-cache';
import { loadEnv } from './env';
import { QuotaGuard } from './http/quota-guard';
import { SessionLimit } from './http/session-limit';
import { TenantLimitsSource } from './http/tenant-limits';
import { EventSocketServer } from './ws/event-socket-server';

/** Composition root of the gateway process. */
async function main(): Promise<void> {
  const env = loadEnv();
  const logger = createLogger({ name: 'gateway', level: env.LOG_LEVEL });

  const connections = connectPipeline({
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    keyPrefix: env.ASSAY_KEY_PREFIX,
    kernelIdleTtlMs: env.ASSAY_KERNEL_IDLE_TTL_MS,
    logger,
  });
  const { prisma, redis, queues, events, pipeline, sessions } = connections;
  const subscriber = new ChatEventSubscriber({ log: events, subscriberRedis: redis.duplicate(), logger });
  const blobs = await createBlobStore(blobStoreConfigFromEnv(env, env.ASSAY_DATA_DIR), { logger });

  const metrics = new ServiceMetrics({ service: 'gateway' });
  // Depths of the shared queues, read from Redis at each scrape (any gateway replica reports them).
  metrics.observeQueueDepth(async () =>
    Object.fromEntries(await Promise.all(Object.values(QueueName).map(async (name) => [name, await queues.depth(name)] as const))),
  );

  const tenantLimits = new TenantLimitsSource({
    prisma,
    defaults: {
      uploadsPerHour: env.ASSAY_QUOTA_UPLOADS_PER_HOUR,
      executionsPerHour: env.ASSAY_QUOTA_EXECUTIONS_PER_HOUR,
      sessions: env.ASSAY_MAX_SESSIONS_PER_TENANT,
      tokensPerDay: env.ASSAY_QUOTA_TOKENS_PER_DAY,
    },
    logger,
  });

  const apiKeys = new ApiKeyCache({ prisma, logger, ttlMs: env.ASSAY_API_KEY_CACHE_TTL_MS });
  const revocationSubscriber = redis.duplicate();
  await apiKeys.listen(revocationSubscriber, env.ASSAY_KEY_PREFIX);

  const app = createGatewayApp({
    prisma,
    redis,
    queues,
    pipeline,
    events,
    control: new KernelControl({ redis, prefix: env.ASSAY_KEY_PREFIX }),
    sessions,
    sessionLimit: new SessionLimit({
      registry: sessions,
      maxSessionsPerTenant: env.ASSAY_MAX_SESSIONS_PER_TENANT,
      maxSessionsFor: async (tenantId) => (await tenantLimits.limitsOf(tenantId)).sessions,
      idleTtlMs: env.ASSAY_KERNEL_IDLE_TTL_MS,
    }),
    quota: new QuotaGuard({
      limiter: new QuotaLimiter({ redis, prefix: env.ASSAY_KEY_PREFIX }),
      limits: tenantLimits,
      logger,
    }),
    metrics,
    blobs,
    logger,
    apiKeys,
    admin: { token: env.ASSAY_ADMIN_TOKEN, keyPrefix: env.ASSAY_KEY_PREFIX },
    idempotencyRetentionMs: env.ASSAY_IDEMPOTENCY_RETENTION_MS,
    limits: {
      maxUploadBytes: env.ASSAY_MAX_UPLOAD_BYTES,
      maxJsonBytes: env.ASSAY_MAX_JSON_BYTES,
      maxPendingMessagesPerChat: env.ASSAY_MAX_PENDING_MESSAGES_PER_CHAT,
      maxFilesPerChat: env.ASSAY_MAX_FILES_PER_CHAT,
      defaultStorageQuotaBytes: env.ASSAY_STORAGE_QUOTA_BYTES,
    },
  });
  const server = http.createServer(app);
  const sockets = new EventSocketServer({
    prisma,
    apiKeys,
    log: events,
    subscriber,
    logger,
    heartbeatMs: env.ASSAY_WS_HEARTBEAT_MS,
    maxBufferedBytes: env.ASSAY_WS_MAX_BUFFERED_BYTES,
  });
  sockets.attach(server);

  // Upgraded WebSocket connections count as open connections of the HTTP server: the server's
  // close completes only once they are closed too, so it is awaited after closing them.
  let serverClosed: Promise<void> = Promise.resolve();
  installShutdownHandler({
    logger,
    steps: [
      { name: 'stop accepting connections', run: async () => void (serverClosed = closeServer(server)) },
      { name: 'close websockets', run: () => sockets.close() },
      { name: 'finish in-flight requests', run: () => serverClosed },
      { name: 'close event subscriber', run: () => subscriber.close() },
      { name: 'close API key revocation subscriber', run: async () => void (await revocationSubscriber.quit()) },
      { name: 'disconnect', run: () => connections.close() },
    ],
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(env.PORT, env.HOST, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : env.PORT;
  logger.info({ url: `http://${env.HOST}:${port}` }, 'gateway listening');
}

/** How often idle keep-alive connections are closed while the server drains. */
const IDLE_SWEEP_MS = 100;

/**
 * Stops accepting connections and resolves once in-flight HTTP requests have finished. A
 * keep-alive connection becomes idle when its last response is sent; it is closed then (swept
 * every {@link IDLE_SWEEP_MS}) rather than when the client's keep-alive would expire.
 */
function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    server.close(() => {
      clearInterval(sweep);
      resolve();
    });
    server.closeIdleConnections();
  });
}

runService('gateway', main);
