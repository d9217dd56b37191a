import { ByteSizeEnv, CoreEnv, PositiveIntEnv, parseEnv } from '@assay/config';
import { StorageEnv, refineStorageEnv } from '@assay/storage';
import { z } from 'zod';

/** The gateway's settings, read once at start-up. */
export const GatewayEnv = CoreEnv.extend(StorageEnv.shape).extend({
  // HTTP
  /** Port of the HTTP and WebSocket server. */
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  /** Interface to listen on; 0.0.0.0 in containers. */
  HOST: z.string().default('127.0.0.1'),

  // Limits
  /** Largest accepted upload (bytes, or a size such as 50MB). */
  ASSAY_MAX_UPLOAD_BYTES: ByteSizeEnv.default(50 * 1024 * 1024),
  /** Largest accepted JSON request body. */
  ASSAY_MAX_JSON_BYTES: ByteSizeEnv.default(1024 * 1024),
  /** Messages of one chat that may wait or run at once; past it, posting answers 429. */
  ASSAY_MAX_PENDING_MESSAGES_PER_CHAT: PositiveIntEnv.default(20),
  /** Chats of one tenant that may hold a live kernel at once; past it, new work answers 429. */
  ASSAY_MAX_SESSIONS_PER_TENANT: PositiveIntEnv.default(10),
  /** Idle TTL of kernels (same value as the executors'): how long a chat's session counts. */
  ASSAY_KERNEL_IDLE_TTL_MS: PositiveIntEnv.default(30 * 60_000),
  /** Uploads a tenant may make per hour unless its `limits.uploadsPerHour` says otherwise; past it, 429. */
  ASSAY_QUOTA_UPLOADS_PER_HOUR: z.coerce.number().int().nonnegative().default(200),
  /** Messages plus cell runs a tenant may start per hour unless its `limits.executionsPerHour` says otherwise. */
  ASSAY_QUOTA_EXECUTIONS_PER_HOUR: z.coerce.number().int().nonnegative().default(600),
  /** Model tokens (input + output) a tenant may use per day unless its `limits.tokensPerDay` says otherwise. */
  ASSAY_QUOTA_TOKENS_PER_DAY: z.coerce.number().int().nonnegative().default(2_000_000),
  /** Distinct files one chat may use over all its messages; past it, posting answers 422. */
  ASSAY_MAX_FILES_PER_CHAT: PositiveIntEnv.default(5),
  /** Bytes a tenant may keep in storage (same content counted once) unless it has its own quota. */
  ASSAY_STORAGE_QUOTA_BYTES: ByteSizeEnv.default(10 * 1024 ** 3),

  // Administration and auth
  /** Bearer token of the admin API (`/admin/v1`); unset: the admin API is not served. */
  ASSAY_ADMIN_TOKEN: z.string().min(16, 'ASSAY_ADMIN_TOKEN must be at least 16 characters').optional(),
  /** How long a valid API key is trusted without asking PostgreSQL (0: no cache); bounds how late a missed revocation takes effect. */
  ASSAY_API_KEY_CACHE_TTL_MS: z.coerce.number().int().nonnegative().default(30_000),
  /** How long the first answer to a request with an Idempotency-Key is replayed to its retries. */
  ASSAY_IDEMPOTENCY_RETENTION_MS: PositiveIntEnv.default(24 * 3_600_000),

  // WebSocket
  /** Interval of the heartbeat ping; a client that misses one is disconnected. */
  ASSAY_WS_HEARTBEAT_MS: PositiveIntEnv.default(30_000),
  /** Bytes queued for one slow client before it is disconnected. */
  ASSAY_WS_MAX_BUFFERED_BYTES: ByteSizeEnv.default(8 * 1024 * 1024),
}).superRefine(refineStorageEnv);
export type GatewayEnv = z.infer<typeof GatewayEnv>;

export function loadEnv(source: Record<string, string | undefined> = process.env): GatewayEnv {
  return parseEnv(GatewayEnv, source);
}
