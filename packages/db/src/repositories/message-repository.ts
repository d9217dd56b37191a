import type { CellDraft, Failure, MessageStatus } from '@assay/contracts';
import { ErrorCode, NotFoundError, UnprocessableError } from '@assay/errors';
import type { Cell, File, Message, MessageFile, Prisma, PrismaClient } from '../generated/prisma/client.js';
import type { MessageRowWithRelations } from '../mappers';
import { assignWorkspaceNames } from '../workspace-names';
import { assertResourceId } from './ids';

/** A message with its attached files (in attachment order). */
export type MessageWithFiles = Message & { files: Array<MessageFile & { file: File }> };

/** A message with its attached files and its cells (in notebook order), without the cells' outputs. */
export type MessageWithCells = MessageWithFiles & { cells: Array<Omit<Cell, 'outputs'>> };

/** A file as a chat's code sees it: the row, and its name under /mnt/data. */
export interface ChatFile {
  file: File;
  /** The file's name in the chat's workspace (a numbered copy name when an earlier file took its name). */
  workspaceName: string;
}

/** Options of {@link MessageRepository.create}. */
export interface NewMessageOptions {
  /**
   * Most distinct files the chat may have attached, this message's included. Past it, the
   * message is not stored and `create` throws CHAT_FILE_LIMIT (422).
   * @defaultValue no limit
   */
  maxFilesPerChat?: number;
}

const WITH_FILES = { files: { orderBy: { position: 'asc' }, include: { file: true } } } as const;
const FULL = {
  files: { orderBy: { position: 'asc' } },
  cells: { orderBy: { position: 'asc' } },
  artifacts: { orderBy: { createdAt: 'asc' } },
} as const;

