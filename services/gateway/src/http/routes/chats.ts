import { ArtifactResource, ChatResource, ChatSummaryResource, CreateChatBody, CreateMessageBody, MessageResource, Page, ResourceId } from '@assay/contracts';
import { toArtifactResource, toChatResource, toMessageResource } from '@assay/db';
import { ErrorCode, RateLimitError, UnavailableError, UnprocessableError } from '@assay/errors';
import type { MessagePipeline } from '@assay/pipeline';
import { Router } from 'express';
import { tenantOf } from '../auth';
import type { SessionLimit } from '../session-limit';
import { pageOf, pageRequest } from '../pagination';
import { parseBody, sendValid } from '../validate';
import { z } from 'zod';

export interface ChatRoutesOptions {
  pipeline: MessagePipeline;
  /** Unfinished messages a chat may hold; past it, posting answers 429. */
  maxPendingMessagesPerChat: number;
  /** Distinct files a chat may use, over all its messages; past it, posting answers 422. */
  maxFilesPerChat: number;
  /** Live kernels per tenant; a message for a chat without one needs room. */
  sessionLimit: SessionLimit;
}

/** `/v1/chats`: create and list chats, post and list messages, read a chat's notebook and artifacts. */
export function chatRoutes(options: ChatRoutesOptions): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const body = parseBody(CreateChatBody, req.body);
    const chat = await tenantOf(res).chats.create({ title: body.title });
    sendValid(res, ChatResource, toChatResource({ ...chat, messages: [] }), 201);
  });

  router.get('/', async (req, res) => {
    const page = pageRequest(req, ResourceId);
    const rows = await tenantOf(res).chats.list({ take: page.take, afterId: page.after });
    sendValid(res, ChatPage, pageOf(rows, page, (row) => row.id, (row) => ({ id: row.id, title: row.title, createdAt: row.createdAt.toISOString() })));
  });

  router.get('/:chatId/messages', async (req, res) => {
    const page = pageRequest(req, MessageSeq);
    const rows = await tenantOf(res).messages.listInChat(req.params.chatId, { take: page.take, afterSeq: page.after });
    sendValid(res, MessagePage, pageOf(rows, page, (row) => row.seq, toMessageResource));
  });

  router.get('/:chatId/artifacts', async (req, res) => {
    const page = pageRequest(req, ResourceId);
    const rows = await tenantOf(res).artifacts.listInChat(req.params.chatId, { take: page.take, afterId: page.after });
    sendValid(res, ArtifactPage, pageOf(rows, page, (row) => row.id, toArtifactResource));
  });

  router.get('/:chatId', async (req, res) => {
    const chat = await tenantOf(res).chats.getNotebook(req.params.chatId);
    sendValid(res, ChatResource, toChatResource(chat));
  });

  router.post('/:chatId/messages', async (req, res) => {
    const tenant = tenantOf(res);
    const { chatId } = req.params;
    const body = parseBody(CreateMessageBody, req.body);
    await tenant.chats.get(chatId);

    const fileIds = [...new Set(body.fileIds)];
    const files = await tenant.files.getMany(fileIds);
    const unreadable = files.find((file) => file.status === 'failed');
    if (unreadable) {
      throw new UnprocessableError(
        ErrorCode.FILE_FAILED,
        `File ${unreadable.name} (${unreadable.id}) could not be read: ${unreadable.failureReason ?? 'unknown reason'}. Upload a readable copy and attach that instead.`,
        { details: { fileId: unreadable.id } },
      );
    }

    await options.sessionLimit.assertRoomFor(tenant.tenantId, chatId);
    const pending = await tenant.messages.countUnfinished(chatId);
    if (pending >= options.maxPendingMessagesPerChat) {
      throw new RateLimitError(
        `This chat already has ${pending} messages waiting or running (the limit is ${options.maxPendingMessagesPerChat}). Wait for some to finish, then post again.`,
        { retryAfterSeconds: 10, details: { limit: options.maxPendingMessagesPerChat } },
      );
    }

    const message = await tenant.messages.create(chatId, { content: body.content, fileIds }, { maxFilesPerChat: options.maxFilesPerChat });
    try {
      await options.pipeline.accept(tenant.tenantId, message);
    } catch (error) {
      // Without its hand-over the message would wait forever (and hold up the chat): end it.
      await options.pipeline
        .fail(tenant.tenantId, chatId, message.id, { code: ErrorCode.UNAVAILABLE, message: 'The message could not be queued; post it again.' })
        .catch(() => undefined);
      throw new UnavailableError('The message could not be queued because a backing service is unreachable; try again shortly.', {
        cause: error,
      });
    }
    sendValid(res, MessageResource, toMessageResource({ ...message, cells: [], artifacts: [] }), 202);
  });

  return router;
}

const ChatPage = Page(ChatSummaryResource);
const MessagePage = Page(MessageResource);
const ArtifactPage = Page(ArtifactResource);
/** Messages are paged by their position in the chat. */
const MessageSeq = z.number().int().positive();
