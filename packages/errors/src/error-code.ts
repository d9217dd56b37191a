/**
 * Every error code Assay returns or records, in one list.
 *
 * Codes are part of the public API (they appear in `{ error: { code } }` bodies, in
 * `message.failed` events and on failed files): never rename one, only add.
 */
export const ErrorCode = {
  // Requests
  UNAUTHORIZED: 'UNAUTHORIZED',
  NOT_FOUND: 'NOT_FOUND',
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_FILE_TYPE: 'UNSUPPORTED_FILE_TYPE',
  FILE_CONTENT_MISMATCH: 'FILE_CONTENT_MISMATCH',
  FILE_NOT_READY: 'FILE_NOT_READY',
  FILE_FAILED: 'FILE_FAILED',
  CONFLICT: 'CONFLICT',
  CHAT_FILE_LIMIT: 'CHAT_FILE_LIMIT',
  QUOTA_EXCEEDED: 'QUOTA_EXCEEDED',
  RATE_LIMITED: 'RATE_LIMITED',
  INTERNAL: 'INTERNAL',
  UNAVAILABLE: 'UNAVAILABLE',
  /** The Idempotency-Key was already used for a different request (another path or body). */
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
  /** A request with the same Idempotency-Key is still being handled; retry shortly. */
  IDEMPOTENCY_IN_PROGRESS: 'IDEMPOTENCY_IN_PROGRESS',

  // Ingest
  FILE_UNREADABLE: 'FILE_UNREADABLE',

  // Code generation
  CODEGEN_FAILED: 'CODEGEN_FAILED',
  CODEGEN_INVALID_OUTPUT: 'CODEGEN_INVALID_OUTPUT',

  // Execution
  SANDBOX_UNAVAILABLE: 'SANDBOX_UNAVAILABLE',
  KERNEL_DIED: 'KERNEL_DIED',
  CELL_TIMEOUT: 'CELL_TIMEOUT',
  CELL_ERROR: 'CELL_ERROR',

  // Configuration and environment
  CONFIG_INVALID: 'CONFIG_INVALID',
  ENVIRONMENT_MISSING: 'ENVIRONMENT_MISSING',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