/** Messages of one tenant's chats. */
export class MessageRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly tenantId: string,
  ) {}

  /**
   * Stores a message at the end of its chat. The chat row is locked while the sequence number
   * is taken and the file limit checked, so concurrent posts to one chat get consecutive
   * numbers and cannot together exceed the limit.
   *
   * @throws NotFoundError when the chat does not exist for this tenant
   * @throws UnprocessableError CHAT_FILE_LIMIT when the chat would hold more than `maxFilesPerChat` files
   */
  async create(chatId: string, input: { content: string; fileIds: readonly string[] }, options: NewMessageOptions = {}): Promise<MessageWithFiles> {
    assertResourceId('Chat', chatId);
    return this.prisma.$transaction(async (tx) => {
      await lockChat(tx, this.tenantId, chatId);
      if (options.maxFilesPerChat !== undefined && input.fileIds.length > 0) {
        const attached = await tx.messageFile.findMany({
          where: { message: { chatId, tenantId: this.tenantId } },
          select: { fileId: true },
          distinct: ['fileId'],
        });
        const all = new Set([...attached.map((row) => row.fileId), ...input.fileIds]);
        if (all.size > options.maxFilesPerChat) {
          throw new UnprocessableError(
            ErrorCode.CHAT_FILE_LIMIT,
            `A chat can use at most ${options.maxFilesPerChat} files; this one already has ${attached.length}, and this message would bring it to ${all.size}. Start a new chat for other files, or attach fewer.`,
            { details: { limit: options.maxFilesPerChat, attached: attached.length, requested: all.size } },
          );
        }
      }
      const last = await tx.message.findFirst({ where: { chatId }, orderBy: { seq: 'desc' }, select: { seq: true } });
      return tx.message.create({
        data: {
          tenantId: this.tenantId,
          chatId,
          seq: (last?.seq ?? 0) + 1,
          content: input.content,
          files: { create: input.fileIds.map((fileId, position) => ({ fileId, position })) },
        },
        include: WITH_FILES,
      });
    });
  }

  /** @throws NotFoundError when the message does not exist for this tenant */
  async get(id: string): Promise<MessageWithFiles> {
    assertResourceId('Message', id);
    const message = await this.prisma.message.findFirst({ where: { id, tenantId: this.tenantId }, include: WITH_FILES });
    if (!message) throw new NotFoundError('Message', id);
    return message;
  }

  /**
   * A message with everything its resource shows (files, cells with outputs, artifacts).
   * @throws NotFoundError when the message does not exist for this tenant
   */
  async getWithRelations(id: string): Promise<MessageRowWithRelations> {
    assertResourceId('Message', id);
    const message = await this.prisma.message.findFirst({ where: { id, tenantId: this.tenantId }, include: FULL });
    if (!message) throw new NotFoundError('Message', id);
    return message;
  }

  /**
   * One page of a chat's messages in order: up to `take` messages after position `afterSeq`.
   * @throws NotFoundError when the chat does not exist for this tenant
   */
  async listInChat(chatId: string, page: { take: number; afterSeq?: number | undefined }): Promise<MessageRowWithRelations[]> {
    assertResourceId('Chat', chatId);
    const chat = await this.prisma.chat.findFirst({ where: { id: chatId, tenantId: this.tenantId }, select: { id: true } });
    if (!chat) throw new NotFoundError('Chat', chatId);
    return this.prisma.message.findMany({
      where: { tenantId: this.tenantId, chatId, ...(page.afterSeq === undefined ? {} : { seq: { gt: page.afterSeq } }) },
      orderBy: { seq: 'asc' },
      take: page.take,
      include: FULL,
    });
  }

  /** The first message of each of these chats (a batch's items); chats without one are left out. */
  firstOfChats(chatIds: readonly string[]): Promise<Message[]> {
    return this.prisma.message.findMany({ where: { tenantId: this.tenantId, chatId: { in: [...chatIds] }, seq: 1 } });
  }

  /** The chat's oldest message that has not completed or failed, if any. */
  firstUnfinished(chatId: string): Promise<MessageWithFiles | null> {
    return this.prisma.message.findFirst({
      where: { tenantId: this.tenantId, chatId, status: { notIn: ['completed', 'failed'] } },
      orderBy: { seq: 'asc' },
      include: WITH_FILES,
    });
  }

  /** Messages of the chat that have not finished yet. */
  countUnfinished(chatId: string): Promise<number> {
    return this.prisma.message.count({
      where: { tenantId: this.tenantId, chatId, status: { notIn: ['completed', 'failed'] } },
    });
  }

  /**
   * Earlier messages of the chat (seq below `beforeSeq`) with their files and cells, oldest
   * first. Outputs are left out: they can be large (images) and the history needs only code.
   */
  listBefore(chatId: string, beforeSeq: number): Promise<MessageWithCells[]> {
    return this.prisma.message.findMany({
      where: { tenantId: this.tenantId, chatId, seq: { lt: beforeSeq } },
      orderBy: { seq: 'asc' },
      include: { ...WITH_FILES, cells: { orderBy: { position: 'asc' }, omit: { outputs: true } } },
    });
  }

  /**
   * The files a message's code can read: those attached to the chat's messages up to `seq`
   * (included; all messages when undefined), each once, oldest attachment first, with its name under /mnt/data (see
   * `assignWorkspaceNames`: a later file whose name is taken gets a numbered copy name).
   */
  async chatFilesUpTo(chatId: string, seq?: number): Promise<ChatFile[]> {
    const attachments = await this.prisma.messageFile.findMany({
      where: { message: { tenantId: this.tenantId, chatId, ...(seq === undefined ? {} : { seq: { lte: seq } }) } },
      orderBy: [{ message: { seq: 'asc' } }, { position: 'asc' }],
      include: { file: true },
    });
    const names = assignWorkspaceNames(attachments.map(({ file }) => ({ id: file.id, name: file.name })));
    const seen = new Set<string>();
    const files: ChatFile[] = [];
    for (const { file } of attachments) {
      const workspaceName = names.get(file.id);
      if (seen.has(file.id) || workspaceName === undefined) continue;
      seen.add(file.id);
      files.push({ file, workspaceName });
    }
    return files;
  }

  /**
   * Stores the cells a codegen provider wrote and moves the message from `generating` to
   * `executing`, in one transaction. Cells left by an earlier, interrupted attempt are replaced,
   * so a retried codegen job never duplicates cells. Code cells start `queued`, markdown `idle`.
   *
   * @returns the new cells in notebook order, or null when the message is no longer generating
   */
  finishGeneration(
    chatId: string,
    messageId: string,
    drafts: readonly CellDraft[],
    provider: string,
  ): Promise<Cell[] | null> {
    return this.prisma.$transaction(async (tx) => {
      await lockChat(tx, this.tenantId, chatId);
      const moved = await tx.message.updateMany({
        where: { id: messageId, chatId, tenantId: this.tenantId, status: 'generating' },
        data: { status: 'executing', provider },
      });
      if (moved.count === 0) return null;
      await tx.cell.deleteMany({ where: { messageId, tenantId: this.tenantId } });
      const last = await tx.cell.findFirst({ where: { chatId }, orderBy: { position: 'desc' }, select: { position: true } });
      const first = (last?.position ?? 0) + 1;
      const cells = await tx.cell.createManyAndReturn({
        data: drafts.map((draft, index) => ({
          tenantId: this.tenantId,
          chatId,
          messageId,
          position: first + index,
          kind: draft.kind,
          source: draft.source,
          status: draft.kind === 'code' ? 'queued' : 'idle',
        })),
      });
      return cells.sort((a, b) => a.position - b.position);
    });
  }

  /**
   * Moves a message to `to` only if it is in one of the `from` statuses. Returns false when it
   * was not (another process moved it first), which makes every stage change happen once.
   */
  async transition(
    id: string,
    from: readonly MessageStatus[],
    to: MessageStatus,
    extra: { failure?: Failure } = {},
  ): Promise<boolean> {
    const now = new Date();
    const data: Prisma.MessageUpdateManyMutationInput = { status: to };
    if (to === 'generating') data.startedAt = now;
    if (to === 'completed' || to === 'failed') data.completedAt = now;
    if (extra.failure !== undefined) {
      data.failureCode = extra.failure.code;
      data.failureReason = extra.failure.message;
    }
    const { count } = await this.prisma.message.updateMany({
      where: { id, tenantId: this.tenantId, status: { in: [...from] } },
      data,
    });
    return count === 1;
  }
}

/**
 * Takes the chat's row lock for the rest of the transaction.
 * @throws NotFoundError when the chat does not exist for this tenant
 */
export async function lockChat(tx: Prisma.TransactionClient, tenantId: string, chatId: string): Promise<void> {
  const rows = await tx.$queryRaw<Array<{ id: string }>>`
    SELECT id FROM "Chat" WHERE id = ${chatId}::uuid AND "tenantId" = ${tenantId}::uuid FOR UPDATE`;
  if (rows.length === 0) throw new NotFoundError('Chat', chatId);
}
