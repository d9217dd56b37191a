import { z } from 'zod';
import { CodegenFailedError } from './errors';
import { CodegenRequest } from './types';

/**
 * Checks that a value is a {@link CodegenRequest} and nothing more. Providers call it before
 * anything is sent, so a request carrying extra fields (rows, previews, outputs) never reaches
 * a model.
 *
 * @throws CodegenFailedError (not retryable, status 500) naming each problem
 */
export function parseCodegenRequest(input: unknown): CodegenRequest {
  const parsed = CodegenRequest.safeParse(input);
  if (!parsed.success) {
    throw new CodegenFailedError(
      `The code generation request is malformed; fix the caller that builds it. Problems:\n${z.prettifyError(parsed.error)}`,
      {
        status: 500,
        retryable: false,
        details: { issues: parsed.error.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message })) },
      },
    );
  }
  return parsed.data;
}
