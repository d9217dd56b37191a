import { CoreEnv, PositiveIntEnv, parseEnv } from '@assay/config';
import { MetricsEnv } from '@assay/metrics';
import { z } from 'zod';

/** The codegen worker's settings, read once at start-up. */
export const CodegenWorkerEnv = CoreEnv.extend(MetricsEnv.shape).extend({
  // Provider
  /**
   * Which provider writes notebooks. Default: `anthropic` when ANTHROPIC_API_KEY is set,
   * otherwise the built-in `offline` analyst. `openai` talks to any OpenAI-compatible endpoint
   * (OPENAI_BASE_URL). `scripted` replays cells given as JSON (tests).
   */
  CODEGEN_PROVIDER: z.enum(['anthropic', 'openai', 'offline', 'scripted']).optional(),
  ANTHROPIC_API_KEY: z.string().trim().min(1).optional(),
  /** Claude model id; the package default when unset. */
  ANTHROPIC_MODEL: z.string().trim().min(1).optional(),
  /** Messages API base URL (a proxy, or a local test server). */
  ANTHROPIC_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  ANTHROPIC_MAX_TOKENS: PositiveIntEnv.optional(),
  /** OpenAI-compatible chat completions endpoint, e.g. http://localhost:11434/v1 (Ollama). */
  OPENAI_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** API key of that endpoint; optional (local servers need none). */
  OPENAI_API_KEY: z.string().trim().min(1).optional(),
  /** Model name as the endpoint knows it. */
  OPENAI_MODEL: z.string().trim().min(1).optional(),
  OPENAI_MAX_TOKENS: PositiveIntEnv.optional(),
  /** Sampling temperature for either model provider; unset: not sent. */
  CODEGEN_TEMPERATURE: z.coerce.number().min(0).max(2).optional(),
  /** Budget of the multi-turn context (earlier cells, outputs, variables, last error) in tokens. */
  ASSAY_CODEGEN_CONTEXT_TOKENS: PositiveIntEnv.optional(),

  // Privacy and audit
  /**
   * What may reach a model: `metadata` (names, headers, counts, earlier code, outputs by kind and
   * size, masked errors), `schema` (adds dtypes), `outputs` (adds truncated text outputs).
   * A tenant's `privacyLevel` column overrides it.
   */
  ASSAY_PRIVACY_LEVEL: z.enum(['metadata', 'schema', 'outputs']).default('metadata'),
  /** What the CodegenCall audit row keeps of each prompt: `full` text, or its SHA-256 and size (`hash`). */
  ASSAY_CODEGEN_AUDIT: z.enum(['full', 'hash']).default('full'),

  // Repair
  /**
   * Fixes the provider is asked for when a generated cell fails, per message, before the
   * message fails with the error in plain words. 0 turns automatic repair off.
   */
  ASSAY_REPAIR_MAX_ATTEMPTS: z.coerce.number().int().min(0).max(10).default(3),

  // Throughput
  /** Messages generated at the same time by this process. */
  ASSAY_CODEGEN_CONCURRENCY: PositiveIntEnv.default(4),
  /** Longest wait before buffered model output is published as a codegen.delta event. */
  ASSAY_CODEGEN_DELTA_FLUSH_MS: PositiveIntEnv.default(100),
}).superRefine((env, ctx) => {
  if (env.CODEGEN_PROVIDER === 'anthropic' && env.ANTHROPIC_API_KEY === undefined) {
    ctx.addIssue({ code: 'custom', path: ['ANTHROPIC_API_KEY'], message: 'is required when CODEGEN_PROVIDER is anthropic' });
  }
  if (env.CODEGEN_PROVIDER === 'openai' && (env.OPENAI_BASE_URL === undefined || env.OPENAI_MODEL === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['OPENAI_BASE_URL'], message: 'OPENAI_BASE_URL and OPENAI_MODEL are required when CODEGEN_PROVIDER is openai' });
  }
});
export type CodegenWorkerEnv = z.infer<typeof CodegenWorkerEnv>;

export function loadEnv(source: Record<string, string | undefined> = process.env): CodegenWorkerEnv {
  return parseEnv(CodegenWorkerEnv, source);
}
