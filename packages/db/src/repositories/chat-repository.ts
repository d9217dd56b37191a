import { Variable } from '@assay/contracts';
import { NotFoundError } from '@assay/errors';
import { z } from 'zod';
import type { Chat, PrismaClient } from '../generated/prisma/client.js';
import type { MessageRowWithRelations } from '../mappers';
import { assertResourceId } from './ids';

/** A chat with its messages, their attachments and cells: everything a notebook view needs. */
export type ChatWithNotebook = Chat & { messages: MessageRowWithRelations[] };

/** Chats of one tenant. */
export class ChatRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly tenantId: string,
  ) {}

  create(input: { title?: string | undefined }): Promise<Chat> {
    return this.prisma.chat.create({ data: { tenantId: this.tenantId, title: input.title ?? null } });
  }

  /** @throws NotFoundError when the chat does not exist for this tenant */
  async get(id: string): Promise<Chat> {
    assertResourceId('Chat', id);
    const chat = await this.prisma.chat.findFirst({ where: { id, tenantId: this.tenantId } });
    if (!chat) throw new NotFoundError('Chat', id);
    return chat;
  }

  /** @throws NotFoundError when the chat does not exist for this tenant */
  async getNotebook(id: string): Promise<ChatWithNotebook> {
    assertResourceId('Chat', id);
    const chat = await this.prisma.chat.findFirst({
      where: { id, tenantId: this.tenantId },
      include: {
        messages: {
          orderBy: { seq: 'asc' },
          include: {
            files: { orderBy: { position: 'asc' } },
            cells: { orderBy: { position: 'asc' } },
            artifacts: { orderBy: { createdAt: 'asc' } },
          },
        },
      },
    });
    if (!chat) throw new NotFoundError('Chat', id);
    return chat;
  }

  /** Removes chats with everything in them (a batch that could not be created whole). */
  async deleteMany(ids: readonly string[]): Promise<void> {
    await this.prisma.chat.deleteMany({ where: { tenantId: this.tenantId, id: { in: [...ids] } } });
  }

  /** One page of the tenant's chats, newest first (see FileRepository.list). */
  list(page: { take: number; afterId?: string | undefined }): Promise<Chat[]> {
    return this.prisma.chat.findMany({
      where: { tenantId: this.tenantId, ...(page.afterId === undefined ? {} : { id: { lt: page.afterId } }) },
      orderBy: { id: 'desc' },
      take: page.take,
    });
  }

  /** Records that a person restarted the chat's kernel: earlier cells are no longer replayed. */
  async markKernelRestarted(id: string): Promise<void> {
    await this.prisma.chat.updateMany({ where: { id, tenantId: this.tenantId }, data: { kernelRestartedAt: new Date() } });
  }

  /** Stores the kernel's variables as read after a successful cell. */
  async setVariables(id: string, variables: readonly Variable[]): Promise<void> {
    await this.prisma.chat.updateMany({ where: { id, tenantId: this.tenantId }, data: { variables: [...variables], variablesUpdatedAt: new Date() } });
  }

  /**
   * The kernel's variables as last read; an empty list before any cell succeeded.
   * @throws NotFoundError when the chat does not exist for this tenant
   */
  async getVariables(id: string): Promise<{ variables: Variable[]; updatedAt: Date | null }> {
    const chat = await this.get(id);
    return { variables: chat.variables === null ? [] : Variables.parse(chat.variables), updatedAt: chat.variablesUpdatedAt };
  }
}

const Variables = z.array(Variable);
