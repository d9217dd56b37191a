import type { Logger } from '@assay/logger';
import { throwIfAborted } from '../../cancellation';
import { emitDelta, reportPrompt } from '../../deltas';
import { parseCodegenRequest } from '../../parse-codegen-request';
import { buildPrompt } from '../../prompt/build-prompt';
import type { CodegenProvider, CodegenRequest, CodegenResult, GenerateOptions } from '../../types';
import { buildAnalysisNotebook } from './analysis-notebook';

/** Options of {@link OfflineCodegenProvider}. */
export interface OfflineCodegenProviderOptions {
  /** Receives one debug line per notebook. @defaultValue no logging */
  logger?: Logger;
}

/**
 * Writes notebooks without a model, for installations without an API key: common requests
 * (aggregations, top N, counts, correlations, distributions, trends, missing values, filters,
 * column summaries) recognised from the question and the column names, anything else an
 * overview of every attached file (see `buildAnalysisNotebook`). Deterministic: the same request
 * always gives the same cells.
 *
 * Repair requests get no cells: without a model there is no way to reason about an error, and
 * answering with the same notebook again would only fail again. An empty answer tells the
 * repair flow that this provider cannot repair, so it stops with the original error.
 */
export class OfflineCodegenProvider implements CodegenProvider {
  readonly name = 'offline' as const;
  readonly #logger: Logger | undefined;

  constructor(options: OfflineCodegenProviderOptions = {}) {
    this.#logger = options.logger;
  }

  async generate(request: CodegenRequest, options: GenerateOptions = {}): Promise<CodegenResult> {
    throwIfAborted(options.signal);
    const checked = parseCodegenRequest(request);
    // Nothing leaves the process, but reporting what the one prompt builder makes of the request
    // keeps the audit trail the same for every provider.
    reportPrompt(options.onPromptSent, { provider: this.name, kind: checked.kind ?? 'generate', ...buildPrompt(checked) }, this.#logger);
    if (checked.kind === 'repair') {
      this.#logger?.debug({ provider: this.name, attempt: checked.repair?.attempt }, 'offline analyst cannot repair; no cells');
      return { cells: [] };
    }
    const cells = buildAnalysisNotebook(checked);
    for (const cell of cells) emitDelta(options.onDelta, cell.source, this.#logger);
    this.#logger?.debug({ provider: this.name, files: checked.files.length, cells: cells.length }, 'offline notebook written');
    return { cells };
  }
}
