import type { Logger } from '@assay/logger';
import { throwIfAborted } from '../../cancellation';
import { emitDelta } from '../../deltas';
import { parseCodegenRequest } from '../../parse-codegen-request';
import type { CodegenProvider, CodegenRequest, CodegenResult, GenerateOptions } from '../../types';
import { buildOverviewNotebook } from './overview-notebook';

/** Options of {@link OfflineCodegenProvider}. */
export interface OfflineCodegenProviderOptions {
  /** Receives one debug line per notebook. @defaultValue no logging */
  logger?: Logger;
}

/**
 * Writes notebooks without a model, for installations without an API key: an overview of every
 * attached file (see `buildOverviewNotebook`). Deterministic: the same request always gives the
 * same cells.
 */
export class OfflineCodegenProvider implements CodegenProvider {
  readonly name = 'offline' as const;
  readonly #logger: Logger | undefined;

  constructor(options: OfflineCodegenProviderOptions = {}) {
    this.#logger = options.logger;
  }

  async generate(request: CodegenRequest, options: GenerateOptions = {}): Promise<CodegenResult> {
    throwIfAborted(options.signal);
    const cells = buildOverviewNotebook(parseCodegenRequest(request));
    for (const cell of cells) emitDelta(options.onDelta, cell.source, this.#logger);
    this.#logger?.debug({ provider: this.name, files: request.files.length, cells: cells.length }, 'overview notebook written');
    return { cells };
  }
}
