export { ErrorCode } from './error-code';
export { AssayError, describeFailure, isAssayError } from './assay-error';
export type { AssayErrorOptions } from './assay-error';
export {
  NotFoundError,
  PayloadTooLargeError,
  QuotaExceededError,
  RateLimitError,
  UnauthorizedError,
  UnavailableError,
  UnprocessableError,
  UnsupportedMediaTypeError,
  ValidationError,
} from './http-errors';
export type { QuotaState } from './http-errors';
