import type { ErrorBody } from '@assay/contracts';
import { AssayError, ErrorCode, QuotaExceededError, RateLimitError, ValidationError, isAssayError } from '@assay/errors';
import type { Logger } from '@assay/logger';
import type { ErrorRequestHandler, RequestHandler } from 'express';

/**
 * Turns anything thrown by a route into the API's one error shape. AssayErrors keep their code,
 * status and message; body-parser errors become 400/413; anything else is an unexpected failure,
 * logged in full and reported as INTERNAL without details.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const known = toAssayError(error);
    if (known.status >= 500) logger.error({ err: error, method: req.method, path: req.path }, 'unexpected error');
    if (known instanceof RateLimitError && known.retryAfterSeconds !== undefined) {
      res.setHeader('Retry-After', String(known.retryAfterSeconds));
    }
    if (known instanceof QuotaExceededError) {
      res.setHeader('X-RateLimit-Limit', String(known.quota.limit));
      res.setHeader('X-RateLimit-Remaining', String(known.quota.remaining));
      if (known.quota.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(known.quota.retryAfterSeconds));
    }
    const body: ErrorBody = { error: known.toJSON() };
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(known.status).json(body);
  };
}

/** 404 for routes that do not exist, in the same error shape. */
export const unknownRoute: RequestHandler = (req, res) => {
  const body: ErrorBody = {
    error: { code: ErrorCode.NOT_FOUND, message: `There is no route ${req.method} ${req.path}.` },
  };
  res.status(404).json(body);
};

function toAssayError(error: unknown): AssayError {
  if (isAssayError(error)) return error;
  // express.json() errors carry `type` and `status`.
  const parserError = error as { type?: unknown; status?: unknown; limit?: unknown };
  if (parserError?.type === 'entity.parse.failed') {
    return new ValidationError('The request body is not valid JSON.');
  }
  if (parserError?.type === 'entity.too.large') {
    return new AssayError(ErrorCode.PAYLOAD_TOO_LARGE, `The request body is larger than ${String(parserError.limit)} bytes.`, {
      status: 413,
    });
  }
  return new AssayError(ErrorCode.INTERNAL, 'Something went wrong on our side; the failure has been logged.', {
    status: 500,
    cause: error,
  });
}
