import type { Failure, FileFormat, FileMetadata } from '@assay/contracts';
import { NotFoundError } from '@assay/errors';
import type { File, PrismaClient } from '../generated/prisma/client.js';
import { assertResourceId } from './ids';

/** What the gateway knows about an upload once its bytes are stored. */
export interface NewFile {
  name: string;
  format: FileFormat;
  sizeBytes: number;
  sha256: string;
  blobKey: string;
}

/** Uploaded files of one tenant. */
export class FileRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly tenantId: string,
  ) {}

  create(file: NewFile): Promise<File> {
    return this.prisma.file.create({
      data: { ...file, sizeBytes: BigInt(file.sizeBytes), tenantId: this.tenantId },
    });
  }

  /** @throws NotFoundError when the file does not exist for this tenant */
  async get(id: string): Promise<File> {
    assertResourceId('File', id);
    const file = await this.prisma.file.findFirst({ where: { id, tenantId: this.tenantId } });
    if (!file) throw new NotFoundError('File', id);
    return file;
  }

  /**
   * The files with these ids, in the same order.
   * @throws NotFoundError naming the first id that does not exist for this tenant
   */
  async getMany(ids: readonly string[]): Promise<File[]> {
    for (const id of ids) assertResourceId('File', id);
    const rows = await this.prisma.file.findMany({ where: { id: { in: [...ids] }, tenantId: this.tenantId } });
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => {
      const row = byId.get(id);
      if (!row) throw new NotFoundError('File', id);
      return row;
    });
  }

  /** Removes a file row that nothing references yet (an upload whose hand-over failed). */
  async delete(id: string): Promise<void> {
    await this.prisma.file.deleteMany({ where: { id, tenantId: this.tenantId } });
  }

  markReady(id: string, metadata: FileMetadata): Promise<File> {
    return this.prisma.file.update({
      where: { id, tenantId: this.tenantId },
      data: { status: 'ready', metadata, failureCode: null, failureReason: null, ingestedAt: new Date() },
    });
  }

  markFailed(id: string, failure: Failure): Promise<File> {
    return this.prisma.file.update({
      where: { id, tenantId: this.tenantId },
      data: { status: 'failed', failureCode: failure.code, failureReason: failure.message, ingestedAt: new Date() },
    });
  }

  /** Chats that have a queued message waiting for this file. */
  async chatsWaitingFor(fileId: string): Promise<string[]> {
    const rows = await this.prisma.message.findMany({
      where: { tenantId: this.tenantId, status: 'queued', files: { some: { fileId } } },
      select: { chatId: true },
      distinct: ['chatId'],
    });
    return rows.map((row) => row.chatId);
  }
}
