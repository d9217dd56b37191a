import { AssayError, ErrorCode, isAssayError, type AssayErrorOptions } from '@assay/errors';

/** Options of {@link CodegenFailedError}. */
export interface CodegenFailedErrorOptions extends AssayErrorOptions {
  /**
   * HTTP status reported to clients.
   * @defaultValue 502 (a model provider failed), 500 for failures on our side
   */
  status?: number;
}

/**
 * Code generation did not produce an answer: the model provider failed or refused, the request
 * was cancelled, or the request given to the provider was malformed. `retryable` is true when
 * the same request may succeed later (rate limits, overload, server errors, timeouts).
 */
export class CodegenFailedError extends AssayError {
  constructor(message: string, options: CodegenFailedErrorOptions = {}) {
    super(ErrorCode.CODEGEN_FAILED, message, { ...options, status: options.status ?? 502 });
  }
}

/** True for a `CODEGEN_FAILED` error, also across copies of this package. */
export function isCodegenFailedError(error: unknown): error is AssayError {
  return isAssayError(error) && error.code === ErrorCode.CODEGEN_FAILED;
}
