import { describe, expect, it } from '@jest/globals';
import { ErrorCode } from '@assay/errors';
import { defaultCodegenConfig, type CodegenConfig } from './config';
import { createCodegenProvider } from './create-codegen-provider';
import { AnthropicCodegenProvider } from './providers/anthropic/anthropic-provider';
import { OfflineCodegenProvider } from './providers/offline/offline-provider';
import { ScriptedCodegenProvider } from './providers/scripted/scripted-provider';

function configError(config: unknown): { code?: string; message: string } {
  try {
    createCodegenProvider(config as CodegenConfig);
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('expected createCodegenProvider to throw');
}

describe('createCodegenProvider()', () => {
  it('builds the provider the configuration names', () => {
    expect(createCodegenProvider({ provider: 'offline' })).toBeInstanceOf(OfflineCodegenProvider);
    expect(createCodegenProvider({ provider: 'scripted' })).toBeInstanceOf(ScriptedCodegenProvider);
    const anthropic = createCodegenProvider({ provider: 'anthropic', apiKey: 'sk-test', baseURL: 'http://127.0.0.1:9' });
    expect(anthropic).toBeInstanceOf(AnthropicCodegenProvider);
    expect(anthropic.name).toBe('anthropic');
    expect(createCodegenProvider({ provider: 'openai', baseURL: 'http://127.0.0.1:9/v1', model: 'm' }).name).toBe('openai');
  });

  it.each([
    ['an unknown provider', { provider: 'gemini' }, /provider/],
    ['an openai provider without base URL and model', { provider: 'openai' }, /baseURL[\s\S]*model/],
    ['an empty API key', { provider: 'anthropic', apiKey: '' }, /apiKey must not be empty/],
    ['a temperature out of range', { provider: 'anthropic', apiKey: 'sk-secret-value', temperature: 1.5 }, /temperature/],
    ['zero maxTokens', { provider: 'anthropic', apiKey: 'sk-secret-value', maxTokens: 0 }, /maxTokens/],
    ['a base URL that is not http(s)', { provider: 'anthropic', apiKey: 'sk-secret-value', baseURL: 'file:///etc' }, /baseURL/],
    ['settings on the offline provider', { provider: 'offline', model: 'x' }, /Unrecognized key: "model"/],
  ])('rejects %s with CONFIG_INVALID', (_case, config, message) => {
    const error = configError(config);
    expect(error.code).toBe(ErrorCode.CONFIG_INVALID);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('sk-secret-value');
  });
});

describe('defaultCodegenConfig()', () => {
  it('chooses anthropic when there is a key and offline otherwise', () => {
    expect(defaultCodegenConfig('  sk-abc ')).toEqual({ provider: 'anthropic', apiKey: 'sk-abc' });
    expect(defaultCodegenConfig(undefined)).toEqual({ provider: 'offline' });
    expect(defaultCodegenConfig('   ')).toEqual({ provider: 'offline' });
  });
});
