import { AssayError, ErrorCode } from '@assay/errors';

/**
 * Turns a failure of an E2B SDK call into an `AssayError` that says what to change. The SDK's
 * error classes set `name`; it is checked rather than `instanceof`, as the SDK is loaded lazily.
 *
 * @param action what Assay was doing, for the message ("creating a sandbox").
 * @param sandboxId the sandbox concerned, when there is one.
 */
export function e2bFailure(error: unknown, action: string, sandboxId?: string): AssayError {
  if (error instanceof AssayError) return error;
  const name = errorName(error);
  const detail = error instanceof Error ? error.message : String(error);
  const details = sandboxId === undefined ? undefined : { sandboxId };
  switch (name) {
    case 'AuthenticationError':
      return new AssayError(
        ErrorCode.CONFIG_INVALID,
        `E2B rejected the API key while ${action}: set a valid key (apiKey of E2bSandboxBackend, E2B_API_KEY). ${detail}`,
        { cause: error, details },
      );
    case 'TemplateError':
      return new AssayError(
        ErrorCode.CONFIG_INVALID,
        `The E2B template cannot be used while ${action}: choose a code-interpreter template with a current envd. ${detail}`,
        { cause: error, details },
      );
    case 'NotFoundError':
    case 'SandboxNotFoundError':
      return new AssayError(
        ErrorCode.SANDBOX_UNAVAILABLE,
        `E2B sandbox ${sandboxId ?? ''} was not found while ${action}: it was killed or passed its timeout; create a new sandbox. ${detail}`,
        { cause: error, details },
      );
    case 'RateLimitError':
    case 'ServiceBusyError':
    case 'TimeoutError':
      return new AssayError(ErrorCode.SANDBOX_UNAVAILABLE, `E2B did not answer in time while ${action}; try again later. ${detail}`, {
        cause: error,
        retryable: true,
        details,
      });
    default:
      return new AssayError(ErrorCode.SANDBOX_UNAVAILABLE, `E2B failed while ${action}: ${detail}`, {
        cause: error,
        retryable: true,
        details,
      });
  }
}

/** True for the SDK's error when a sandbox, a code context or a file does not exist. */
export function isE2bNotFound(error: unknown): boolean {
  return ['NotFoundError', 'SandboxNotFoundError', 'FileNotFoundError'].includes(errorName(error));
}

/**
 * True for the end of a request the SDK aborted on its timer: its `TimeoutError`, or the
 * `AbortError` of fetch itself, which the SDK passes on unconverted when that error comes from
 * another realm (its check is `instanceof Error`; fetch's DOMException fails it under jest).
 */
export function isE2bTimeout(error: unknown): boolean {
  const name = errorName(error);
  return name === 'TimeoutError' || name === 'AbortError';
}

/** The `name` of an error-like value, whatever realm made it ('' when it has none). */
function errorName(error: unknown): string {
  if (typeof error !== 'object' || error === null || !('name' in error)) return '';
  return typeof error.name === 'string' ? error.name : '';
}
