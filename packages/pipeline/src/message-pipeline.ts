import type { Failure } from '@assay/contracts';
import { TenantScope, fileMetadataOf, type MessageWithFiles, type PrismaClient } from '@assay/db';
import { ErrorCode } from '@assay/errors';
import type { ChatEventLog } from '@assay/events';
import type { Logger } from '@assay/logger';
import type { JobQueues } from '@assay/queue';

/** Options of {@link MessagePipeline}. */
export interface MessagePipelineOptions {
  prisma: PrismaClient;
  queues: JobQueues;
  events: ChatEventLog;
  logger: Logger;
  /**
   * The executor replica that holds the chat's kernel, if one does: execution goes to that
   * replica's own queue, so the kernel (and its variables) is reused rather than rebuilt.
   * @defaultValue none (every execution goes to the shared queue)
   */
  executorFor?: (tenantId: string, chatId: string) => Promise<string | undefined>;
}

/**
 * Moves a chat's messages through their stages — queued, generating, executing, completed or
 * failed — strictly one message at a time per chat and in order.
 *
 * Every process that can unblock a message calls {@link advance}: the gateway after storing a
 * message, the ingest worker after a file is inspected, the workers after a message finishes.
 * Each stage change is a conditional update (it happens once even when several processes race),
 * and each hand-over is a job with a fixed id (adding it twice is a no-op), so nothing polls and
 * nothing runs twice.
 */
export class MessagePipeline {
  constructor(private readonly options: MessagePipelineOptions) {}

  /** Announces a newly stored message and starts it if the chat is idle. */
  async accept(tenantId: string, message: MessageWithFiles): Promise<void> {
    await this.options.events.publish({
      type: 'message.accepted',
      chatId: message.chatId,
      messageId: message.id,
      data: { seq: message.seq, content: message.content, fileIds: message.files.map((file) => file.fileId) },
    });
    await this.advance(tenantId, message.chatId);
  }

  /**
   * Starts the chat's next message if it may start: every earlier message has finished and all
   * its files have been inspected. Safe to call any number of times, from any process.
   */
  async advance(tenantId: string, chatId: string): Promise<void> {
    const scope = new TenantScope(this.options.prisma, tenantId);
    for (;;) {
      const next = await scope.messages.firstUnfinished(chatId);
      if (!next || next.status !== 'queued') return;
      if (next.files.some((attachment) => attachment.file.status === 'pending')) return;
      if (!(await scope.messages.transition(next.id, ['queued'], 'generating'))) return;

      const logger = this.options.logger.child({ tenantId, chatId, messageId: next.id });
      for (const { file } of next.files) {
        await this.options.events.publish({
          type: 'file.ingested',
          chatId,
          messageId: next.id,
          data: {
            fileId: file.id,
            name: file.name,
            format: file.format,
            status: file.status,
            sheets: fileMetadataOf(file)?.sheets ?? [],
            failure: file.failureCode === null ? null : { code: file.failureCode, message: file.failureReason ?? '' },
          },
        });
      }

      const unreadable = next.files.filter((attachment) => attachment.file.status === 'failed');
      if (unreadable.length > 0) {
        const reasons = unreadable.map(({ file }) => `${file.name}: ${file.failureReason ?? 'could not be read'}`);
        await this.finishAsFailed(scope, chatId, next.id, {
          code: ErrorCode.FILE_FAILED,
          message: `The message cannot be answered because an attached file could not be read (${reasons.join('; ')}). Upload a readable copy and ask again.`,
        });
        logger.info('message failed: an attached file could not be read');
        continue; // the chat's next message may start now
      }

      await this.options.queues.add('codegen', { tenantId, chatId, messageId: next.id });
      logger.info('message started: codegen queued');
      return;
    }
  }

  /**
   * Code generation (or repair attempt `repairAttempt`) is done and its cells are stored: queue
   * their execution. Each repair's re-run is its own job, so it is not mistaken for the first run.
   */
  async startExecution(tenantId: string, chatId: string, messageId: string, repairAttempt?: number): Promise<void> {
    const replica = await this.options.executorFor?.(tenantId, chatId);
    await this.options.queues.add('execute', { tenantId, chatId, messageId, ...(repairAttempt === undefined ? {} : { repairAttempt }) }, { replica });
  }

  /**
   * A generated cell of an executing message failed: hand it to automatic repair (attempt
   * `attempt`, counted from 1). The message stays `executing`; the repair job either replaces
   * the cell and queues execution again, or fails the message.
   */
  async startRepair(tenantId: string, chatId: string, messageId: string, failedCellId: string, attempt: number): Promise<void> {
    await this.options.queues.add('repair', { tenantId, chatId, messageId, failedCellId, attempt });
  }

  /** Every cell ran: the message is complete, and the chat's next message may start. */
  async complete(tenantId: string, chatId: string, messageId: string, cellCount: number): Promise<void> {
    const scope = new TenantScope(this.options.prisma, tenantId);
    if (await scope.messages.transition(messageId, ['executing'], 'completed')) {
      await this.options.events.publish({ type: 'message.completed', chatId, messageId, data: { cellCount } });
    }
    await this.advance(tenantId, chatId);
  }

  /**
   * Ends a message with a failure a person can read (stored and published as message.failed),
   * then lets the chat's next message start. Does nothing if the message already finished.
   */
  async fail(tenantId: string, chatId: string, messageId: string, failure: Failure): Promise<void> {
    const scope = new TenantScope(this.options.prisma, tenantId);
    await this.finishAsFailed(scope, chatId, messageId, failure);
    await this.advance(tenantId, chatId);
  }

  /** A file was inspected (ready or failed): start messages that were waiting for it. */
  async fileSettled(tenantId: string, fileId: string): Promise<void> {
    const scope = new TenantScope(this.options.prisma, tenantId);
    for (const chatId of await scope.files.chatsWaitingFor(fileId)) await this.advance(tenantId, chatId);
  }

  private async finishAsFailed(scope: TenantScope, chatId: string, messageId: string, failure: Failure): Promise<void> {
    const moved = await scope.messages.transition(messageId, ['queued', 'generating', 'executing'], 'failed', { failure });
    if (!moved) return;
    await scope.cells.cancelQueued(messageId);
    await this.options.events.publish({ type: 'message.failed', chatId, messageId, data: { error: failure } });
  }
}
