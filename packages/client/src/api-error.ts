import type { ErrorCode } from '@assay/errors';

/** A code the server sends in `{ error: { code } }`; unknown future codes still type as string. */
export type ApiErrorCode = ErrorCode | (string & {});

/**
 * An error answer of the API (or a refused WebSocket subscription), with the server's code.
 * Branch on `code`, not on `message` (messages are for people and may change).
 */
export class AssayApiError extends Error {
  override readonly name = 'AssayApiError';

  constructor(
    /** The server's error code, e.g. `NOT_FOUND`, `RATE_LIMITED`. */
    readonly code: ApiErrorCode,
    message: string,
    /** HTTP status; 0 for an error that arrived on the WebSocket. */
    readonly status: number,
    readonly details: Record<string, unknown> | undefined = undefined,
    /** Seconds the server asked to wait (`Retry-After`), when it did. */
    readonly retryAfterSeconds: number | undefined = undefined,
  ) {
    super(message);
  }
}

/** Whether `error` is an API error, optionally with this code. */
export function isAssayApiError(error: unknown, code?: ApiErrorCode): error is AssayApiError {
  return error instanceof AssayApiError && (code === undefined || error.code === code);
}
