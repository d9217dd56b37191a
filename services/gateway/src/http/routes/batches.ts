import { BatchResource, CreateBatchBody, TERMINAL_MESSAGE_STATUSES, type BatchItemResource, type MessageStatus } from '@assay/contracts';
import type { Batch, MessageRow, MessageWithFiles, TenantScope } from '@assay/db';
import { ErrorCode, UnavailableError, UnprocessableError } from '@assay/errors';
import type { Logger } from '@assay/logger';
import type { MessagePipeline } from '@assay/pipeline';
import { Router, type Request } from 'express';
import { tenantOf } from '../auth';
import { parseBody, sendValid } from '../validate';

export interface BatchRoutesOptions {
  pipeline: MessagePipeline;
  /** Distinct files one chat may use; an item with more is refused (422) before anything is created. */
  maxFilesPerChat: number;
  logger: Logger;
}

/**
 * `/v1/batches`: many analyses submitted at once. Each item becomes a chat of its own with one
 * message (the question), processed like any message; the batch is the list of those chats,
 * and its status is read from their messages. Follow an item with `GET /v1/messages/:id`, the
 * WebSocket, or `GET /v1/batches/:id`.
 */
export function batchRoutes(options: BatchRoutesOptions): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const tenant = tenantOf(res);
    const body = parseBody(CreateBatchBody, req.body);
    await checkItems(tenant, body, options.maxFilesPerChat);

    // Created one by one (each message takes its chat's lock); undone as a whole if one fails.
    const created: string[] = [];
    const messages: MessageWithFiles[] = [];
    try {
      for (const item of body.items) {
        const chat = await tenant.chats.create({ title: item.title });
        created.push(chat.id);
        const message = await tenant.messages.create(chat.id, { content: item.question, fileIds: [...new Set(item.fileIds)] });
        messages.push(message);
      }
    } catch (error) {
      await tenant.chats.deleteMany(created).catch(() => undefined);
      throw error;
    }
    const batch = await tenant.batches.create(messages.map((message) => message.chatId)).catch(async (error: unknown) => {
      await tenant.chats.deleteMany(messages.map((message) => message.chatId)).catch(() => undefined);
      throw error;
    });

    for (const [index, message] of messages.entries()) {
      try {
        await options.pipeline.accept(tenant.tenantId, message);
      } catch (error) {
        // Items not handed over would wait forever: end them, and say which were queued.
        for (const rest of messages.slice(index)) {
          await options.pipeline
            .fail(tenant.tenantId, rest.chatId, rest.id, { code: ErrorCode.UNAVAILABLE, message: 'The message could not be queued; submit it again.' })
            .catch(() => undefined);
        }
        throw new UnavailableError(`Batch ${batch.id}: ${index} of ${messages.length} items were queued; the rest failed because a backing service is unreachable. Submit those again.`, {
          cause: error,
          details: { batchId: batch.id, queued: index },
        });
      }
    }
    options.logger.info({ tenantId: tenant.tenantId, batchId: batch.id, items: messages.length }, 'batch accepted');
    sendValid(res, BatchResource, await batchResource(tenant, batch), 202);
  });

  router.get('/:batchId', async (req, res) => {
    const tenant = tenantOf(res);
    sendValid(res, BatchResource, await batchResource(tenant, await tenant.batches.get(req.params.batchId)));
  });

  return router;
}

/** Refuses the whole batch, before anything is created, when an item names a missing or unreadable file or too many files. */
async function checkItems(tenant: TenantScope, body: CreateBatchBody, maxFilesPerChat: number): Promise<void> {
  for (const [index, item] of body.items.entries()) {
    const distinct = new Set(item.fileIds).size;
    if (distinct > maxFilesPerChat) {
      throw new UnprocessableError(ErrorCode.CHAT_FILE_LIMIT, `Item ${index} names ${distinct} files; a chat can use at most ${maxFilesPerChat}.`, {
        details: { item: index, limit: maxFilesPerChat },
      });
    }
  }
  const files = await tenant.files.getMany([...new Set(body.items.flatMap((item) => item.fileIds))]);
  const unreadable = files.find((file) => file.status === 'failed');
  if (unreadable) {
    throw new UnprocessableError(
      ErrorCode.FILE_FAILED,
      `File ${unreadable.name} (${unreadable.id}) could not be read: ${unreadable.failureReason ?? 'unknown reason'}. Upload a readable copy and submit the batch with that instead.`,
      { details: { fileId: unreadable.id } },
    );
  }
}

/** A batch with its items' statuses, read from their messages. */
export async function batchResource(tenant: TenantScope, batch: Batch): Promise<BatchResource> {
  const messages = await tenant.messages.firstOfChats(batch.chatIds);
  const byChat = new Map(messages.map((message) => [message.chatId, message]));
  const items: BatchItemResource[] = [];
  for (const chatId of batch.chatIds) {
    const message = byChat.get(chatId);
    // A chat deleted since (or, in a race, not yet visible) is left out rather than invented.
    if (message) items.push(itemOf(message));
  }
  const counts = { queued: 0, generating: 0, executing: 0, completed: 0, failed: 0 } satisfies Record<MessageStatus, number>;
  for (const item of items) counts[item.status] += 1;
  const done = items.every((item) => TERMINAL_MESSAGE_STATUSES.includes(item.status));
  const status = !done ? 'running' : items.every((item) => item.status === 'completed') ? 'completed' : 'failed';
  return { id: batch.id, status, counts, items, createdAt: batch.createdAt.toISOString() };
}

function itemOf(message: MessageRow): BatchItemResource {
  return {
    chatId: message.chatId,
    messageId: message.id,
    status: message.status,
    failure: message.failureCode === null ? null : { code: message.failureCode, message: message.failureReason ?? '' },
    completedAt: message.completedAt?.toISOString() ?? null,
  };
}

/** Items in a batch request's body, for the executions quota (1 when the body is not a batch). */
export function batchItemCount(req: Request): number {
  const body: unknown = req.body;
  const items = typeof body === 'object' && body !== null ? (body as { items?: unknown }).items : undefined;
  return Array.isArray(items) && items.length > 0 ? items.length : 1;
}
