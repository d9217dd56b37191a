import { describe, expect, it } from '@jest/globals';
import { AssayError, isAssayError } from './assay-error';
import { ErrorCode } from './error-code';
import { NotFoundError, RateLimitError, UnsupportedMediaTypeError } from './http-errors';

describe('AssayError', () => {
  it('keeps its code, status, retryability and cause', () => {
    const cause = new Error('socket closed');
    const error = new AssayError(ErrorCode.UNAVAILABLE, 'Redis is not reachable.', { status: 503, retryable: true, cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('AssayError');
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.status).toBe(503);
    expect(error.retryable).toBe(true);
    expect(error.cause).toBe(cause);
  });

  it('defaults to a non-retryable 500', () => {
    const error = new AssayError(ErrorCode.INTERNAL, 'boom');
    expect(error.status).toBe(500);
    expect(error.retryable).toBe(false);
  });

  it('serialises to the API error shape, with details only when present', () => {
    expect(new AssayError(ErrorCode.CONFLICT, 'taken').toJSON()).toEqual({ code: 'CONFLICT', message: 'taken' });
    expect(new NotFoundError('Chat', 'c1').toJSON()).toEqual({
      code: 'NOT_FOUND',
      message: 'Chat c1 was not found.',
      details: { resource: 'Chat', id: 'c1' },
    });
  });
});

describe('subclasses', () => {
  it('carry the HTTP status of their kind and their own class name', () => {
    const notFound = new NotFoundError('File', 'f1');
    expect(notFound).toBeInstanceOf(AssayError);
    expect(notFound.name).toBe('NotFoundError');
    expect(notFound.status).toBe(404);
    expect(new UnsupportedMediaTypeError(ErrorCode.FILE_CONTENT_MISMATCH, 'x').status).toBe(415);
    const limited = new RateLimitError('slow down', { retryAfterSeconds: 7 });
    expect(limited.status).toBe(429);
    expect(limited.retryable).toBe(true);
    expect(limited.retryAfterSeconds).toBe(7);
  });
});

describe('isAssayError', () => {
  it('accepts instances and errors of the same shape from another copy of the package', () => {
    expect(isAssayError(new NotFoundError('Chat', 'x'))).toBe(true);
    const foreign = Object.assign(new Error('from a second copy'), { code: 'NOT_FOUND', status: 404, retryable: false });
    expect(isAssayError(foreign)).toBe(true);
  });

  it('rejects plain errors and non-errors', () => {
    expect(isAssayError(new Error('plain'))).toBe(false);
    expect(isAssayError(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe(false);
    expect(isAssayError({ code: 'NOT_FOUND', status: 404, retryable: false })).toBe(false);
    expect(isAssayError(undefined)).toBe(false);
  });
});
