import { isAssayError } from '@assay/errors';
import type { Logger } from '@assay/logger';
import { cancelledError, throwIfAborted } from './cancellation';
import { CodegenInvalidOutputError, isCodegenInvalidOutputError } from './errors';
import type { CodegenResult, CodegenUsage } from './types';

/** One request to a model: its notebook, or why there is none and what it cost. */
export type AttemptOutcome =
  | { ok: true; result: CodegenResult }
  | {
      ok: false;
      error: unknown;
      /** Tokens the failed attempt used (an invalid answer is paid for too). */
      usage?: CodegenUsage;
      model?: string;
      /** The reply had started streaming when it failed (a cut connection, an error event). */
      interrupted: boolean;
    };

/** Options of {@link retryGeneration}. */
export interface RetryGenerationOptions {
  signal?: AbortSignal | undefined;
  logger?: Logger | undefined;
  /** Further requests after an answer that is not a valid notebook. @defaultValue 1 */
  invalidOutputRetries?: number;
  /**
   * Further requests after a reply that broke off mid-stream. HTTP-level failures (429, 5xx,
   * overloaded, refused connections) are retried inside the SDK before any byte streams, with
   * its backoff and retry-after handling; a stream that breaks later is not, hence this.
   * @defaultValue 1
   */
  interruptedStreamRetries?: number;
  /** Wait before a retry after a broken stream, jittered ±50 %. @defaultValue 500 */
  interruptedStreamDelayMs?: number;
}

/**
 * Runs `attempt` until it yields a notebook: an invalid answer (rejected by the zod schema, or
 * no tool call) is asked again `invalidOutputRetries` times, then fails with a
 * `CODEGEN_INVALID_OUTPUT` saying how many answers were rejected; a stream cut mid-way is asked
 * again `interruptedStreamRetries` times. The usage of every attempt is summed into the result.
 */
export async function retryGeneration(attempt: () => Promise<AttemptOutcome>, options: RetryGenerationOptions = {}): Promise<CodegenResult> {
  const invalidRetries = options.invalidOutputRetries ?? 1;
  const interruptedRetries = options.interruptedStreamRetries ?? 1;
  const delayMs = options.interruptedStreamDelayMs ?? 500;
  let invalidSeen = 0;
  let interruptedSeen = 0;
  let spent: CodegenUsage | undefined;
  for (;;) {
    throwIfAborted(options.signal);
    const outcome = await attempt();
    if (outcome.ok) {
      const usage = addUsage(spent, outcome.result.usage);
      return usage === undefined ? outcome.result : { ...outcome.result, usage };
    }
    spent = addUsage(spent, outcome.usage);
    const { error } = outcome;
    if (isCodegenInvalidOutputError(error) && error.retryable) {
      invalidSeen += 1;
      if (invalidSeen <= invalidRetries) {
        options.logger?.warn({ err: error, attempt: invalidSeen }, 'invalid notebook from the model; asking again');
        continue;
      }
      throw new CodegenInvalidOutputError(
        `${error.message}\n(${invalidSeen} ${invalidSeen === 1 ? 'answer was' : 'answers were'} rejected in a row; the model did not produce a valid notebook.)`,
        { cause: error, retryable: false, details: { ...(error.details ?? {}), rejectedAnswers: invalidSeen, ...(spent === undefined ? {} : { usage: spent }) } },
      );
    }
    if (outcome.interrupted && isAssayError(error) && error.retryable && interruptedSeen < interruptedRetries) {
      interruptedSeen += 1;
      options.logger?.warn({ err: error, attempt: interruptedSeen }, 'model reply broke off mid-stream; asking again');
      await sleep(delayMs * (0.5 + Math.random()), options.signal);
      continue;
    }
    throw error;
  }
}

function addUsage(a: CodegenUsage | undefined, b: CodegenUsage | undefined): CodegenUsage | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const sum: CodegenUsage = { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens };
  if (a.cacheReadTokens !== undefined || b.cacheReadTokens !== undefined) sum.cacheReadTokens = (a.cacheReadTokens ?? 0) + (b.cacheReadTokens ?? 0);
  if (a.cacheCreationTokens !== undefined || b.cacheCreationTokens !== undefined) {
    sum.cacheCreationTokens = (a.cacheCreationTokens ?? 0) + (b.cacheCreationTokens ?? 0);
  }
  return sum;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelledError(signal?.reason));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
