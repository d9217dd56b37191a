import { TenantScope, type PrismaClient } from '@assay/db';
import type { ChatEventLog } from '@assay/events';
import type { FinalFailureHandler, JobProcessor, NotebookJob } from '@assay/queue';
import type { CellRunner } from './cell-runner';
import { type KernelSessions, markUpToDate, needsRestore } from './kernel-sessions';
import { restoreSessionIfNeeded } from './session-restore';

export interface NotebookProcessorOptions {
  prisma: PrismaClient;
  sessions: KernelSessions;
  events: ChatEventLog;
  cells: CellRunner;
  cellTimeoutMs: number;
}

/**
 * Carries out the notebook operations a person asked for through the API:
 * - `run`: runs the given cells in the given order in the chat's kernel (after rebuilding a lost
 *   kernel, as for a message) and stops at the first that fails; the rest are cancelled.
 * - `restart`: restarts the chat's kernel, which drops its variables on purpose: cells that ran
 *   before are not replayed later.
 */
export function notebookProcessor(options: NotebookProcessorOptions): JobProcessor<'notebook'> {
  return async (job, { logger }) => {
    const scope = new TenantScope(options.prisma, job.tenantId);
    const { chatId } = job;
    if (job.op === 'restart') {
      const session = options.sessions.peek(chatId);
      if (session?.sandbox.isAlive) {
        await session.sandbox.restart();
        markUpToDate(session);
      }
      await scope.chats.markKernelRestarted(chatId);
      await scope.chats.setVariables(chatId, []);
      await options.events.publish({ type: 'kernel.restarted', chatId, messageId: null, data: {} });
      logger.info('kernel restarted on request');
      return;
    }

    const byId = new Map((await scope.cells.listCode(chatId)).map((cell) => [cell.id, cell]));
    const cells = job.cellIds.flatMap((id) => {
      const cell = byId.get(id);
      return cell?.status === 'queued' ? [cell] : [];
    });
    if (cells.length === 0) return;

    const session = await options.sessions.acquire(job.tenantId, chatId);
    try {
      // A kernel that is up to date already has every file (files only arrive with messages).
      if (needsRestore(session)) {
        const files = await scope.messages.chatFilesUpTo(chatId);
        await options.sessions.provideFiles(
          session,
          files.filter(({ file }) => file.status === 'ready').map(({ file, workspaceName }) => ({ fileId: file.id, name: workspaceName, blobKey: file.blobKey })),
        );
      }
      await restoreSessionIfNeeded(session, {
        scope,
        events: options.events,
        logger,
        chatId,
        messageId: null,
        beforePosition: Math.min(...cells.map((cell) => cell.position)),
        cellTimeoutMs: options.cellTimeoutMs,
      });

      for (const [index, cell] of cells.entries()) {
        const execution = await options.cells.run(cell, { scope, chatId, session, logger });
        if (execution.error) {
          await scope.cells.cancelIfQueued(cells.slice(index + 1).map((later) => later.id));
          logger.info({ cellId: cell.id, errorName: execution.error.name }, 'cell failed; the rest of the operation was cancelled');
          return;
        }
      }
    } finally {
      options.sessions.done(session);
    }
  };
}

/** When an operation fails for good (no kernel could be started), its waiting cells are cancelled. */
export function notebookFailureHandler(options: Pick<NotebookProcessorOptions, 'prisma'>): FinalFailureHandler<'notebook'> {
  return async (job) => {
    if (job.op !== 'run') return;
    await new TenantScope(options.prisma, job.tenantId).cells.cancelIfQueued(job.cellIds);
  };
}
