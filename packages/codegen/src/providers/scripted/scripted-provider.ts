import type { CellDraft } from '@assay/contracts';
import type { Logger } from '@assay/logger';
import { throwIfAborted } from '../../cancellation';
import { emitDelta, reportPrompt } from '../../deltas';
import { CodegenInvalidOutputError } from '../../errors';
import { NOTEBOOK_DRAFT_SHAPE, parseNotebookDraft } from '../../notebook-draft';
import { parseCodegenRequest } from '../../parse-codegen-request';
import { buildPrompt } from '../../prompt/build-prompt';
import type { CodegenProvider, CodegenRequest, CodegenResult, GenerateOptions } from '../../types';

/** Options of {@link ScriptedCodegenProvider}. */
export interface ScriptedCodegenProviderOptions {
  /** Receives one debug line per notebook. @defaultValue no logging */
  logger?: Logger;
}

/**
 * Replays a notebook written by the caller, for tests and replays: the message text (the
 * request's `question`) is a JSON document `{ "cells": [{ "kind": "code" | "markdown",
 * "source": "..." }] }`, and exactly those cells come back, one `onDelta` call per cell source.
 *
 * @example
 * await provider.generate({ question: JSON.stringify({ cells: [{ kind: 'code', source: 'print(1)' }] }), files: [], history: [] });
 */
export class ScriptedCodegenProvider implements CodegenProvider {
  readonly name = 'scripted' as const;
  readonly #logger: Logger | undefined;

  constructor(options: ScriptedCodegenProviderOptions = {}) {
    this.#logger = options.logger;
  }

  async generate(request: CodegenRequest, options: GenerateOptions = {}): Promise<CodegenResult> {
    throwIfAborted(options.signal);
    const checked = parseCodegenRequest(request);
    const { question } = checked;
    // Built and reported like a model's prompt, so tests can check what would have been sent.
    const prompt = buildPrompt(checked);
    reportPrompt(options.onPromptSent, { provider: this.name, kind: checked.kind ?? 'generate', ...prompt }, this.#logger);
    let document: unknown;
    try {
      document = JSON.parse(question);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new CodegenInvalidOutputError(
        `The scripted provider reads the message as JSON of the form ${NOTEBOOK_DRAFT_SHAPE}, e.g. {"cells":[{"kind":"code","source":"print(1)"}]}; this message is not JSON (${reason}).`,
        { retryable: false, cause: error },
      );
    }
    const cells = checked.repair === undefined ? parseNotebookDraft(document, 'The scripted message', false) : repairCells(document, checked.repair.attempt);
    for (const cell of cells) emitDelta(options.onDelta, cell.source, this.#logger);
    this.#logger?.debug({ provider: this.name, cells: cells.length }, 'scripted notebook replayed');
    return { cells };
  }
}

/**
 * A repair of the scripted provider: the message's JSON may carry `"repairs": [<notebook>, …]`,
 * one notebook (`{"cells": […]}`) per repair attempt, in order.
 */
function repairCells(document: unknown, attempt: number): CellDraft[] {
  const repairs = typeof document === 'object' && document !== null && 'repairs' in document ? document.repairs : undefined;
  const scripted = Array.isArray(repairs) ? (repairs as unknown[])[attempt - 1] : undefined;
  if (scripted === undefined) {
    throw new CodegenInvalidOutputError(
      `The scripted message has no repair for attempt ${attempt}; add "repairs": [{"cells": [...]}, ...] with one notebook per attempt.`,
      { retryable: false },
    );
  }
  return parseNotebookDraft(scripted, `Scripted repair ${attempt}`, false);
}
