import { AssayError, ErrorCode } from '@assay/errors';
import type { Logger } from '@assay/logger';
import { z } from 'zod';
import { CodegenConfig } from './config';
import { AnthropicCodegenProvider } from './providers/anthropic/anthropic-provider';
import { OpenAICodegenProvider } from './providers/openai/openai-provider';
import { OfflineCodegenProvider } from './providers/offline/offline-provider';
import { ScriptedCodegenProvider } from './providers/scripted/scripted-provider';
import type { CodegenProvider } from './types';

/** Collaborators shared by every provider. */
export interface CreateCodegenProviderOptions {
  /** Component logger; providers log request sizes and usage, never prompt text. @defaultValue no logging */
  logger?: Logger;
}

/**
 * Builds the provider a configuration names, after validating it.
 *
 * @throws AssayError `CONFIG_INVALID` naming every problem (never echoing the API key)
 * @example
 * const provider = createCodegenProvider(defaultCodegenConfig(env.ANTHROPIC_API_KEY), { logger });
 */
export function createCodegenProvider(config: CodegenConfig, options: CreateCodegenProviderOptions = {}): CodegenProvider {
  const parsed = CodegenConfig.safeParse(config);
  if (!parsed.success) {
    throw new AssayError(ErrorCode.CONFIG_INVALID, `The codegen configuration is invalid:\n${z.prettifyError(parsed.error)}`, {
      details: { issues: parsed.error.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message })) },
    });
  }
  const { logger } = options;
  const settings = parsed.data;
  switch (settings.provider) {
    case 'anthropic':
      return new AnthropicCodegenProvider({
        apiKey: settings.apiKey,
        model: settings.model,
        maxTokens: settings.maxTokens,
        maxRetries: settings.maxRetries,
        timeoutMs: settings.timeoutMs,
        toolChoice: settings.toolChoice,
        contextTokenBudget: settings.contextTokenBudget,
        invalidOutputRetries: settings.invalidOutputRetries,
        interruptedStreamRetries: settings.interruptedStreamRetries,
        ...(settings.temperature === undefined ? {} : { temperature: settings.temperature }),
        ...(settings.baseURL === undefined ? {} : { baseURL: settings.baseURL }),
        ...(logger === undefined ? {} : { logger }),
      });
    case 'openai':
      return new OpenAICodegenProvider({
        baseURL: settings.baseURL,
        model: settings.model,
        maxTokens: settings.maxTokens,
        maxRetries: settings.maxRetries,
        timeoutMs: settings.timeoutMs,
        toolChoice: settings.toolChoice,
        contextTokenBudget: settings.contextTokenBudget,
        invalidOutputRetries: settings.invalidOutputRetries,
        interruptedStreamRetries: settings.interruptedStreamRetries,
        ...(settings.apiKey === undefined ? {} : { apiKey: settings.apiKey }),
        ...(settings.temperature === undefined ? {} : { temperature: settings.temperature }),
        ...(logger === undefined ? {} : { logger }),
      });
    case 'offline':
      return new OfflineCodegenProvider(logger === undefined ? {} : { logger });
    case 'scripted':
      return new ScriptedCodegenProvider(logger === undefined ? {} : { logger });
  }
}
