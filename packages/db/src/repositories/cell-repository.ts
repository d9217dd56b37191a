import type { CellOutput, CellStatus } from '@assay/contracts';
import type { Cell, Prisma, PrismaClient } from '../generated/prisma/client.js';

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
   * `beforePosition`, in notebook order, without their outputs. Replaying them in a fresh kernel
   * restores the variables a lost kernel held.
   */
  listSucceededCode(chatId: string, beforePosition: number): Promise<Array<Pick<Cell, 'id' | 'position' | 'source'>>> {
    return this.prisma.cell.findMany({
      where: { tenantId: this.tenantId, chatId, kind: 'code', status: 'ok', position: { lt: beforePosition } },
      orderBy: { position: 'asc' },
      select: { id: true, position: true, source: true },
    });
  }

  markRunning(id: string): Promise<Cell> {
    return this.prisma.cell.update({
      where: { id, tenantId: this.tenantId },
      data: { status: 'running', startedAt: new Date(), completedAt: null, outputs: [] },
    });
  }

  complete(
    id: string,
    result: { status: Extract<CellStatus, 'ok' | 'error'>; executionCount: number | null; outputs: readonly CellOutput[] },
  ): Promise<Cell> {
    return this.prisma.cell.update({
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

  /** Marks the message's cells that have not run yet as cancelled (an earlier cell failed). */
  async cancelQueued(messageId: string): Promise<void> {
    await this.prisma.cell.updateMany({
      where: { messageId, tenantId: this.tenantId, status: 'queued' },
      data: { status: 'cancelled' },
    });
  }
}
