import { AssayError, ErrorCode, isAssayError, type AssayErrorOptions } from '@assay/errors';

/**
 * The provider answered, but not with a notebook of the expected shape (unparseable JSON,
 * unknown cell kinds, no cells, a reply without the notebook tool call). The message shows the
 * expected shape and what was wrong.
 */
export class CodegenInvalidOutputError extends AssayError {
  constructor(message: string, options: Omit<AssayErrorOptions, 'status'> = {}) {
    super(ErrorCode.CODEGEN_INVALID_OUTPUT, message, { ...options, status: 502 });
  }
}

/** True for a `CODEGEN_INVALID_OUTPUT` error, also across copies of this package. */
export function isCodegenInvalidOutputError(error: unknown): error is AssayError {
  return isAssayError(error) && error.code === ErrorCode.CODEGEN_INVALID_OUTPUT;
}
