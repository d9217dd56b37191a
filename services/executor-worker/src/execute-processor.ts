import { TenantScope, type MessageWithFiles, type PrismaClient } from '@assay/db';
import { ErrorCode, describeFailure } from '@assay/errors';
import type { ChatEventLog } from '@assay/events';
import type { Logger } from '@assay/logger';
import { explainCellFailure, type MessagePipeline } from '@assay/pipeline';
import type { FinalFailureHandler, JobProcessor } from '@assay/queue';
import type { Execution } from '@assay/sandbox';
import type { CellRunner } from './cell-runner';
import type { ChatInputFile, KernelSessions } from './kernel-sessions';
import { restoreSessionIfNeeded } from './session-restore';

export interface ExecuteProcessorOptions {
  prisma: PrismaClient;
  sessions: KernelSessions;
  events: ChatEventLog;
  pipeline: MessagePipeline;
  cells: CellRunner;
  cellTimeoutMs: number;
}

/**
 * Runs a message's code cells in order in the chat's kernel, streaming each output as a
 * cell.output event and storing the outputs on the cell. The first cell that fails stops the
 * run: the rest are cancelled and the message fails with the error in plain words.
 */
export function executeProcessor(options: ExecuteProcessorOptions): JobProcessor<'execute'> {
  return async ({ tenantId, chatId, messageId }, { logger }) => {
    const scope = new TenantScope(options.prisma, tenantId);
    const message = await scope.messages.get(messageId);
    if (message.status !== 'executing') return;

    // Cells that automatic repair replaced are history, not part of the run.
    const cells = (await scope.cells.listForMessage(messageId)).filter((cell) => cell.supersededById === null);
    const codeCells = cells.filter((cell) => cell.kind === 'code' && cell.status !== 'ok');
    if (codeCells.length > 0) {
      const session = await options.sessions.acquire(tenantId, chatId);
      try {
        await options.sessions.provideFiles(session, await inputFilesOf(scope, message));
        await restoreSessionIfNeeded(session, {
          scope,
          events: options.events,
          logger,
          chatId,
          messageId,
          beforePosition: Math.min(...codeCells.map((cell) => cell.position)),
          cellTimeoutMs: options.cellTimeoutMs,
        });

        for (const cell of codeCells) {
          const execution = await options.cells.run(cell, { scope, chatId, session, logger });

          if (execution.error) {
            logCellFailure(logger, cell.position, execution);
            // A dead kernel lost the state the next cells need: no fix of this cell can help.
            if (execution.error.name !== 'KernelDied') {
              // Every failed generated cell goes to repair; the repair job knows the attempt limit.
              const attempt = (await scope.cells.listForMessage(messageId)).filter((other) => other.supersededById !== null).length + 1;
              await options.pipeline.startRepair(tenantId, chatId, messageId, cell.id, attempt);
              return;
            }
            await options.pipeline.fail(tenantId, chatId, messageId, explainCellFailure(cell.position, execution.error));
            return;
          }
        }
      } finally {
        options.sessions.done(session);
      }
    }
    await options.pipeline.complete(tenantId, chatId, messageId, cells.length);
  };
}

/** When execution fails for good (no kernel could be started, storage lost), the message fails with the reason. */
export function executeFailureHandler(options: Pick<ExecuteProcessorOptions, 'pipeline'>): FinalFailureHandler<'execute'> {
  return async ({ tenantId, chatId, messageId }, error) => {
    await options.pipeline.fail(
      tenantId,
      chatId,
      messageId,
      describeFailure(error, { code: ErrorCode.INTERNAL, message: 'The cells could not be run because of a failure on our side; try again.' }),
    );
  };
}

/** Files of this message and earlier ones of the chat, each under its workspace name. */
async function inputFilesOf(scope: TenantScope, message: MessageWithFiles): Promise<ChatInputFile[]> {
  const files = await scope.messages.chatFilesUpTo(message.chatId, message.seq);
  return files
    .filter(({ file }) => file.status === 'ready')
    .map(({ file, workspaceName }) => ({ fileId: file.id, name: workspaceName, blobKey: file.blobKey }));
}

function logCellFailure(logger: Logger, position: number, execution: Execution): void {
  logger.info({ cellPosition: position, errorName: execution.error?.name }, 'cell failed; message stopped');
}
