import { describe, expect, it } from '@jest/globals';
import { AssayError, ErrorCode, isAssayError } from '@assay/errors';
import { CodegenFailedError, CodegenInvalidOutputError, isCodegenFailedError, isCodegenInvalidOutputError } from '.';

describe('codegen errors', () => {
  it('carry their code, a 502 status by default and the AssayError shape', () => {
    const failed = new CodegenFailedError('upstream down', { retryable: true });
    const invalid = new CodegenInvalidOutputError('not a notebook');

    expect(failed).toBeInstanceOf(AssayError);
    expect(isAssayError(invalid)).toBe(true);
    expect(failed).toMatchObject({ name: 'CodegenFailedError', code: ErrorCode.CODEGEN_FAILED, status: 502, retryable: true });
    expect(invalid).toMatchObject({ name: 'CodegenInvalidOutputError', code: ErrorCode.CODEGEN_INVALID_OUTPUT, status: 502, retryable: false });
    expect(new CodegenFailedError('bad request object', { status: 500 }).status).toBe(500);
  });

  it('are recognised by code, also when built elsewhere', () => {
    const foreign = new AssayError(ErrorCode.CODEGEN_FAILED, 'from another copy of the package');
    expect(isCodegenFailedError(foreign)).toBe(true);
    expect(isCodegenFailedError(new CodegenInvalidOutputError('x'))).toBe(false);
    expect(isCodegenInvalidOutputError(new CodegenInvalidOutputError('x'))).toBe(true);
    expect(isCodegenInvalidOutputError(new Error('plain'))).toBe(false);
  });
});
