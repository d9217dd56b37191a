import { ResourceId } from '@assay/contracts';
import { NotFoundError } from '@assay/errors';

/**
 * Throws NotFoundError for a string that cannot be an id. Such strings never reach a query:
 * PostgreSQL would reject them as uuid with an error that is not the caller's business.
 */
export function assertResourceId(resource: string, id: string): void {
  if (!ResourceId.safeParse(id).success) throw new NotFoundError(resource, id);
}
