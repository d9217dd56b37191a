import http from 'node:http';
import path from 'node:path';
import { createPrismaClient } from '@assay/db';
import { ChatEventLog, ChatEventSubscriber } from '@assay/events';
import { installShutdownHandler, runService } from '@assay/lifecycle';
import { createLogger } from '@assay/logger';
import { MessagePipeline } from '@assay/pipeline';
import { JobQueues } from '@assay/queue';
import { LocalBlobStore } from '@assay/storage';
import { Redis } from 'ioredis';
import { createGatewayApp } from './app';
import { loadEnv } from './env';
import { EventSocketServer } from './ws/event-socket-server';

/** Composition root of the gateway process. */
async function main(): Promise<void> {
  const env = loadEnv();
  const logger = createLogger({ name: 'gateway', level: env.LOG_LEVEL });

  const prisma = createPrismaClient(env.DATABASE_URL);
  const redis = new Redis(env.REDIS_URL);
  const queues = new JobQueues({ redisUrl: env.REDIS_URL, prefix: env.ASSAY_KEY_PREFIX });
  const events = new ChatEventLog({ redis, prefix: env.ASSAY_KEY_PREFIX });
  const subscriber = new ChatEventSubscriber({ log: events, subscriberRedis: redis.duplicate(), logger });
  const pipeline = new MessagePipeline({ prisma, queues, events, logger });
  const blobs = new LocalBlobStore({ rootDir: path.join(env.ASSAY_DATA_DIR, 'blobs') });

  const app = createGatewayApp({
    prisma,
    redis,
    queues,
    pipeline,
    blobs,
    logger,
    limits: {
      maxUploadBytes: env.ASSAY_MAX_UPLOAD_BYTES,
      maxJsonBytes: env.ASSAY_MAX_JSON_BYTES,
      maxPendingMessagesPerChat: env.ASSAY_MAX_PENDING_MESSAGES_PER_CHAT,
    },
  });
  const server = http.createServer(app);
  const sockets = new EventSocketServer({
    prisma,
    log: events,
    subscriber,
    logger,
    heartbeatMs: env.ASSAY_WS_HEARTBEAT_MS,
    maxBufferedBytes: env.ASSAY_WS_MAX_BUFFERED_BYTES,
  });
  sockets.attach(server);

  installShutdownHandler({
    logger,
    steps: [
      { name: 'stop accepting connections', run: () => closeServer(server) },
      { name: 'close websockets', run: () => sockets.close() },
      { name: 'close event subscriber', run: () => subscriber.close() },
      { name: 'close queues', run: () => queues.close() },
      { name: 'disconnect redis', run: async () => void (await redis.quit()) },
      { name: 'disconnect postgres', run: () => prisma.$disconnect() },
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

/** Stops accepting connections and waits for in-flight HTTP requests to finish. */
function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

runService('gateway', main);
