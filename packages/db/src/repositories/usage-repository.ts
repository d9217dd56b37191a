import type { UsageResource } from '@assay/contracts';

/** What the database knows of a tenant's usage (the rate quotas live in Redis). */
export type StoredUsage = Omit<UsageResource, 'quotas'>;
import type { PrismaClient } from '../generated/prisma/client.js';
import type { FileRepository } from './file-repository';

/** What one tenant holds and has used, counted from its rows. */
export class UsageRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly tenantId: string,
    private readonly files: FileRepository,
  ) {}

  async get(): Promise<StoredUsage> {
    const where = { tenantId: this.tenantId };
    const [storageBytes, files, chats, messages, executedCells, artifacts] = await Promise.all([
      this.files.storedBytes(),
      this.prisma.file.count({ where }),
      this.prisma.chat.count({ where }),
      this.prisma.message.count({ where }),
      this.prisma.cell.count({ where: { ...where, executionCount: { not: null } } }),
      this.prisma.artifact.count({ where }),
    ]);
    return { storageBytes, files, chats, messages, executedCells, artifacts };
  }
}
