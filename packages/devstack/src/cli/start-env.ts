import { PositiveIntEnv } from '@assay/config';
import { LOG_LEVELS } from '@assay/logger';
import { z } from 'zod';
import { DEFAULT_DEV_POSTGRES_PORT, DEFAULT_DEV_REDIS_PORT, DEFAULT_GATEWAY_PORT } from '../consts';

/** An unset or empty variable is absent. */
function optional<S extends z.ZodType>(schema: S) {
  return z.preprocess((value) => (value === '' ? undefined : value), schema.optional());
}

const PortEnv = PositiveIntEnv.max(65_535);

/** Settings of `npm start` and `npm test`, read from the environment. */
export const StartEnv = z.object({
  // Backing services: used when set and answering, otherwise the stack starts its own.
  /** Redis to use instead of the stack's own. */
  REDIS_URL: optional(z.url({ protocol: /^rediss?$/ })),
  /** PostgreSQL to use instead of the stack's own (the database is created when missing). */
  DATABASE_URL: optional(z.url({ protocol: /^postgres(ql)?$/ })),

  // The stack's own servers
  /** Port the stack's Redis tries first (a free one is used when it is taken). */
  ASSAY_DEV_REDIS_PORT: PortEnv.default(DEFAULT_DEV_REDIS_PORT),
  /** Port the stack's PostgreSQL tries first. */
  ASSAY_DEV_POSTGRES_PORT: PortEnv.default(DEFAULT_DEV_POSTGRES_PORT),

  // Services
  /** Port of the gateway (the API). */
  PORT: PortEnv.default(DEFAULT_GATEWAY_PORT),
  /** Log level of the services and of the stack's own messages. */
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  /** Services' local files (blobs, workspaces). @defaultValue `<repository>/.assay/data` */
  ASSAY_DATA_DIR: optional(z.string()),

  // Terminal
  /** Any value turns colours off (https://no-color.org). */
  NO_COLOR: optional(z.string()),
});
export type StartEnv = z.infer<typeof StartEnv>;
