import type { TenantScope } from '@assay/db';
import type { ChatEventLog } from '@assay/events';
import type { Logger } from '@assay/logger';
import { type ChatSession, markUpToDate, needsRestore } from './kernel-sessions';

/** Options of {@link restoreSessionIfNeeded}. */
export interface RestoreSessionOptions {
  scope: TenantScope;
  events: ChatEventLog;
  logger: Logger;
  chatId: string;
  /** The message about to run, to which the event is attributed; null for notebook operations. */
  messageId: string | null;
  /** Position of the first cell about to run: only cells before it are replayed. */
  beforePosition: number;
  /** Wall-clock limit of each replayed cell. */
  cellTimeoutMs: number;
}

/**
 * Brings a chat's kernel back to the state its notebook describes when that state was lost
 * (new kernel after a crash, an out-of-memory kill, the idle timeout or an executor restart):
 * the chat's earlier successful code cells run again, in order, with their outputs discarded,
 * then a `session.restored` event says so. A chat without earlier cells has nothing to restore
 * and gets no event.
 *
 * A replayed cell that fails this time (a random seed, a changed environment) does not stop the
 * others: it is listed in the event so the person knows which variables may be missing.
 */
export async function restoreSessionIfNeeded(session: ChatSession, options: RestoreSessionOptions): Promise<void> {
  if (!needsRestore(session)) return;
  const cells = await options.scope.cells.listSucceededCode(options.chatId, options.beforePosition);
  if (cells.length === 0) {
    markUpToDate(session);
    return;
  }

  const started = performance.now();
  options.logger.info({ cells: cells.length }, 'kernel state lost; replaying earlier cells');
  const failedCellIds: string[] = [];
  for (const cell of cells) {
    const execution = await session.sandbox.runCode(cell.source, { timeoutMs: options.cellTimeoutMs });
    if (execution.error) {
      failedCellIds.push(cell.id);
      options.logger.warn({ cellId: cell.id, cellPosition: cell.position, errorName: execution.error.name }, 'replayed cell failed');
    }
  }
  markUpToDate(session);
  const durationMs = Math.round(performance.now() - started);
  await options.events.publish({
    type: 'session.restored',
    chatId: options.chatId,
    messageId: options.messageId,
    data: { replayedCells: cells.length, failedCellIds, durationMs },
  });
  options.logger.info({ cells: cells.length, failed: failedCellIds.length, durationMs }, 'session restored');
}
