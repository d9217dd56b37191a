import type { PrismaClient } from '@assay/db';
import type { ChatEventLog, KernelControl, SessionRegistry } from '@assay/events';
import type { Logger } from '@assay/logger';
import type { MessagePipeline } from '@assay/pipeline';
import type { ServiceMetrics } from '@assay/metrics';
import type { JobQueues } from '@assay/queue';
import type { BlobStore } from '@assay/storage';
import express, { type Express } from 'express';
import type { Redis } from 'ioredis';
import { accessLog } from './http/access-log';
import { requireApiKey, type ApiKeyAuthenticator } from './http/auth';
import { adminRoutes } from './http/routes/admin';
import { errorHandler, unknownRoute } from './http/errors';
import { idempotencyKeys } from './http/idempotency';
import { openApiDocument } from './http/openapi';
import { artifactRoutes } from './http/routes/artifacts';
import { OperationJournal } from './http/operation-journal';
import { batchItemCount, batchRoutes } from './http/routes/batches';
import { jobRoutes } from './http/routes/jobs';
import { chatRoutes } from './http/routes/chats';
import { fileRoutes } from './http/routes/files';
import { healthRoutes } from './http/routes/health';
import { messageRoutes } from './http/routes/messages';
import { notebookRoutes } from './http/routes/notebook';
import { notebookExportRoutes } from './http/routes/notebook-export';
import { usageRoutes } from './http/routes/usage';
import { httpMetrics, metricsRoute } from './http/metrics';
import type { QuotaGuard } from './http/quota-guard';
import type { SessionLimit } from './http/session-limit';

/** Everything the HTTP API needs; built by main.ts (or a test). */
export interface GatewayAppOptions {
  prisma: PrismaClient;
  redis: Redis;
  queues: JobQueues;
  pipeline: MessagePipeline;
  /** Where edits to the notebook are announced. */
  events: ChatEventLog;
  /** Signals to kernels (interrupt). */
  control: KernelControl;
  /** Which executor holds which chat's kernel: notebook operations go to that replica. */
  sessions: SessionRegistry;
  /** The per-tenant limit on live kernels. */
  sessionLimit: SessionLimit;
  /** Per-tenant rate quotas (uploads, executions, tokens), counted before a route creates anything. */
  quota: QuotaGuard;
  /** Where request latencies go; also served at `GET /metrics`. */
  metrics: ServiceMetrics;
  blobs: BlobStore;
  logger: Logger;
  /** Where API keys are resolved (the gateway's ApiKeyCache); without it, PostgreSQL on every request. */
  apiKeys?: ApiKeyAuthenticator;
  /** The admin API (`/admin/v1`); without a token it is not served (404) and a log line says so. */
  admin?: { token: string | undefined; keyPrefix: string };
  /** How long answers to requests with an Idempotency-Key are replayed. @defaultValue 24 hours */
  idempotencyRetentionMs?: number;
  limits: {
    maxUploadBytes: number;
    maxJsonBytes: number;
    maxPendingMessagesPerChat: number;
    maxFilesPerChat: number;
    defaultStorageQuotaBytes: number;
  };
}

/** The HTTP API as an express app (the WebSocket endpoint is attached to the server separately). */
export function createGatewayApp(options: GatewayAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);

  app.use(httpMetrics(options.metrics));
  app.get('/metrics', metricsRoute(options.metrics));
  app.use(healthRoutes({ prisma: options.prisma, redis: options.redis, blobs: options.blobs }));
  app.use(accessLog(options.logger));

  if (options.admin?.token !== undefined) {
    app.use(
      '/admin/v1',
      express.json({ limit: options.limits.maxJsonBytes }),
      adminRoutes({ prisma: options.prisma, redis: options.redis, keyPrefix: options.admin.keyPrefix, token: options.admin.token, logger: options.logger }),
    );
  } else {
    options.logger.info('admin API disabled: set ASSAY_ADMIN_TOKEN to serve /admin/v1');
  }

  // Public: clients generate code and check requests against it before they have a key.
  const openApi = openApiDocument();
  app.get('/v1/openapi.json', (_req, res) => {
    res.json(openApi);
  });

  const v1 = express.Router();
  v1.use(requireApiKey(options.prisma, options.apiKeys));
  v1.use(express.json({ limit: options.limits.maxJsonBytes }));
  // Before the quotas: a replayed answer does no work, so it must not count.
  v1.post(
    ['/chats', '/chats/:chatId/messages', '/batches', '/chats/:chatId/cells/:cellId/run', '/chats/:chatId/run-all'],
    idempotencyKeys({ logger: options.logger, ...(options.idempotencyRetentionMs === undefined ? {} : { retentionMs: options.idempotencyRetentionMs }) }),
  );
  v1.post('/files', options.quota.consume('uploads'));
  v1.post('/chats/:chatId/messages', options.quota.requireAvailable('tokens'), options.quota.consume('executions'));
  v1.post(['/chats/:chatId/cells/:cellId/run', '/chats/:chatId/run-all'], options.quota.consume('executions'));
  // A batch counts one execution per item (an unreadable body counts one; the route then refuses it).
  v1.post('/batches', options.quota.requireAvailable('tokens'), options.quota.consume('executions', batchItemCount));
  v1.use(
    '/files',
    fileRoutes({
      queues: options.queues,
      blobs: options.blobs,
      logger: options.logger,
      maxUploadBytes: options.limits.maxUploadBytes,
      defaultStorageQuotaBytes: options.limits.defaultStorageQuotaBytes,
      idempotency: { logger: options.logger, ...(options.idempotencyRetentionMs === undefined ? {} : { retentionMs: options.idempotencyRetentionMs }) },
    }),
  );
  v1.use(
    '/chats',
    chatRoutes({
      pipeline: options.pipeline,
      maxPendingMessagesPerChat: options.limits.maxPendingMessagesPerChat,
      maxFilesPerChat: options.limits.maxFilesPerChat,
      sessionLimit: options.sessionLimit,
    }),
  );
  const operations = new OperationJournal({ redis: options.redis, prefix: options.events.prefix });
  v1.use('/chats/:chatId', notebookRoutes({
      operations,
      queues: options.queues,
      events: options.events,
      control: options.control,
      sessions: options.sessions,
      sessionLimit: options.sessionLimit,
    }));
  v1.use('/chats/:chatId', notebookExportRoutes());
  v1.use('/jobs', jobRoutes({ operations }));
  v1.use('/artifacts', artifactRoutes({ blobs: options.blobs, logger: options.logger }));
  v1.use('/messages', messageRoutes());
  v1.use('/batches', batchRoutes({ pipeline: options.pipeline, maxFilesPerChat: options.limits.maxFilesPerChat, logger: options.logger }));
  v1.use('/usage', usageRoutes({ quota: options.quota }));
  app.use('/v1', v1);

  app.use(unknownRoute);
  app.use(errorHandler(options.logger));
  return app;
}
