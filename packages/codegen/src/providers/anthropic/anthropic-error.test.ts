import { describe, expect, it } from '@jest/globals';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import { ErrorCode } from '@assay/errors';
import { CodegenInvalidOutputError } from '../../errors';
import { toCodegenError } from './anthropic-error';

/** An SDK error exactly as the SDK builds one from an HTTP response. */
function httpError(status: number, type: string, headers: Record<string, string> = {}): APIError {
  const body = { type: 'error', error: { type, message: `upstream says ${type}` } };
  return APIError.generate(status, body, undefined, new Headers({ 'request-id': 'req_1', ...headers }));
}

describe('toCodegenError()', () => {
  it.each([
    [429, 'rate_limit_error', true],
    [500, 'api_error', true],
    [502, 'api_error', true],
    [503, 'api_error', true],
    [529, 'overloaded_error', true],
    [408, 'timeout_error', true],
    [400, 'invalid_request_error', false],
    [401, 'authentication_error', false],
    [403, 'permission_error', false],
    [404, 'not_found_error', false],
    [413, 'request_too_large', false],
  ])('maps HTTP %i (%s) to CODEGEN_FAILED, retryable=%s', (status, type, retryable) => {
    const error = toCodegenError(httpError(status, type), 'claude-test');
    expect(error).toMatchObject({
      code: ErrorCode.CODEGEN_FAILED,
      retryable,
      details: { provider: 'anthropic', upstreamStatus: status, upstreamType: type, requestId: 'req_1' },
    });
    expect(error.message).toContain(`upstream says ${type}`);
  });

  it('says which setting to change', () => {
    expect(toCodegenError(httpError(401, 'authentication_error'), 'm').message).toMatch(/valid key/);
    expect(toCodegenError(httpError(404, 'not_found_error'), 'claude-nope').message).toContain('"claude-nope"');
  });

  it('keeps the retry-after hint of a rate limit', () => {
    expect(toCodegenError(httpError(429, 'rate_limit_error', { 'retry-after': '17' }), 'm').details).toMatchObject({
      retryAfterSeconds: 17,
    });
  });

  it('treats an overload reported inside the stream (no status) as retryable', () => {
    const streamed = new APIError(undefined, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, undefined, undefined);
    expect(toCodegenError(streamed, 'm')).toMatchObject({ code: ErrorCode.CODEGEN_FAILED, retryable: true });
  });

  it('maps connection failures to retryable and cancellation to not retryable', () => {
    expect(toCodegenError(new APIConnectionTimeoutError(), 'm')).toMatchObject({ retryable: true, message: expect.stringContaining('timeoutMs') });
    expect(toCodegenError(new APIConnectionError({ message: 'ECONNREFUSED' }), 'm')).toMatchObject({
      retryable: true,
      message: expect.stringContaining('baseURL'),
    });
    expect(toCodegenError(new APIUserAbortError(), 'm')).toMatchObject({ retryable: false, details: { reason: 'aborted' } });
  });

  it('passes AssayErrors through and wraps anything else as not retryable', () => {
    const invalid = new CodegenInvalidOutputError('bad');
    expect(toCodegenError(invalid, 'm')).toBe(invalid);
    expect(toCodegenError(new RangeError('boom'), 'm')).toMatchObject({ code: ErrorCode.CODEGEN_FAILED, retryable: false });
  });
});
