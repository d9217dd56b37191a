import { CoreEnv, PositiveIntEnv, parseEnv } from '@assay/config';
import { MetricsEnv } from '@assay/metrics';
import { z } from 'zod';

/** The codegen worker's settings, read once at start-up. */
export const CodegenWorkerEnv = CoreEnv.extend(MetricsEnv.shape).extend({
  // Provider
  /**
   * Which provider writes notebooks. Default: `anthropic` when ANTHROPIC_API_KEY is set,
   * otherwise the built-in `offline` analyst. `scripted` replays cells given as JSON (tests).
   */
  CODEGEN_PROVIDER: z.enum(['anthropic', 'offline', 'scripted']).optional(),
  ANTHROPIC_API_KEY: z.string().trim().min(1).optional(),
  /** Claude model id; the package default when unset. */
  ANTHROPIC_MODEL: z.string().trim().min(1).optional(),
  /** Messages API base URL (a proxy, or a local test server). */
  ANTHROPIC_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  ANTHROPIC_MAX_TOKENS: PositiveIntEnv.optional(),

  // Throughput
  /** Messages generated at the same time by this process. */
  ASSAY_CODEGEN_CONCURRENCY: PositiveIntEnv.default(4),
  /** Longest wait before buffered model output is published as a codegen.delta event. */
  ASSAY_CODEGEN_DELTA_FLUSH_MS: PositiveIntEnv.default(100),
}).superRefine((env, ctx) => {
  if (env.CODEGEN_PROVIDER === 'anthropic' && env.ANTHROPIC_API_KEY === undefined) {
    ctx.addIssue({ code: 'custom', path: ['ANTHROPIC_API_KEY'], message: 'is required when CODEGEN_PROVIDER is anthropic' });
  }
});
export type CodegenWorkerEnv = z.infer<typeof CodegenWorkerEnv>;

export function loadEnv(source: Record<string, string | undefined> = process.env): CodegenWorkerEnv {
  return parseEnv(CodegenWorkerEnv, source);
}
