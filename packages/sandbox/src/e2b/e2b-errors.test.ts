import { describe, expect, it } from '@jest/globals';
import { e2bFailure, isE2bNotFound, isE2bTimeout } from './e2b-errors';

/** An error named as the SDK names its classes. */
function sdkError(name: string, message = 'failed'): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

describe('e2bFailure', () => {
  it('turns a rejected API key into CONFIG_INVALID that names the setting', () => {
    const error = e2bFailure(sdkError('AuthenticationError'), 'creating a sandbox');
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('E2B_API_KEY');
  });

  it('turns a missing sandbox into SANDBOX_UNAVAILABLE that is not retried', () => {
    const error = e2bFailure(sdkError('SandboxNotFoundError'), 'connecting', 'i123');
    expect(error).toMatchObject({ code: 'SANDBOX_UNAVAILABLE', retryable: false, details: { sandboxId: 'i123' } });
  });

  it('marks rate limits, timeouts and unknown failures as retryable', () => {
    for (const name of ['RateLimitError', 'TimeoutError', 'TypeError']) {
      expect(e2bFailure(sdkError(name), 'running a cell')).toMatchObject({ code: 'SANDBOX_UNAVAILABLE', retryable: true });
    }
  });
});

describe('error guards', () => {
  it('recognise errors by name, also error-like values from another realm', () => {
    expect(isE2bNotFound(sdkError('FileNotFoundError'))).toBe(true);
    expect(isE2bNotFound(sdkError('TimeoutError'))).toBe(false);
    expect(isE2bTimeout({ name: 'AbortError', message: 'This operation was aborted' })).toBe(true);
    expect(isE2bTimeout('TimeoutError')).toBe(false);
  });
});
