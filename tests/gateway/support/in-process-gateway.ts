import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '@assay/db';
import { KernelControl } from '@assay/events';
import { createLogger, type Logger } from '@assay/logger';
import { ServiceMetrics } from '@assay/metrics';
import { connectPipeline } from '@assay/pipeline';
import { QuotaLimiter } from '@assay/quota';
import { createBlobStore, type BlobStore } from '@assay/storage';
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import { createGatewayApp } from '../../../services/gateway/src/app';
import { ApiKeyCache } from '../../../services/gateway/src/http/api-key-cache';
import { QuotaGuard } from '../../../services/gateway/src/http/quota-guard';
import { SessionLimit } from '../../../services/gateway/src/http/session-limit';
import { TenantLimitsSource } from '../../../services/gateway/src/http/tenant-limits';
import { testEnvironment } from '../../support/test-environment';

/** Options of {@link startGateway}. */
export interface InProcessGatewayOptions {
  /** ASSAY_ADMIN_TOKEN; undefined: the admin API is off. */
  adminToken?: string;
  /** ASSAY_API_KEY_CACHE_TTL_MS. @defaultValue 30_000 */
  apiKeyCacheTtlMs?: number;
  /** ASSAY_IDEMPOTENCY_RETENTION_MS. @defaultValue 24 hours */
  idempotencyRetentionMs?: number;
  /** Share another gateway's key prefix (a second replica of the same deployment). */
  keyPrefix?: string;
}

/** A gateway app built in this process with real PostgreSQL, Redis and a local blob store (no workers). */
export interface InProcessGateway {
  app: Express;
  baseUrl: string;
  prisma: PrismaClient;
  redis: Redis;
  blobs: BlobStore;
  /** Holds the local blob store (`blobs/`). */
  dataDir: string;
  keyPrefix: string;
  /** Every log line the gateway wrote, parsed. */
  logs: Array<Record<string, unknown>>;
  /** The logger writing them. */
  logsLogger: Logger;
  close(): Promise<void>;
}

/**
 * The gateway's HTTP API composed as main.ts does it, listening on an ephemeral port. Faster than
 * the built ServiceStack for tests of routes, auth and the admin API, which need no workers.
 */
export async function startGateway(options: InProcessGatewayOptions = {}): Promise<InProcessGateway> {
  const environment = testEnvironment();
  const keyPrefix = options.keyPrefix ?? `${environment.keyPrefix}-gw-${randomUUID().slice(0, 8)}`;
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    name: 'gateway',
    level: 'debug',
    destination: { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const connections = connectPipeline({ databaseUrl: environment.databaseUrl, redisUrl: environment.redisUrl, keyPrefix, logger });
  const { prisma, redis, queues, events, pipeline, sessions } = connections;
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'assay-gw-'));
  const blobs = await createBlobStore({ kind: 'local', rootDir: path.join(dataDir, 'blobs') }, { logger });
  const tenantLimits = new TenantLimitsSource({
    prisma,
    defaults: { uploadsPerHour: 1000, executionsPerHour: 1000, sessions: 10, tokensPerDay: 1_000_000 },
    logger,
  });
  const apiKeys = new ApiKeyCache({ prisma, logger, ttlMs: options.apiKeyCacheTtlMs ?? 30_000 });
  const revocationSubscriber = redis.duplicate();
  await apiKeys.listen(revocationSubscriber, keyPrefix);

  const app = createGatewayApp({
    prisma,
    redis,
    queues,
    pipeline,
    events,
    control: new KernelControl({ redis, prefix: keyPrefix }),
    sessions,
    sessionLimit: new SessionLimit({
      registry: sessions,
      maxSessionsPerTenant: 10,
      maxSessionsFor: async (tenantId) => (await tenantLimits.limitsOf(tenantId)).sessions,
      idleTtlMs: 60_000,
    }),
    quota: new QuotaGuard({ limiter: new QuotaLimiter({ redis, prefix: keyPrefix }), limits: tenantLimits, logger }),
    metrics: new ServiceMetrics({ service: 'gateway', processMetrics: false }),
    blobs,
    logger,
    apiKeys,
    admin: { token: options.adminToken, keyPrefix },
    ...(options.idempotencyRetentionMs === undefined ? {} : { idempotencyRetentionMs: options.idempotencyRetentionMs }),
    limits: {
      maxUploadBytes: 10 * 1024 * 1024,
      maxJsonBytes: 1024 * 1024,
      maxPendingMessagesPerChat: 20,
      maxFilesPerChat: 5,
      defaultStorageQuotaBytes: 1024 ** 3,
    },
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;

  return {
    app,
    baseUrl: `http://127.0.0.1:${port}`,
    prisma,
    redis,
    blobs,
    dataDir,
    keyPrefix,
    logs,
    logsLogger: logger,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await revocationSubscriber.quit();
      await connections.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
