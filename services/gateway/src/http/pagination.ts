import { ListQuery } from '@assay/contracts';
import { ValidationError } from '@assay/errors';
import type { Request } from 'express';
import type { z } from 'zod';
import { parseQuery } from './validate';

/** What a list route asks its repository for: one row more than the page, to know whether more follow. */
export interface PageRequest<K> {
  limit: number;
  take: number;
  after: K | undefined;
}

/**
 * Reads `?limit=&cursor=` for a list ordered by a key of type `key` (an id or a position).
 * Cursors are opaque to clients (base64url of the last key served); one that does not decode
 * is a 400, not an empty page.
 */
export function pageRequest<K extends z.ZodType>(req: Request, key: K): PageRequest<z.output<K>> {
  const query = parseQuery(ListQuery, req.query);
  if (query.cursor === undefined) return { limit: query.limit, take: query.limit + 1, after: undefined };
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(query.cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  const after: unknown = typeof decoded === 'object' && decoded !== null ? (decoded as { after?: unknown }).after : undefined;
  const parsed = key.safeParse(after);
  if (after === undefined || !parsed.success) {
    throw new ValidationError('Invalid query: cursor is not one this list gave out; pass the nextCursor of the previous page unchanged.');
  }
  return { limit: query.limit, take: query.limit + 1, after: parsed.data };
}

/** The page answer: at most `limit` items, and a cursor after the last one when more follow. */
export function pageOf<Row, Item>(
  rows: readonly Row[],
  request: PageRequest<unknown>,
  keyOf: (row: Row) => string | number,
  toItem: (row: Row) => Item,
): { data: Item[]; nextCursor: string | null } {
  const page = rows.slice(0, request.limit);
  const last = page.at(-1);
  const more = rows.length > request.limit && last !== undefined;
  return {
    data: page.map(toItem),
    nextCursor: more ? Buffer.from(JSON.stringify({ after: keyOf(last) })).toString('base64url') : null,
  };
}
