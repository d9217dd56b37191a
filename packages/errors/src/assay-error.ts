import type { ErrorCode } from './error-code';

/** Options shared by every {@link AssayError}. */
export interface AssayErrorOptions {
  /** The lower-level error this one explains. */
  cause?: unknown;
  /**
   * HTTP status used when the error reaches a client.
   * @defaultValue 500
   */
  status?: number;
  /**
   * Whether repeating the same operation later may succeed (a queue retries such jobs).
   * @defaultValue false
   */
  retryable?: boolean;
  /** Machine-readable context safe to show to the caller (limits, field names, ids). */
  details?: Record<string, unknown>;
}

/**
 * Base class of every error Assay raises on purpose.
 *
 * The `code` is stable and documented (see {@link ErrorCode}); the message is written for a
 * person and says what to change. Anything that is not an `AssayError` is an unexpected
 * failure and is reported to clients as `INTERNAL` without its message.
 */
export class AssayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options: AssayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status ?? 500;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
    Object.setPrototypeOf(this, new.target.prototype);
  }

  /** The JSON form sent to clients and stored on failed records. */
  toJSON(): { code: ErrorCode; message: string; details?: Readonly<Record<string, unknown>> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/**
 * True for an {@link AssayError}, also across module copies (checks the shape, not only the
 * prototype chain, as a second copy of this package would have its own class).
 */
export function isAssayError(error: unknown): error is AssayError {
  if (error instanceof AssayError) return true;
  return (
    error instanceof Error &&
    typeof (error as Partial<AssayError>).code === 'string' &&
    typeof (error as Partial<AssayError>).status === 'number' &&
    typeof (error as Partial<AssayError>).retryable === 'boolean'
  );
}

/**
 * The `{ code, message }` to record for a failure a person will read (a failed message or
 * file): an AssayError's own code and message, or `fallback` for anything unexpected, whose
 * message is not meant for users.
 */
export function describeFailure(error: unknown, fallback: { code: ErrorCode; message: string }): { code: ErrorCode; message: string } {
  return isAssayError(error) ? { code: error.code, message: error.message } : fallback;
}
