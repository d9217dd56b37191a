export {
  CodegenCellError,
  CodegenFile,
  CodegenHistoryCell,
  CodegenHistoryEntry,
  CodegenOutputSummary,
  CodegenProviderName,
  CodegenRepair,
  CodegenRequest,
  CodegenResult,
  CodegenUsage,
  CodegenVariable,
  PrivacyLevel,
} from './types';
export type { CodegenProvider, GenerateOptions, SentPrompt } from './types';
export { AnthropicCodegenConfig, CodegenConfig, OpenAICodegenConfig, defaultCodegenConfig } from './config';
export { createCodegenProvider } from './create-codegen-provider';
export type { CreateCodegenProviderOptions } from './create-codegen-provider';
export { parseCodegenRequest } from './parse-codegen-request';
export { DATA_BLOCK_CLOSE, DATA_BLOCK_OPEN, DEFAULT_CONTEXT_TOKEN_BUDGET, buildPrompt } from './prompt/build-prompt';
export type { BuildPromptOptions, Prompt } from './prompt/build-prompt';
export { MASK, maskLiterals } from './prompt/context-sections';
export { SYSTEM_PROMPT } from './prompt/system-prompt';
export { NOTEBOOK_DRAFT_JSON_SCHEMA } from './notebook-draft';
export { isCodegenFailedError, isCodegenInvalidOutputError } from './errors';
export { DATA_DIR, DEFAULT_ANTHROPIC_MAX_TOKENS, DEFAULT_ANTHROPIC_MODEL, DEFAULT_OPENAI_MAX_TOKENS, MAX_HISTOGRAMS_PER_TABLE } from './consts';
