import Anthropic, { APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import { isAssayError } from '@assay/errors';
import type { CellDraft } from '@assay/contracts';
import type { Logger } from '@assay/logger';
import { throwIfAborted } from '../../cancellation';
import {
  DEFAULT_ANTHROPIC_MAX_RETRIES,
  DEFAULT_ANTHROPIC_MAX_TOKENS,
  DEFAULT_ANTHROPIC_MODEL,
  DEFAULT_ANTHROPIC_TIMEOUT_MS,
} from '../../consts';
import { emitDelta, reportPrompt } from '../../deltas';
import { CodegenFailedError, CodegenInvalidOutputError } from '../../errors';
import { NOTEBOOK_DRAFT_JSON_SCHEMA, WRITE_NOTEBOOK_TOOL_NAME, parseNotebookDraft } from '../../notebook-draft';
import { parseCodegenRequest } from '../../parse-codegen-request';
import { DEFAULT_CONTEXT_TOKEN_BUDGET, buildPrompt, type Prompt } from '../../prompt/build-prompt';
import { retryGeneration, type AttemptOutcome } from '../../retry-generation';
import type { CodegenProvider, CodegenRequest, CodegenResult, CodegenUsage, GenerateOptions } from '../../types';
import { toCodegenError } from './anthropic-error';

/**
 * How the request makes the model use `write_notebook`.
 * - `auto`: the tool is offered and the system prompt asks for it. Works with every current
 *   model, including those with thinking on by default, which reject forced tool use
 *   (Claude Sonnet 5.5, the default model, answers a forced `tool_choice` with a 400).
 * - `forced`: `tool_choice: { type: 'tool', name: 'write_notebook' }`, for models that accept it;
 *   guarantees the tool call.
 */
export type AnthropicToolChoiceMode = 'auto' | 'forced';

/** Options of {@link AnthropicCodegenProvider}. */
export interface AnthropicCodegenProviderOptions {
  /** Anthropic API key. The SDK never reads one from the environment here. */
  apiKey: string;
  /** Model id. @defaultValue {@link DEFAULT_ANTHROPIC_MODEL} */
  model?: string;
  /** Output token budget per generation, thinking included. @defaultValue {@link DEFAULT_ANTHROPIC_MAX_TOKENS} */
  maxTokens?: number;
  /** API base URL (a proxy, or a local test server). @defaultValue "https://api.anthropic.com" */
  baseURL?: string;
  /** Retries of the SDK on 408/409/429/5xx and connection errors. @defaultValue {@link DEFAULT_ANTHROPIC_MAX_RETRIES} */
  maxRetries?: number;
  /** Time allowed for one request, in milliseconds. @defaultValue {@link DEFAULT_ANTHROPIC_TIMEOUT_MS} */
  timeoutMs?: number;
  /** See {@link AnthropicToolChoiceMode}. @defaultValue "auto" */
  toolChoice?: AnthropicToolChoiceMode;
  /** Sampling temperature; sent only when set (current models reject it). @defaultValue not sent */
  temperature?: number;
  /** Budget of the multi-turn context in the prompt, in tokens. @defaultValue {@link DEFAULT_CONTEXT_TOKEN_BUDGET} */
  contextTokenBudget?: number;
  /** Further requests after an answer that is not a valid notebook. @defaultValue 1 */
  invalidOutputRetries?: number;
  /** Further requests after a reply that broke off mid-stream. @defaultValue 1 */
  interruptedStreamRetries?: number;
  /** Receives request and usage lines (never prompt text). @defaultValue no logging */
  logger?: Logger;
}

/** Default base URL, passed explicitly so that `ANTHROPIC_BASE_URL` in the environment is not used. */
const ANTHROPIC_BASE_URL = 'https://api.anthropic.com';

/** The tool through which Claude hands over the notebook; its input is a `NotebookDraft`. */
const WRITE_NOTEBOOK_TOOL: Anthropic.Messages.Tool = {
  name: WRITE_NOTEBOOK_TOOL_NAME,
  description:
    'Deliver the finished notebook: every markdown and Python code cell, in the order they should run. Call it exactly once.',
  input_schema: NOTEBOOK_DRAFT_JSON_SCHEMA,
  strict: true,
};

/**
 * Writes notebooks with Claude through the Messages API, streamed. The prompt comes from
 * `buildPrompt` (metadata only); the static system prompt is marked for prompt caching; the
 * notebook arrives as the input of the `write_notebook` tool and is validated with zod.
 *
 * Text and partial tool-input JSON are passed to `onDelta` as they arrive. SDK failures become
 * `CODEGEN_FAILED` (retryable for rate limits, overload, 5xx and timeouts); a reply that is not a
 * valid notebook becomes `CODEGEN_INVALID_OUTPUT`.
 *
 * @example
 * const provider = new AnthropicCodegenProvider({ apiKey, logger });
 * const { cells, usage } = await provider.generate(request, { onDelta: (text) => publish(text) });
 */
export class AnthropicCodegenProvider implements CodegenProvider {
  readonly name = 'anthropic' as const;
  readonly #client: Anthropic;
  readonly #model: string;
  readonly #maxTokens: number;
  readonly #toolChoice: Anthropic.Messages.ToolChoice;
  readonly #logger: Logger | undefined;
  readonly #temperature: number | undefined;
  readonly #contextTokenBudget: number;
  readonly #invalidOutputRetries: number;
  readonly #interruptedStreamRetries: number;

  constructor(options: AnthropicCodegenProviderOptions) {
    const resolved = {
      apiKey: options.apiKey,
      model: options.model ?? DEFAULT_ANTHROPIC_MODEL,
      maxTokens: options.maxTokens ?? DEFAULT_ANTHROPIC_MAX_TOKENS,
      baseURL: options.baseURL ?? ANTHROPIC_BASE_URL,
      maxRetries: options.maxRetries ?? DEFAULT_ANTHROPIC_MAX_RETRIES,
      timeoutMs: options.timeoutMs ?? DEFAULT_ANTHROPIC_TIMEOUT_MS,
      toolChoice: options.toolChoice ?? 'auto',
      logger: options.logger,
    };
    if (resolved.apiKey.length === 0) throw new TypeError('AnthropicCodegenProvider requires an apiKey');
    if (resolved.model.length === 0) throw new TypeError('model must not be empty');
    if (!Number.isInteger(resolved.maxTokens) || resolved.maxTokens <= 0) {
      throw new TypeError('maxTokens must be a positive integer');
    }
    if (!Number.isInteger(resolved.maxRetries) || resolved.maxRetries < 0) {
      throw new TypeError('maxRetries must be a non-negative integer');
    }
    if (!Number.isInteger(resolved.timeoutMs) || resolved.timeoutMs <= 0) {
      throw new TypeError('timeoutMs must be a positive integer');
    }
    this.#client = new Anthropic({
      apiKey: resolved.apiKey,
      baseURL: resolved.baseURL,
      maxRetries: resolved.maxRetries,
      timeout: resolved.timeoutMs,
    });
    this.#model = resolved.model;
    this.#maxTokens = resolved.maxTokens;
    this.#toolChoice =
      resolved.toolChoice === 'forced'
        ? { type: 'tool', name: WRITE_NOTEBOOK_TOOL_NAME, disable_parallel_tool_use: true }
        : { type: 'auto', disable_parallel_tool_use: true };
    this.#logger = resolved.logger;
    this.#temperature = options.temperature;
    this.#contextTokenBudget = options.contextTokenBudget ?? DEFAULT_CONTEXT_TOKEN_BUDGET;
    this.#invalidOutputRetries = options.invalidOutputRetries ?? 1;
    this.#interruptedStreamRetries = options.interruptedStreamRetries ?? 1;
  }

  async generate(request: CodegenRequest, options: GenerateOptions = {}): Promise<CodegenResult> {
    throwIfAborted(options.signal);
    const checked = parseCodegenRequest(request);
    const prompt = buildPrompt(checked, { contextTokenBudget: this.#contextTokenBudget });
    const logger = this.#logger?.child({ provider: this.name, model: this.#model });
    logger?.debug(
      { kind: checked.kind ?? 'generate', files: checked.files.length, historyMessages: checked.history.length, promptChars: prompt.system.length + prompt.user.length },
      'requesting notebook',
    );
    return retryGeneration(
      () => {
        reportPrompt(options.onPromptSent, { provider: this.name, model: this.#model, kind: checked.kind ?? 'generate', ...prompt }, logger);
        return this.#requestOnce(prompt, options, logger);
      },
      { signal: options.signal, logger, invalidOutputRetries: this.#invalidOutputRetries, interruptedStreamRetries: this.#interruptedStreamRetries },
    );
  }

  async #requestOnce(prompt: Prompt, options: GenerateOptions, logger: Logger | undefined): Promise<AttemptOutcome> {
    // Raw tool-input JSON per content block index, kept here so that it is parsed strictly: the
    // SDK's own snapshot completes truncated JSON silently.
    const toolInputs = new Map<number, string>();
    const finishedBlocks = new Set<number>();
    let streamed = false;
    let partialUsage: CodegenUsage | undefined;
    let message: Anthropic.Messages.Message;
    try {
      const stream = this.#client.messages.stream(
        {
          model: this.#model,
          max_tokens: this.#maxTokens,
          ...(this.#temperature === undefined ? {} : { temperature: this.#temperature }),
          system: [{ type: 'text', text: prompt.system, cache_control: { type: 'ephemeral' } }],
          messages: [{ role: 'user', content: prompt.user }],
          tools: [WRITE_NOTEBOOK_TOOL],
          tool_choice: this.#toolChoice,
        },
        options.signal ? { signal: options.signal } : undefined,
      );
      stream.on('streamEvent', (event) => {
        streamed = true;
        if (event.type === 'content_block_stop') finishedBlocks.add(event.index);
        if (event.type === 'message_start') partialUsage = toUsage(event.message.usage);
        if (event.type === 'message_delta' && partialUsage !== undefined) partialUsage = { ...partialUsage, outputTokens: event.usage.output_tokens };
        const delta = collect(event, toolInputs);
        if (delta !== undefined) emitDelta(options.onDelta, delta, logger);
      });
      message = await stream.finalMessage();
    } catch (error) {
      const invalid = invalidToolJson(error, toolInputs, finishedBlocks);
      const brokenOff = invalid === undefined && streamed && isTransportBreak(error);
      return {
        ok: false,
        error:
          invalid ??
          (brokenOff
            ? new CodegenFailedError('The connection to the Anthropic API broke off in the middle of the reply; try again.', {
                cause: error,
                retryable: true,
                details: { provider: this.name, reason: 'stream_interrupted' },
              })
            : toCodegenError(error, this.#model)),
        interrupted: streamed && invalid === undefined,
        ...(partialUsage === undefined ? {} : { usage: partialUsage }),
      };
    }

    const usage = toUsage(message.usage);
    try {
      const cells = this.#notebookCells(message, toolInputs);
      logger?.info({ stopReason: message.stop_reason, cells: cells.length, ...usage }, 'notebook generated');
      return { ok: true, result: { cells, usage, model: message.model } };
    } catch (error) {
      // The tokens of an invalid answer were spent all the same.
      return { ok: false, error, usage, model: message.model, interrupted: false };
    }
  }

  #notebookCells(message: Anthropic.Messages.Message, toolInputs: Map<number, string>): CellDraft[] {
    if (message.stop_reason === 'refusal') {
      throw new CodegenFailedError('The model declined to write a notebook for this message. Rephrase the question.', {
        retryable: false,
        details: { provider: this.name, stopReason: message.stop_reason },
      });
    }
    const truncated = message.stop_reason === 'max_tokens';
    const index = message.content.findIndex(isNotebookCall);
    const block = message.content[index];
    if (block === undefined || !isNotebookCall(block)) {
      throw new CodegenInvalidOutputError(
        truncated
          ? `The model used up its output budget (maxTokens ${this.#maxTokens}) before calling ${WRITE_NOTEBOOK_TOOL_NAME}; raise maxTokens.`
          : `The model answered without calling the ${WRITE_NOTEBOOK_TOOL_NAME} tool (stop reason "${message.stop_reason ?? 'unknown'}"), so there is no notebook.`,
        { retryable: !truncated, details: { provider: this.name, stopReason: message.stop_reason } },
      );
    }
    const raw = toolInputs.get(index);
    let input: unknown = block.input;
    if (raw !== undefined && raw.length > 0) {
      try {
        input = JSON.parse(raw);
      } catch (error) {
        throw new CodegenInvalidOutputError(
          truncated
            ? `The model used up its output budget (maxTokens ${this.#maxTokens}) in the middle of the notebook; raise maxTokens.`
            : `The ${WRITE_NOTEBOOK_TOOL_NAME} tool input is not valid JSON (${error instanceof Error ? error.message : String(error)}).`,
          { retryable: !truncated, cause: error, details: { provider: this.name, stopReason: message.stop_reason } },
        );
      }
    }
    return parseNotebookDraft(input, `The ${WRITE_NOTEBOOK_TOOL_NAME} tool input`, true);
  }
}

/** Records tool-input JSON and returns the piece of output an event carries, if any. */
function collect(event: Anthropic.Messages.MessageStreamEvent, toolInputs: Map<number, string>): string | undefined {
  if (event.type === 'content_block_start' && isNotebookCall(event.content_block)) {
    toolInputs.set(event.index, '');
    return undefined;
  }
  if (event.type !== 'content_block_delta') return undefined;
  if (event.delta.type === 'text_delta') return event.delta.text;
  if (event.delta.type === 'input_json_delta') {
    const soFar = toolInputs.get(event.index);
    if (soFar === undefined) return undefined;
    toolInputs.set(event.index, soFar + event.delta.partial_json);
    return event.delta.partial_json;
  }
  // Thinking, signatures and citations are not notebook output.
  return undefined;
}

function isNotebookCall(block: Anthropic.Messages.ContentBlock): block is Anthropic.Messages.ToolUseBlock {
  return block.type === 'tool_use' && block.name === WRITE_NOTEBOOK_TOOL_NAME;
}

/**
 * The SDK parses tool input itself when a block ends and fails on malformed JSON; that is the
 * model's output being wrong, not a transport failure.
 */
function invalidToolJson(error: unknown, toolInputs: Map<number, string>, finished: Set<number>): CodegenInvalidOutputError | undefined {
  if (error instanceof APIError) return undefined;
  for (const [index, raw] of toolInputs) {
    if (raw.length === 0) continue;
    try {
      JSON.parse(raw);
    } catch (parseError) {
      // A block that never finished because the connection broke was cut off, not written wrong.
      if (!finished.has(index) && isTransportBreak(error)) continue;
      return new CodegenInvalidOutputError(
        `The ${WRITE_NOTEBOOK_TOOL_NAME} tool input is not valid JSON (${parseError instanceof Error ? parseError.message : String(parseError)}).`,
        { retryable: true, cause: error, details: { provider: 'anthropic' } },
      );
    }
  }
  return undefined;
}

/**
 * Whether an error thrown while a reply streamed is the connection breaking (undici's
 * "terminated", a reset socket) rather than the API or the SDK saying something.
 */
function isTransportBreak(error: unknown): boolean {
  if (error instanceof APIError || error instanceof APIUserAbortError || isAssayError(error)) return false;
  const chain: unknown[] = [];
  for (let current: unknown = error; current instanceof Error && chain.length < 5; current = current.cause) chain.push(current);
  return chain.some((item) => item instanceof Error && /terminated|ECONNRESET|socket hang up|other side closed|premature close/i.test(item.message));
}

function toUsage(usage: Anthropic.Messages.Usage): CodegenUsage {
  const result: CodegenUsage = { inputTokens: usage.input_tokens, outputTokens: usage.output_tokens };
  if (usage.cache_read_input_tokens != null) result.cacheReadTokens = usage.cache_read_input_tokens;
  if (usage.cache_creation_input_tokens != null) result.cacheCreationTokens = usage.cache_creation_input_tokens;
  return result;
}
