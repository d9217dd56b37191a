import type { Failure, FileFormat, FileMetadata } from '@assay/contracts';
import { AssayError, ErrorCode, NotFoundError, QuotaExceededError } from '@assay/errors';
import type { File, Prisma, PrismaClient } from '../generated/prisma/client.js';
import { assertResourceId } from './ids';

/** What the gateway knows about an upload once its bytes are stored. */
export interface NewFile {
  name: string;
  format: FileFormat;
  sizeBytes: number;
  sha256: string;
  blobKey: string;
}

/** Options of {@link FileRepository.createStored}. */
export interface StoreFileOptions {
  /**
   * Most bytes the tenant may keep in the blob store (distinct contents counted once); used
   * when the tenant has no quota of its own.
   */
  defaultStorageQuotaBytes: number;
}

/** The outcome of {@link FileRepository.createStored}. */
export interface StoredFile {
  file: File;
  /**
   * True when the tenant already had a file with the same content: the new row points at that
   * blob, and the blob just written is no longer needed (the caller deletes it).
   */
  deduplicated: boolean;
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

  /**
   * Records an upload whose bytes were just written to `file.blobKey`, deduplicating by content
   * and enforcing the tenant's storage quota. When the tenant already stores the same content
   * (same SHA-256 and size), the row points at that blob instead and costs no quota. Uploads of
   * one tenant are serialised here (a transaction-scoped advisory lock), so concurrent uploads
   * cannot together exceed the quota.
   *
   * @throws QuotaExceededError (429) when the new content does not fit; nothing is recorded
   */
  async createStored(file: NewFile, options: StoreFileOptions): Promise<StoredFile> {
    return this.prisma.$transaction(async (tx) => {
      await lockTenantStorage(tx, this.tenantId);
      const twin = await tx.file.findFirst({
        where: { tenantId: this.tenantId, sha256: file.sha256, sizeBytes: BigInt(file.sizeBytes) },
        orderBy: { createdAt: 'asc' },
        select: { blobKey: true },
      });
      if (!twin) {
        const tenant = await tx.tenant.findUniqueOrThrow({ where: { id: this.tenantId }, select: { storageQuotaBytes: true } });
        const quota = tenant.storageQuotaBytes === null ? options.defaultStorageQuotaBytes : Number(tenant.storageQuotaBytes);
        const used = await storedBytesIn(tx, this.tenantId);
        if (used + file.sizeBytes > quota) {
          throw new QuotaExceededError(
            `This file (${file.sizeBytes} bytes) does not fit in your storage quota: ${used} of ${quota} bytes are in use. Delete files you no longer need or ask the operator for a larger quota.`,
            { limit: quota, remaining: Math.max(0, quota - used) },
            { details: { quota: 'storageBytes', usedBytes: used, fileBytes: file.sizeBytes } },
          );
        }
      }
      const created = await tx.file.create({
        data: { ...file, blobKey: twin?.blobKey ?? file.blobKey, sizeBytes: BigInt(file.sizeBytes), tenantId: this.tenantId },
      });
      return { file: created, deduplicated: twin !== null };
    });
  }

  /** Bytes the tenant keeps in the blob store, each distinct blob counted once. */
  storedBytes(): Promise<number> {
    return storedBytesIn(this.prisma, this.tenantId);
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

  /**
   * Removes a file row that nothing references yet (an upload whose hand-over failed).
   * @returns the blob key when no other file of the tenant shares the blob (so the caller may
   *   delete the blob), otherwise undefined
   */
  async delete(id: string): Promise<string | undefined> {
    return this.prisma.$transaction(async (tx) => {
      await lockTenantStorage(tx, this.tenantId);
      const row = await tx.file.findFirst({ where: { id, tenantId: this.tenantId }, select: { blobKey: true } });
      if (!row) return undefined;
      await tx.file.delete({ where: { id } });
      const sharers = await tx.file.count({ where: { tenantId: this.tenantId, blobKey: row.blobKey } });
      return sharers === 0 ? row.blobKey : undefined;
    });
  }

  /**
   * One page of the tenant's files, newest first: up to `take` rows after the file `afterId`
   * (exclusive; ids sort by creation time).
   */
  list(page: { take: number; afterId?: string | undefined }): Promise<File[]> {
    return this.prisma.file.findMany({
      where: { tenantId: this.tenantId, ...(page.afterId === undefined ? {} : { id: { lt: page.afterId } }) },
      orderBy: { id: 'desc' },
      take: page.take,
    });
  }

  /**
   * Deletes a file no message uses. A file attached to a message stays: the chat's notebook
   * reads it again whenever its kernel is rebuilt, so removing it would break the chat.
   *
   * @returns the blob key when no other file of the tenant shares the blob (the caller deletes the blob)
   * @throws NotFoundError when the file does not exist for this tenant
   * @throws AssayError CONFLICT (409) when a message uses the file
   */
  async deleteUnattached(id: string): Promise<string | undefined> {
    assertResourceId('File', id);
    return this.prisma.$transaction(async (tx) => {
      await lockTenantStorage(tx, this.tenantId);
      const row = await tx.file.findFirst({ where: { id, tenantId: this.tenantId }, select: { blobKey: true } });
      if (!row) throw new NotFoundError('File', id);
      const uses = await tx.messageFile.findMany({ where: { fileId: id }, select: { message: { select: { chatId: true } } }, distinct: ['messageId'], take: 5 });
      if (uses.length > 0) {
        const chatIds = [...new Set(uses.map((use) => use.message.chatId))];
        throw new AssayError(ErrorCode.CONFLICT, `File ${id} is attached to messages (chats ${chatIds.join(', ')}), whose notebooks read it; it cannot be deleted while those chats exist.`, {
          status: 409,
          details: { chatIds },
        });
      }
      await tx.file.delete({ where: { id } });
      const sharers = await tx.file.count({ where: { tenantId: this.tenantId, blobKey: row.blobKey } });
      return sharers === 0 ? row.blobKey : undefined;
    });
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

/** Serialises a tenant's storage accounting (uploads, deletions) until the transaction ends. */
async function lockTenantStorage(tx: Prisma.TransactionClient, tenantId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`storage:${tenantId}`}, 0))`;
}

async function storedBytesIn(client: Prisma.TransactionClient | PrismaClient, tenantId: string): Promise<number> {
  const rows = await client.$queryRaw<Array<{ total: bigint | null }>>`
    SELECT SUM(size) AS total FROM (
      SELECT DISTINCT ON ("blobKey") "sizeBytes" AS size FROM "File" WHERE "tenantId" = ${tenantId}::uuid
    ) AS blobs`;
  return Number(rows[0]?.total ?? 0);
}
