import type { PrismaClient } from './generated/prisma/client.js';
import { ArtifactRepository } from './repositories/artifact-repository';
import { BatchRepository } from './repositories/batch-repository';
import { CellRepository } from './repositories/cell-repository';
import { ChatRepository } from './repositories/chat-repository';
import { FileRepository } from './repositories/file-repository';
import { IdempotencyRepository } from './repositories/idempotency-repository';
import { MessageRepository } from './repositories/message-repository';
import { UsageRepository } from './repositories/usage-repository';

/**
 * The only way application code reads or writes tenant data: every query made through a scope
 * is filtered by its tenant, so a route or a worker cannot forget to. Another tenant's row is
 * indistinguishable from a missing one (NotFoundError).
 *
 * @example
 * const scope = new TenantScope(prisma, principal.tenantId);
 * const chat = await scope.chats.get(req.params.id);
 */
export class TenantScope {
  readonly files: FileRepository;
  readonly chats: ChatRepository;
  readonly messages: MessageRepository;
  readonly cells: CellRepository;
  readonly artifacts: ArtifactRepository;
  readonly batches: BatchRepository;
  readonly usage: UsageRepository;
  readonly idempotency: IdempotencyRepository;

  constructor(
    readonly prisma: PrismaClient,
    readonly tenantId: string,
  ) {
    this.files = new FileRepository(prisma, tenantId);
    this.chats = new ChatRepository(prisma, tenantId);
    this.messages = new MessageRepository(prisma, tenantId);
    this.cells = new CellRepository(prisma, tenantId);
    this.artifacts = new ArtifactRepository(prisma, tenantId);
    this.batches = new BatchRepository(prisma, tenantId);
    this.usage = new UsageRepository(prisma, tenantId, this.files);
    this.idempotency = new IdempotencyRepository(prisma, tenantId);
  }
}
