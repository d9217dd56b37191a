import { ValidationError } from '@assay/errors';
import type { Response } from 'express';
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

/**
 * Parses a query string with its schema.
 * @throws ValidationError listing every problem, e.g. `limit: Too big: expected number to be <=100`
 */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.output<S> {
  const result = schema.safeParse(query ?? {});
  if (result.success) return result.data;
  throw new ValidationError(`Invalid query: ${z.prettifyError(result.error).replaceAll('\n', ' ')}`, {
    details: { issues: result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })) },
  });
}

/**
 * Sends a response body after checking it against the schema the API documents, so a route
 * cannot drift from its contract unnoticed (a mismatch is a 500 naming the field, and is logged).
 */
export function sendValid<S extends z.ZodType>(res: Response, schema: S, body: z.input<S>, status = 200): void {
  const result = schema.safeParse(body);
  if (!result.success) {
    throw new Error(`Response does not match its schema: ${z.prettifyError(result.error).replaceAll('\n', ' ')}`);
  }
  res.status(status).json(result.data);
}
