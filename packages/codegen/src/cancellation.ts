import { CodegenFailedError } from './errors';

/** The error every provider throws when its caller cancels through `GenerateOptions.signal`. */
export function cancelledError(cause?: unknown): CodegenFailedError {
  return new CodegenFailedError('Code generation was cancelled by its caller.', {
    status: 499,
    retryable: false,
    cause,
    details: { reason: 'aborted' },
  });
}

/** Throws {@link cancelledError} when `signal` is already aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelledError(signal.reason);
}
