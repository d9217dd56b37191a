import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import { isAssayError, type AssayError } from '@assay/errors';
import { cancelledError } from '../../cancellation';
import { CodegenFailedError } from '../../errors';

/** Error types the API reports (in an error body or a stream `error` event) that may pass. */
const TRANSIENT_ERROR_TYPES = new Set(['rate_limit_error', 'overloaded_error', 'api_error', 'timeout_error']);

/**
 * Turns whatever the Anthropic SDK threw into an `AssayError`, in one place: rate limits,
 * overload, server errors, timeouts and connection failures are retryable `CODEGEN_FAILED`;
 * authentication, permission, bad requests and unknown models are not, and their message says
 * which setting to change. Errors that already are `AssayError`s pass through unchanged.
 *
 * @param model - the configured model id, named in messages about unknown models
 */
export function toCodegenError(error: unknown, model: string): AssayError {
  if (isAssayError(error)) return error;
  if (error instanceof APIUserAbortError) return cancelledError(error);
  if (error instanceof APIConnectionTimeoutError) {
    return failed('The Anthropic API did not answer in time. Try again, or raise the provider\'s timeoutMs.', error, true);
  }
  if (error instanceof APIConnectionError) {
    return failed(
      `Could not reach the Anthropic API (${error.message}). Check the network and the provider's baseURL.`,
      error,
      true,
    );
  }
  if (!(error instanceof APIError)) {
    const reason = error instanceof Error ? error.message : String(error);
    return failed(`The Anthropic SDK failed unexpectedly: ${reason}`, error, false, 500);
  }

  const status = error.status;
  const type = error.type ?? undefined;
  const detail = error.apiMessage ?? error.message;
  const details: Record<string, unknown> = { provider: 'anthropic' };
  if (status !== undefined) details['upstreamStatus'] = status;
  if (type !== undefined) details['upstreamType'] = type;
  if (error.requestID) details['requestId'] = error.requestID;

  if (status === 429 || type === 'rate_limit_error') {
    const retryAfterSeconds = retryAfter(error.headers);
    if (retryAfterSeconds !== undefined) details['retryAfterSeconds'] = retryAfterSeconds;
    return failed(`The Anthropic API rate limit was reached: ${detail}`, error, true, 503, details);
  }
  if (status === 529 || type === 'overloaded_error') {
    return failed(`The Anthropic API is overloaded: ${detail}`, error, true, 503, details);
  }
  if (status === 401 || type === 'authentication_error') {
    return failed(`The Anthropic API rejected the API key: ${detail}. Set a valid key in the codegen configuration.`, error, false, 502, details);
  }
  if (status === 403 || type === 'permission_error' || type === 'billing_error') {
    return failed(`The Anthropic API key is not allowed to do this: ${detail}. Check the key's workspace and billing.`, error, false, 502, details);
  }
  if (status === 404 || type === 'not_found_error') {
    return failed(`The Anthropic API does not know model "${model}" or the endpoint: ${detail}. Check the configured model and baseURL.`, error, false, 502, details);
  }
  if (status === 413) {
    return failed(`The prompt is too large for the Anthropic API: ${detail}. Attach fewer or narrower files.`, error, false, 502, details);
  }
  if (status === 408 || status === 409 || (status !== undefined && status >= 500) || (type !== undefined && TRANSIENT_ERROR_TYPES.has(type))) {
    return failed(`The Anthropic API failed: ${detail}`, error, true, 502, details);
  }
  return failed(`The Anthropic API refused the request: ${detail}`, error, false, 502, details);
}

function failed(
  message: string,
  cause: unknown,
  retryable: boolean,
  status = 502,
  details: Record<string, unknown> = { provider: 'anthropic' },
): CodegenFailedError {
  return new CodegenFailedError(message, { cause, retryable, status, details });
}

/** Seconds to wait from `retry-after-ms` or `retry-after` (seconds or HTTP date), if given. */
function retryAfter(headers: Headers | undefined): number | undefined {
  const millis = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (Number.isFinite(millis) && millis >= 0) return Math.ceil(millis / 1000);
  const raw = headers?.get('retry-after');
  if (!raw) return undefined;
  const seconds = Number.parseFloat(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(raw);
  return Number.isFinite(date) ? Math.max(0, Math.ceil((date - Date.now()) / 1000)) : undefined;
}
