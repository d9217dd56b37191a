import type { CellKind, CellOutput, CellStatus } from '@assay/contracts';
import { AssayError, ErrorCode, NotFoundError } from '@assay/errors';
import type { Cell, Prisma, PrismaClient } from '../generated/prisma/client.js';
import { assertResourceId } from './ids';
import { lockChat } from './message-repository';

/** A cell as the executor needs it to run: everything but its (possibly large) outputs. */
export type RunnableCell = Omit<Cell, 'outputs'>;

/** Cells in these states are in a kernel's hands: they cannot be edited or removed. */
const BUSY_STATUSES: readonly CellStatus[] = ['queued', 'running'];

/** Notebook cells of one tenant's chats. */
export class CellRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly tenantId: string,
  ) {}

  listForMessage(messageId: string): Promise<Cell[]> {
    return this.prisma.cell.findMany({ where: { tenantId: this.tenantId, messageId }, orderBy: { position: 'asc' } });
  }

  /**
   * The code that built a chat's kernel state: its code cells that ran successfully before
   * `beforePosition` (and since the last restart a person asked for), in notebook order,
   * without their outputs. Replaying them in a fresh kernel restores the variables a lost
   * kernel held.
   */
  async listSucceededCode(chatId: string, beforePosition: number): Promise<Array<Pick<Cell, 'id' | 'position' | 'source'>>> {
    const chat = await this.prisma.chat.findFirst({ where: { id: chatId, tenantId: this.tenantId }, select: { kernelRestartedAt: true } });
    return this.prisma.cell.findMany({
      where: {
        tenantId: this.tenantId,
        chatId,
        kind: 'code',
        status: 'ok',
        position: { lt: beforePosition },
        ...(chat?.kernelRestartedAt ? { completedAt: { gt: chat.kernelRestartedAt } } : {}),
      },
      orderBy: { position: 'asc' },
      select: { id: true, position: true, source: true },
    });
  }

  /**
   * A cell of the chat.
   * @throws NotFoundError when it does not exist for this tenant or belongs to another chat
   */
  async get(chatId: string, cellId: string): Promise<Cell> {
    assertResourceId('Cell', cellId);
    const cell = await this.prisma.cell.findFirst({ where: { id: cellId, chatId, tenantId: this.tenantId } });
    if (!cell) throw new NotFoundError('Cell', cellId);
    return cell;
  }

  /** The chat's code cells in notebook order, without their outputs (which can be large). */
  listCode(chatId: string): Promise<RunnableCell[]> {
    return this.prisma.cell.findMany({
      where: { tenantId: this.tenantId, chatId, kind: 'code' },
      orderBy: { position: 'asc' },
      omit: { outputs: true },
    });
  }

  /**
   * Marks one code cell as waiting to run, in one conditional update (the common case costs a
   * single round trip).
   * @throws NotFoundError for an unknown cell; AssayError VALIDATION_FAILED (400) for a markdown
   *   cell, CONFLICT (409) for a cell already queued or running
   */
  async queueForRun(chatId: string, cellId: string): Promise<void> {
    assertResourceId('Cell', cellId);
    const { count } = await this.prisma.cell.updateMany({
      where: { id: cellId, chatId, tenantId: this.tenantId, kind: 'code', status: { notIn: [...BUSY_STATUSES] }, supersededById: null },
      data: { status: 'queued' },
    });
    if (count === 1) return;
    const cell = await this.get(chatId, cellId);
    if (cell.kind !== 'code') {
      throw new AssayError(ErrorCode.VALIDATION_FAILED, `Cell ${cellId} is a markdown cell; only code cells run.`, { status: 400 });
    }
    if (cell.supersededById !== null) {
      throw new AssayError(ErrorCode.CONFLICT, `Cell ${cellId} failed and was replaced by automatic repair (cell ${cell.supersededById}); run the replacement instead.`, {
        status: 409,
        details: { cellId, supersededById: cell.supersededById },
      });
    }
    assertNotBusy(cell, 'run again');
  }

  /** Marks cells as waiting to run (a notebook operation was queued for them). */
  async markQueued(cellIds: readonly string[]): Promise<void> {
    await this.prisma.cell.updateMany({ where: { tenantId: this.tenantId, id: { in: [...cellIds] } }, data: { status: 'queued' } });
  }

  /**
   * Replaces a cell's source. A code cell becomes `idle` (its outputs, from the old source, stay
   * until it runs again).
   * @throws AssayError CONFLICT (409) while the cell is queued or running
   */
  async updateSource(chatId: string, cellId: string, source: string): Promise<Cell> {
    return this.prisma.$transaction(async (tx) => {
      await lockChat(tx, this.tenantId, chatId);
      const cell = await tx.cell.findFirst({ where: { id: cellId, chatId, tenantId: this.tenantId } });
      if (!cell) throw new NotFoundError('Cell', cellId);
      assertNotBusy(cell, 'edited');
      return tx.cell.update({ where: { id: cellId }, data: { source, status: 'idle' } });
    });
  }

  /**
   * Inserts a cell after `afterCellId` (null: at the top; undefined: at the end), moving later
   * cells down by one. It belongs to the message of the cell before it (or of the first cell).
   * @throws AssayError CONFLICT (409) when the chat has no message yet
   */
  async insert(chatId: string, input: { kind: CellKind; source: string; afterCellId?: string | null | undefined }): Promise<Cell> {
    return this.prisma.$transaction(async (tx) => {
      await lockChat(tx, this.tenantId, chatId);
      let position: number;
      let messageId: string | undefined;
      if (input.afterCellId === undefined) {
        const last = await tx.cell.findFirst({ where: { chatId }, orderBy: { position: 'desc' } });
        position = (last?.position ?? 0) + 1;
        messageId = last?.messageId;
      } else if (input.afterCellId === null) {
        const first = await tx.cell.findFirst({ where: { chatId }, orderBy: { position: 'asc' } });
        position = 1;
        messageId = first?.messageId;
      } else {
        assertResourceId('Cell', input.afterCellId);
        const after = await tx.cell.findFirst({ where: { id: input.afterCellId, chatId, tenantId: this.tenantId } });
        if (!after) throw new NotFoundError('Cell', input.afterCellId);
        position = after.position + 1;
        messageId = after.messageId;
      }
      if (messageId === undefined) {
        const message = await tx.message.findFirst({ where: { chatId, tenantId: this.tenantId }, orderBy: { seq: 'desc' } });
        messageId = message?.id;
      }
      if (messageId === undefined) {
        throw new AssayError(ErrorCode.CONFLICT, 'This chat has no message yet: post a message before adding cells by hand.', { status: 409 });
      }
      // Two steps keep (chatId, position) unique at every moment: park the later cells at
      // negative positions, then bring them back one further down.
      await tx.$executeRaw`UPDATE "Cell" SET position = -position WHERE "chatId" = ${chatId}::uuid AND position >= ${position}`;
      await tx.$executeRaw`UPDATE "Cell" SET position = -position + 1 WHERE "chatId" = ${chatId}::uuid AND position < 0`;
      return tx.cell.create({
        data: { tenantId: this.tenantId, chatId, messageId, position, kind: input.kind, source: input.source, status: 'idle' },
      });
    });
  }

  /**
   * Removes a cell, moving later cells up by one.
   * @throws AssayError CONFLICT (409) while the cell is queued or running
   */
  async delete(chatId: string, cellId: string): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      await lockChat(tx, this.tenantId, chatId);
      const cell = await tx.cell.findFirst({ where: { id: cellId, chatId, tenantId: this.tenantId } });
      if (!cell) throw new NotFoundError('Cell', cellId);
      assertNotBusy(cell, 'deleted');
      await tx.cell.delete({ where: { id: cellId } });
      await tx.$executeRaw`UPDATE "Cell" SET position = -position WHERE "chatId" = ${chatId}::uuid AND position > ${cell.position}`;
      await tx.$executeRaw`UPDATE "Cell" SET position = -position - 1 WHERE "chatId" = ${chatId}::uuid AND position < 0`;
    });
  }

  /** Clears every cell's outputs and execution count; statuses stay (the kernel still holds the variables). */
  async clearOutputs(chatId: string): Promise<void> {
    await this.prisma.cell.updateMany({ where: { tenantId: this.tenantId, chatId }, data: { outputs: [], executionCount: null } });
  }

  /** Marks a cell running and clears its old outputs (one statement, nothing read back). */
  async markRunning(id: string): Promise<void> {
    await this.prisma.cell.updateMany({
      where: { id, tenantId: this.tenantId },
      data: { status: 'running', startedAt: new Date(), completedAt: null, outputs: [] },
    });
  }

  /** Stores a cell's result (one statement, nothing read back). */
  async complete(
    id: string,
    result: { status: Extract<CellStatus, 'ok' | 'error'>; executionCount: number | null; outputs: readonly CellOutput[] },
  ): Promise<void> {
    await this.prisma.cell.updateMany({
      where: { id, tenantId: this.tenantId },
      data: {
        status: result.status,
        executionCount: result.executionCount,
        // CellOutput types MIME values as `unknown`; they are JSON from the kernel, validated on read.
        outputs: result.outputs as unknown as Prisma.InputJsonArray,
        completedAt: new Date(),
      },
    });
  }

  /** Marks these cells cancelled if they are still waiting (a notebook operation stopped early). */
  async cancelIfQueued(cellIds: readonly string[]): Promise<void> {
    await this.prisma.cell.updateMany({ where: { tenantId: this.tenantId, id: { in: [...cellIds] }, status: 'queued' }, data: { status: 'cancelled' } });
  }

  /** Marks the message's cells that have not run yet as cancelled (an earlier cell failed). */
  async cancelQueued(messageId: string): Promise<void> {
    await this.prisma.cell.updateMany({
      where: { messageId, tenantId: this.tenantId, status: 'queued' },
      data: { status: 'cancelled' },
    });
  }
}

function assertNotBusy(cell: Cell, action: string): void {
  if (BUSY_STATUSES.includes(cell.status)) {
    throw new AssayError(ErrorCode.CONFLICT, `Cell ${cell.id} is ${cell.status}, so it cannot be ${action} now; interrupt it or wait until it has run.`, {
      status: 409,
      details: { cellId: cell.id, status: cell.status },
    });
  }
}
