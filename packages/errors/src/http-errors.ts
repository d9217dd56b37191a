import { AssayError, type AssayErrorOptions } from './assay-error';
import { ErrorCode } from './error-code';

type Options = Omit<AssayErrorOptions, 'status'>;

/** 401: the request carries no API key, or one that is unknown or revoked. */
export class UnauthorizedError extends AssayError {
  constructor(message = 'Send a valid API key as "Authorization: Bearer <key>".', options: Options = {}) {
    super(ErrorCode.UNAUTHORIZED, message, { ...options, status: 401 });
  }
}

/**
 * 404: the resource does not exist *for this tenant*. Another tenant's resource gets the
 * same answer, so ids cannot be probed across tenants.
 */
export class NotFoundError extends AssayError {
  constructor(resource: string, id: string, options: Options = {}) {
    super(ErrorCode.NOT_FOUND, `${resource} ${id} was not found.`, {
      ...options,
      status: 404,
      details: { resource, id, ...options.details },
    });
  }
}

/** 400: the request is malformed (bad JSON, wrong field types, missing fields). */
export class ValidationError extends AssayError {
  constructor(message: string, options: Options = {}) {
    super(ErrorCode.VALIDATION_FAILED, message, { ...options, status: 400 });
  }
}

/** 413: the request body or an uploaded file is larger than the configured limit. */
export class PayloadTooLargeError extends AssayError {
  constructor(message: string, options: Options = {}) {
    super(ErrorCode.PAYLOAD_TOO_LARGE, message, { ...options, status: 413 });
  }
}

/** 415: the upload is not a supported kind of file, or its content does not match its name. */
export class UnsupportedMediaTypeError extends AssayError {
  constructor(
    code: typeof ErrorCode.UNSUPPORTED_FILE_TYPE | typeof ErrorCode.FILE_CONTENT_MISMATCH,
    message: string,
    options: Options = {},
  ) {
    super(code, message, { ...options, status: 415 });
  }
}

/** 422: well-formed, but cannot be acted on in the current state (e.g. a file that failed ingest). */
export class UnprocessableError extends AssayError {
  constructor(code: ErrorCode, message: string, options: Options = {}) {
    super(code, message, { ...options, status: 422 });
  }
}

/** 429: a limit was reached; `retryAfterSeconds`, when known, says when to try again. */
export class RateLimitError extends AssayError {
  readonly retryAfterSeconds: number | undefined;
  constructor(message: string, options: Options & { retryAfterSeconds?: number } = {}) {
    super(ErrorCode.RATE_LIMITED, message, { ...options, status: 429, retryable: true });
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** 503: a dependency (database, Redis, storage) is not reachable right now. */
export class UnavailableError extends AssayError {
  constructor(message: string, options: Options = {}) {
    super(ErrorCode.UNAVAILABLE, message, { ...options, status: 503, retryable: true });
  }
}

/** How much of a quota is left, sent as `X-RateLimit-*` headers with a {@link QuotaExceededError}. */
export interface QuotaState {
  /** The quota, in its unit (bytes, requests, ...). */
  limit: number;
  /** What is left of it, never negative. */
  remaining: number;
  /** When the quota refills, if it does (rate quotas); absent for stock quotas like stored bytes. */
  retryAfterSeconds?: number;
}

/**
 * 429: a tenant quota (stored bytes, uploads per hour, ...) does not allow the request. Nothing
 * of the request has been kept.
 */
export class QuotaExceededError extends AssayError {
  readonly quota: QuotaState;
  constructor(message: string, quota: QuotaState, options: Options = {}) {
    super(ErrorCode.QUOTA_EXCEEDED, message, {
      ...options,
      status: 429,
      details: { limit: quota.limit, remaining: quota.remaining, ...options.details },
    });
    this.quota = quota;
  }
}
