import { NotFoundError } from '@assay/errors';
import type { Artifact, PrismaClient } from '../generated/prisma/client.js';
import { assertResourceId } from './ids';

/** A file a cell wrote, once its bytes are in the blob store. */
export interface NewArtifact {
  chatId: string;
  messageId: string;
  cellId: string;
  /** Path relative to /mnt/data. */
  name: string;
  mimeType: string;
  sizeBytes: number;
  sha256: string;
  blobKey: string;
}

/** Files that analysis code of one tenant's chats wrote and Assay kept. */
export class ArtifactRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly tenantId: string,
  ) {}

  create(artifact: NewArtifact): Promise<Artifact> {
    return this.prisma.artifact.create({ data: { ...artifact, sizeBytes: BigInt(artifact.sizeBytes), tenantId: this.tenantId } });
  }

  /**
   * One page of a chat's artifacts, oldest first: up to `take` rows after the artifact `afterId`.
   * @throws NotFoundError when the chat does not exist for this tenant
   */
  async listInChat(chatId: string, page: { take: number; afterId?: string | undefined }): Promise<Artifact[]> {
    assertResourceId('Chat', chatId);
    const chat = await this.prisma.chat.findFirst({ where: { id: chatId, tenantId: this.tenantId }, select: { id: true } });
    if (!chat) throw new NotFoundError('Chat', chatId);
    return this.prisma.artifact.findMany({
      where: { tenantId: this.tenantId, chatId, ...(page.afterId === undefined ? {} : { id: { gt: page.afterId } }) },
      orderBy: { id: 'asc' },
      take: page.take,
    });
  }

  /** @throws NotFoundError when the artifact does not exist for this tenant */
  async get(id: string): Promise<Artifact> {
    assertResourceId('Artifact', id);
    const artifact = await this.prisma.artifact.findFirst({ where: { id, tenantId: this.tenantId } });
    if (!artifact) throw new NotFoundError('Artifact', id);
    return artifact;
  }
}
