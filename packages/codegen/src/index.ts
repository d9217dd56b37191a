export { buildPrompt } from './prompt/build-prompt';
export type { Prompt } from './prompt/build-prompt';
export { SYSTEM_PROMPT } from './prompt/system-prompt';
export {
  CodegenFile,
  CodegenHistoryEntry,
  CodegenProviderName,
  CodegenRequest,
  CodegenResult,
  CodegenUsage,
} from './types';
export type { CodegenProvider, GenerateOptions } from './types';
export { parseCodegenRequest } from './parse-codegen-request';
export {
  AnthropicCodegenConfig,
  CodegenConfig,
  OfflineCodegenConfig,
  ScriptedCodegenConfig,
  defaultCodegenConfig,
} from './config';
export { createCodegenProvider } from './create-codegen-provider';
export type { CreateCodegenProviderOptions } from './create-codegen-provider';
export { AnthropicCodegenProvider } from './providers/anthropic/anthropic-provider';
export type { AnthropicCodegenProviderOptions, AnthropicToolChoiceMode } from './providers/anthropic/anthropic-provider';
export { OfflineCodegenProvider } from './providers/offline/offline-provider';
export type { OfflineCodegenProviderOptions } from './providers/offline/offline-provider';
export { ScriptedCodegenProvider } from './providers/scripted/scripted-provider';
export type { ScriptedCodegenProviderOptions } from './providers/scripted/scripted-provider';
export { NOTEBOOK_DRAFT_JSON_SCHEMA, NotebookDraft, WRITE_NOTEBOOK_TOOL_NAME } from './notebook-draft';
export {
  CodegenFailedError,
  CodegenInvalidOutputError,
  isCodegenFailedError,
  isCodegenInvalidOutputError,
} from './errors';
export type { CodegenFailedErrorOptions } from './errors';
export {
  DATA_DIR,
  DEFAULT_ANTHROPIC_MAX_RETRIES,
  DEFAULT_ANTHROPIC_MAX_TOKENS,
  DEFAULT_ANTHROPIC_MODEL,
  DEFAULT_ANTHROPIC_TIMEOUT_MS,
  MAX_HISTOGRAMS_PER_TABLE,
} from './consts';
