import { z } from 'zod';
import {
  DEFAULT_ANTHROPIC_MAX_RETRIES,
  DEFAULT_ANTHROPIC_MAX_TOKENS,
  DEFAULT_ANTHROPIC_MODEL,
  DEFAULT_ANTHROPIC_TIMEOUT_MS,
  DEFAULT_OPENAI_MAX_RETRIES,
  DEFAULT_OPENAI_MAX_TOKENS,
  DEFAULT_OPENAI_TIMEOUT_MS,
} from './consts';
import { DEFAULT_CONTEXT_TOKEN_BUDGET } from './prompt/build-prompt';

/*
 * The objects are strict so that a misspelt or unsupported setting fails at startup instead of
 * being ignored. `temperature` is optional and only sent when set: the Messages API version this
 * SDK speaks (2026-10-21) rejects sampling settings for current Claude models, while other
 * deployments (proxies, older models) may accept it.
 */

/** Settings every model-backed provider has. */
const SharedModelSettings = {
  /** Budget of the multi-turn context (earlier cells, outputs, variables) in the prompt, in tokens. */
  contextTokenBudget: z.number().int().positive().default(DEFAULT_CONTEXT_TOKEN_BUDGET),
  /** Further requests after an answer that is not a valid notebook (then `CODEGEN_INVALID_OUTPUT`). */
  invalidOutputRetries: z.number().int().min(0).max(5).default(1),
  /** Further requests after a reply that broke off mid-stream. */
  interruptedStreamRetries: z.number().int().min(0).max(5).default(1),
};

/** Claude through the Anthropic Messages API. */
export const AnthropicCodegenConfig = z.strictObject({
  provider: z.literal('anthropic'),
  apiKey: z.string().min(1, { error: 'apiKey must not be empty; leave the provider "offline" when there is no key' }),
  /** Model id. */
  model: z.string().min(1).default(DEFAULT_ANTHROPIC_MODEL),
  /** Output token budget per generation, thinking included. */
  maxTokens: z.number().int().positive().max(128_000).default(DEFAULT_ANTHROPIC_MAX_TOKENS),
  /** API base URL, e.g. a proxy. */
  baseURL: z.url({ protocol: /^https?$/ }).optional(),
  /** SDK retries on 408/409/429/5xx and connection errors. */
  maxRetries: z.number().int().min(0).max(10).default(DEFAULT_ANTHROPIC_MAX_RETRIES),
  /** Time allowed for one request, in milliseconds. */
  timeoutMs: z.number().int().positive().default(DEFAULT_ANTHROPIC_TIMEOUT_MS),
  /** `auto` (works with every current model) or `forced` (models that accept forced tool choice). */
  toolChoice: z.enum(['auto', 'forced']).default('auto'),
  /** Sampling temperature, sent only when set: current Claude models reject it. */
  temperature: z.number().min(0).max(1).optional(),
  ...SharedModelSettings,
});
export type AnthropicCodegenConfig = z.input<typeof AnthropicCodegenConfig>;

/** Any OpenAI-compatible chat completions API (OpenAI, Ollama, vLLM, LM Studio). */
export const OpenAICodegenConfig = z.strictObject({
  provider: z.literal('openai'),
  /** e.g. http://localhost:11434/v1 */
  baseURL: z.url({ protocol: /^https?$/ }),
  model: z.string().min(1),
  /** Optional: local servers need none. */
  apiKey: z.string().min(1).optional(),
  maxTokens: z.number().int().positive().max(1_000_000).default(DEFAULT_OPENAI_MAX_TOKENS),
  temperature: z.number().min(0).max(2).optional(),
  maxRetries: z.number().int().min(0).max(10).default(DEFAULT_OPENAI_MAX_RETRIES),
  timeoutMs: z.number().int().positive().default(DEFAULT_OPENAI_TIMEOUT_MS),
  toolChoice: z.enum(['auto', 'forced']).default('auto'),
  ...SharedModelSettings,
});
export type OpenAICodegenConfig = z.input<typeof OpenAICodegenConfig>;

/** The deterministic overview notebook; no model, no key. */
export const OfflineCodegenConfig = z.strictObject({ provider: z.literal('offline') });
export type OfflineCodegenConfig = z.input<typeof OfflineCodegenConfig>;

/** Cells replayed from the message text (JSON), for tests and replays. */
export const ScriptedCodegenConfig = z.strictObject({ provider: z.literal('scripted') });
export type ScriptedCodegenConfig = z.input<typeof ScriptedCodegenConfig>;

/**
 * Which provider writes notebooks, and its settings. The type is the schema's input: fields with
 * a default may be left out; `createCodegenProvider` fills them in.
 */
export const CodegenConfig = z.discriminatedUnion('provider', [
  AnthropicCodegenConfig,
  OpenAICodegenConfig,
  OfflineCodegenConfig,
  ScriptedCodegenConfig,
]);
export type CodegenConfig = z.input<typeof CodegenConfig>;

/**
 * The configuration to use when the deployment only says whether it has an Anthropic API key:
 * `anthropic` with default settings when there is a key, `offline` otherwise.
 */
export function defaultCodegenConfig(anthropicApiKey: string | undefined): CodegenConfig {
  return anthropicApiKey !== undefined && anthropicApiKey.trim().length > 0
    ? { provider: 'anthropic', apiKey: anthropicApiKey.trim() }
    : { provider: 'offline' };
}
