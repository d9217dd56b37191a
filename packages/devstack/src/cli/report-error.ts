import { isAssayError } from '@assay/errors';

/**
 * Prints a failure for a person: an AssayError's message says what to do, so it is shown
 * without a stack; anything else is unexpected and shown with it.
 */
export function reportError(error: unknown, stream: { write(text: string): unknown } = process.stderr): void {
  if (isAssayError(error)) stream.write(`\n✖ ${error.message}\n\n`);
  else if (error instanceof Error) stream.write(`\n✖ ${error.stack ?? error.message}\n\n`);
  else stream.write(`\n✖ ${String(error)}\n\n`);
}
