import { ValidationError } from '@assay/errors';
import { z } from 'zod';

/**
 * Parses a request body with its schema.
 * @throws ValidationError listing every problem, e.g. `content: must not be empty`
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  throw new ValidationError(`Invalid request body: ${z.prettifyError(result.error).replaceAll('\n', ' ')}`, {
    details: { issues: result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })) },
  });
}
