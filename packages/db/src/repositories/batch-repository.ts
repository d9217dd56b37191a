import { NotFoundError } from '@assay/errors';
import type { Batch, PrismaClient } from '../generated/prisma/client.js';
import { assertResourceId } from './ids';

/** Batches of analyses of one tenant (each item is a chat of its own). */
export class BatchRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly tenantId: string,
  ) {}

  create(chatIds: readonly string[]): Promise<Batch> {
    return this.prisma.batch.create({ data: { tenantId: this.tenantId, chatIds: [...chatIds] } });
  }

  /** @throws NotFoundError when the batch does not exist for this tenant */
  async get(id: string): Promise<Batch> {
    assertResourceId('Batch', id);
    const batch = await this.prisma.batch.findFirst({ where: { id, tenantId: this.tenantId } });
    if (!batch) throw new NotFoundError('Batch', id);
    return batch;
  }
}
