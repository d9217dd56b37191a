import path from 'node:path';
import { LOG_LEVELS } from '@assay/logger';
import { z } from 'zod';

/** Settings every service reads. Service env schemas extend this one. */
export const CoreEnv = z.object({
  // Connections
  /** PostgreSQL connection URL. */
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  /** Redis connection URL (redis:// or rediss://). */
  REDIS_URL: z.url({ protocol: /^rediss?$/ }),

  // Naming
  /**
   * Prefix of every Redis key Assay writes (queues and event streams), so that several
   * deployments or test runs can share one Redis.
   */
  ASSAY_KEY_PREFIX: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/i, 'letters, digits, - and _ only')
    .default('assay'),

  // Local data
  /** Directory for local state: blobs (filesystem store) and sandbox workspaces. */
  ASSAY_DATA_DIR: z
    .string()
    .default('.assay/data')
    .transform((dir) => path.resolve(dir)),

  // Logging
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
});
export type CoreEnv = z.infer<typeof CoreEnv>;
