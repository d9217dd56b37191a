export { CodegenFailedError, isCodegenFailedError } from './codegen-failed-error';
export type { CodegenFailedErrorOptions } from './codegen-failed-error';
export { CodegenInvalidOutputError, isCodegenInvalidOutputError } from './codegen-invalid-output-error';
