import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { CellDraft } from '@assay/contracts';
import { isAssayError, type AssayError } from '@assay/errors';
import type { Logger } from '@assay/logger';
import { cancelledError, throwIfAborted } from '../../cancellation';
import { DEFAULT_OPENAI_MAX_RETRIES, DEFAULT_OPENAI_MAX_TOKENS, DEFAULT_OPENAI_TIMEOUT_MS } from '../../consts';
import { emitDelta, reportPrompt } from '../../deltas';
import { CodegenFailedError, CodegenInvalidOutputError } from '../../errors';
import { NOTEBOOK_DRAFT_JSON_SCHEMA, WRITE_NOTEBOOK_TOOL_NAME, parseNotebookDraft } from '../../notebook-draft';
import { parseCodegenRequest } from '../../parse-codegen-request';
import { DEFAULT_CONTEXT_TOKEN_BUDGET, buildPrompt, type Prompt } from '../../prompt/build-prompt';
import { retryGeneration, type AttemptOutcome } from '../../retry-generation';
import type { CodegenProvider, CodegenRequest, CodegenResult, CodegenUsage, GenerateOptions } from '../../types';

/** Options of {@link OpenAICodegenProvider}. */
export interface OpenAICodegenProviderOptions {
  /** Base URL of an OpenAI-compatible API, e.g. `http://localhost:11434/v1` (Ollama). */
  baseURL: string;
  /** Model name as that server knows it. */
  model: string;
  /** API key; local servers usually need none. @defaultValue "none" (sent, ignored by such servers) */
  apiKey?: string;
  /** Output token budget per generation (`max_tokens`). @defaultValue {@link DEFAULT_OPENAI_MAX_TOKENS} */
  maxTokens?: number;
  /** Sampling temperature; sent only when set. @defaultValue the server's default */
  temperature?: number;
  /** SDK retries on 408/409/429/5xx and connection errors, honouring retry-after. @defaultValue {@link DEFAULT_OPENAI_MAX_RETRIES} */
  maxRetries?: number;
  /** Time allowed for one request, in milliseconds. @defaultValue {@link DEFAULT_OPENAI_TIMEOUT_MS} */
  timeoutMs?: number;
  /** `auto` (works with most servers) or `forced` (`tool_choice` naming the tool). @defaultValue "auto" */
  toolChoice?: 'auto' | 'forced';
  /** Budget of the multi-turn context in the prompt, in tokens. @defaultValue {@link DEFAULT_CONTEXT_TOKEN_BUDGET} */
  contextTokenBudget?: number;
  /** Further requests after an answer that is not a valid notebook. @defaultValue 1 */
  invalidOutputRetries?: number;
  /** Further requests after a reply that broke off mid-stream. @defaultValue 1 */
  interruptedStreamRetries?: number;
  /** Receives request and usage lines (never prompt text). @defaultValue no logging */
  logger?: Logger;
}

const WRITE_NOTEBOOK_FUNCTION: OpenAI.Chat.Completions.ChatCompletionFunctionTool = {
  type: 'function',
  function: {
    name: WRITE_NOTEBOOK_TOOL_NAME,
    description: 'Deliver the finished notebook: every markdown and Python code cell, in the order they should run. Call it exactly once.',
    parameters: NOTEBOOK_DRAFT_JSON_SCHEMA,
  },
};

/**
 * Writes notebooks with any OpenAI-compatible chat completions API (OpenAI, Ollama, vLLM, LM
 * Studio) through the `openai` SDK, streamed, with the same `write_notebook` tool contract as the
 * Anthropic provider: the prompt comes from `buildPrompt` (metadata only), the notebook arrives as
 * the arguments of a `write_notebook` function call and is validated with zod.
 *
 * @example
 * const provider = new OpenAICodegenProvider({ baseURL: 'http://localhost:11434/v1', model: 'qwen3-coder' });
 */
export class OpenAICodegenProvider implements CodegenProvider {
  readonly name = 'openai' as const;
  readonly #client: OpenAI;
  readonly #model: string;
  readonly #maxTokens: number;
  readonly #temperature: number | undefined;
  readonly #toolChoice: OpenAI.Chat.Completions.ChatCompletionToolChoiceOption;
  readonly #contextTokenBudget: number;
  readonly #invalidOutputRetries: number;
  readonly #interruptedStreamRetries: number;
  readonly #logger: Logger | undefined;

