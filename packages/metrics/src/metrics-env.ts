import { z } from 'zod';

/**
 * The settings of a worker's metrics endpoint, for the workers' env schemas to extend
 * (`CoreEnv.extend(MetricsEnv.shape)`). The gateway serves `/metrics` on its own port instead.
 */
export const MetricsEnv = z.object({
  /** Port of the worker's `GET /metrics` endpoint; unset: no endpoint (0: any free port, logged). */
  ASSAY_METRICS_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  /** Interface of that endpoint; 0.0.0.0 in containers so Prometheus can reach it. */
  ASSAY_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
});
export type MetricsEnv = z.infer<typeof MetricsEnv>;
