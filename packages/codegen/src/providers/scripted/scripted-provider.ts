import type { Logger } from '@assay/logger';
import { throwIfAborted } from '../../cancellation';
import { emitDelta } from '../../deltas';
import { CodegenInvalidOutputError } from '../../errors';
import { NOTEBOOK_DRAFT_SHAPE, parseNotebookDraft } from '../../notebook-draft';
import { parseCodegenRequest } from '../../parse-codegen-request';
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
    const { question } = parseCodegenRequest(request);
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
    const cells = parseNotebookDraft(document, 'The scripted message', false);
    for (const cell of cells) emitDelta(options.onDelta, cell.source, this.#logger);
    this.#logger?.debug({ provider: this.name, cells: cells.length }, 'scripted notebook replayed');
    return { cells };
  }
}