  constructor(options: OpenAICodegenProviderOptions) {
    if (options.model.length === 0) throw new TypeError('model must not be empty');
    const maxTokens = options.maxTokens ?? DEFAULT_OPENAI_MAX_TOKENS;
    if (!Number.isInteger(maxTokens) || maxTokens <= 0) throw new TypeError('maxTokens must be a positive integer');
    this.#client = new OpenAI({
      baseURL: options.baseURL,
      // The SDK insists on a key; OpenAI-compatible local servers ignore it.
      apiKey: options.apiKey ?? 'none',
      maxRetries: options.maxRetries ?? DEFAULT_OPENAI_MAX_RETRIES,
      timeout: options.timeoutMs ?? DEFAULT_OPENAI_TIMEOUT_MS,
      // Never pick up OPENAI_ORG_ID / OPENAI_PROJECT_ID from the environment.
      organization: null,
      project: null,
    });
    this.#model = options.model;
    this.#maxTokens = maxTokens;
    this.#temperature = options.temperature;
    this.#toolChoice = options.toolChoice === 'forced' ? { type: 'function', function: { name: WRITE_NOTEBOOK_TOOL_NAME } } : 'auto';
    this.#contextTokenBudget = options.contextTokenBudget ?? DEFAULT_CONTEXT_TOKEN_BUDGET;
    this.#invalidOutputRetries = options.invalidOutputRetries ?? 1;
    this.#interruptedStreamRetries = options.interruptedStreamRetries ?? 1;
    this.#logger = options.logger;
  }

  async generate(request: CodegenRequest, options: GenerateOptions = {}): Promise<CodegenResult> {
    throwIfAborted(options.signal);
    const checked = parseCodegenRequest(request);
    const prompt = buildPrompt(checked, { contextTokenBudget: this.#contextTokenBudget });
    const logger = this.#logger?.child({ provider: this.name, model: this.#model });
    logger?.debug({ kind: checked.kind ?? 'generate', files: checked.files.length, promptChars: prompt.system.length + prompt.user.length }, 'requesting notebook');
    return retryGeneration(
      () => {
        reportPrompt(options.onPromptSent, { provider: this.name, model: this.#model, kind: checked.kind ?? 'generate', ...prompt }, logger);
        return this.#requestOnce(prompt, options, logger);
      },
      { signal: options.signal, logger, invalidOutputRetries: this.#invalidOutputRetries, interruptedStreamRetries: this.#interruptedStreamRetries },
    );
  }

  async #requestOnce(prompt: Prompt, options: GenerateOptions, logger: Logger | undefined): Promise<AttemptOutcome> {
    // Arguments JSON per tool call index; only the write_notebook call counts.
    const calls = new Map<number, { name: string; args: string }>();
    let streamed = false;
    let finishReason: string | null = null;
    let usage: CodegenUsage | undefined;
    let model = this.#model;
    try {
      const stream = await this.#client.chat.completions.create(
        {
          model: this.#model,
          max_tokens: this.#maxTokens,
          ...(this.#temperature === undefined ? {} : { temperature: this.#temperature }),
          messages: [
            { role: 'system', content: prompt.system },
            { role: 'user', content: prompt.user },
          ],
          tools: [WRITE_NOTEBOOK_FUNCTION],
          tool_choice: this.#toolChoice,
          parallel_tool_calls: false,
          stream: true,
          stream_options: { include_usage: true },
        },
        options.signal ? { signal: options.signal } : undefined,
      );
      for await (const chunk of stream) {
        streamed = true;
        if (chunk.model) model = chunk.model;
        if (chunk.usage) usage = toUsage(chunk.usage);
        const choice = chunk.choices[0];
        if (choice === undefined) continue;
        if (choice.finish_reason) finishReason = choice.finish_reason;
        const { delta } = choice;
        if (typeof delta.content === 'string') emitDelta(options.onDelta, delta.content, logger);
        for (const call of delta.tool_calls ?? []) {
          const current = calls.get(call.index) ?? { name: '', args: '' };
          if (call.function?.name) current.name += call.function.name;
          if (call.function?.arguments) {
            current.args += call.function.arguments;
            emitDelta(options.onDelta, call.function.arguments, logger);
          }
          calls.set(call.index, current);
        }
      }
    } catch (error) {
      return { ok: false, error: toCodegenError(error, this.#model, streamed), interrupted: streamed, ...(usage === undefined ? {} : { usage }) };
    }

    try {
      const cells = this.#notebookCells(calls, finishReason);
      logger?.info({ finishReason, cells: cells.length, ...usage }, 'notebook generated');
      return { ok: true, result: { cells, model, ...(usage === undefined ? {} : { usage }) } };
    } catch (error) {
      return { ok: false, error, interrupted: false, model, ...(usage === undefined ? {} : { usage }) };
    }
  }

  #notebookCells(calls: Map<number, { name: string; args: string }>, finishReason: string | null): CellDraft[] {
    const truncated = finishReason === 'length';
    const call = [...calls.values()].find((candidate) => candidate.name === WRITE_NOTEBOOK_TOOL_NAME);
    if (call === undefined) {
      throw new CodegenInvalidOutputError(
        truncated
          ? `The model used up its output budget (maxTokens ${this.#maxTokens}) before calling ${WRITE_NOTEBOOK_TOOL_NAME}; raise maxTokens.`
          : `The model answered without calling the ${WRITE_NOTEBOOK_TOOL_NAME} function (finish reason "${finishReason ?? 'unknown'}"), so there is no notebook. Check that the model supports tool calling.`,
        { retryable: !truncated, details: { provider: this.name, finishReason } },
      );
    }
    let input: unknown;
    try {
      input = JSON.parse(call.args);
    } catch (error) {
      throw new CodegenInvalidOutputError(
        truncated
          ? `The model used up its output budget (maxTokens ${this.#maxTokens}) in the middle of the notebook; raise maxTokens.`
          : `The ${WRITE_NOTEBOOK_TOOL_NAME} arguments are not valid JSON (${error instanceof Error ? error.message : String(error)}).`,
        { retryable: !truncated, cause: error, details: { provider: this.name, finishReason } },
      );
    }
    return parseNotebookDraft(input, `The ${WRITE_NOTEBOOK_TOOL_NAME} tool input`, true);
  }
}

function toUsage(usage: OpenAI.Completions.CompletionUsage): CodegenUsage {
  const result: CodegenUsage = { inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens };
  const cached = usage.prompt_tokens_details?.cached_tokens;
  if (typeof cached === 'number') {
    // OpenAI counts cached tokens inside prompt_tokens; keep the two apart as for Anthropic.
    result.cacheReadTokens = cached;
    result.inputTokens = Math.max(0, usage.prompt_tokens - cached);
  }
  return result;
}

/** Whatever the SDK threw, as an `AssayError`: transient failures retryable, the rest not, with what to change. */
export function toCodegenError(error: unknown, model: string, streamed = false): AssayError {
  if (isAssayError(error)) return error;
  if (error instanceof APIUserAbortError) return cancelledError(error);
  const details: Record<string, unknown> = { provider: 'openai' };
  if (error instanceof APIConnectionTimeoutError) {
    return new CodegenFailedError("The OpenAI-compatible API did not answer in time. Try again, or raise the provider's timeoutMs.", { cause: error, retryable: true, details });
  }
  if (error instanceof APIConnectionError) {
    return new CodegenFailedError(`Could not reach the OpenAI-compatible API (${error.message}). Check OPENAI_BASE_URL and that the server runs.`, {
      cause: error,
      retryable: true,
      details,
    });
  }
  if (!(error instanceof APIError)) {
    const reason = error instanceof Error ? error.message : String(error);
    // A body that stops half-way surfaces as a plain error from the stream reader.
    if (streamed) {
      return new CodegenFailedError(`The connection to the OpenAI-compatible API broke off in the middle of the reply (${reason}); try again.`, {
        cause: error,
        retryable: true,
        details: { ...details, reason: 'stream_interrupted' },
      });
    }
    return new CodegenFailedError(`The OpenAI SDK failed unexpectedly: ${reason}`, { cause: error, retryable: false, status: 500, details });
  }
  const status = error.status;
  if (status !== undefined) details['upstreamStatus'] = status;
  if (error.type) details['upstreamType'] = error.type;
  if (error.requestID) details['requestId'] = error.requestID;
  const retryAfter = Number.parseFloat(error.headers?.get('retry-after') ?? '');
  if (Number.isFinite(retryAfter)) details['retryAfterSeconds'] = Math.ceil(retryAfter);
  const detail = error.message;
  if (status === 429) return new CodegenFailedError(`The OpenAI-compatible API rate limit was reached: ${detail}`, { cause: error, retryable: true, status: 503, details });
  if (status === 401) {
    return new CodegenFailedError(`The OpenAI-compatible API rejected the API key: ${detail}. Set OPENAI_API_KEY.`, { cause: error, retryable: false, details });
  }
  if (status === 404) {
    return new CodegenFailedError(`The OpenAI-compatible API does not know model "${model}" or the endpoint: ${detail}. Check OPENAI_MODEL and OPENAI_BASE_URL (it usually ends in /v1).`, {
      cause: error,
      retryable: false,
      details,
    });
  }
  if (status === undefined || status === 408 || status === 409 || status >= 500) {
    return new CodegenFailedError(`The OpenAI-compatible API failed: ${detail}`, { cause: error, retryable: true, details });
  }
  return new CodegenFailedError(`The OpenAI-compatible API refused the request: ${detail}`, { cause: error, retryable: false, details });
}
