import { z } from 'zod';
import { ArtifactResource } from './artifacts';
import { Failure, ResourceId, Timestamp } from './ids';
import { Cell } from './notebook';

/**
 * queued: waiting for its files' ingest and for the chat's previous message;
 * generating: a codegen provider is writing cells; executing: cells are running;
 * completed | failed: final.
 */
export const MessageStatus = z.enum(['queued', 'generating', 'executing', 'completed', 'failed']);
export type MessageStatus = z.infer<typeof MessageStatus>;

export const TERMINAL_MESSAGE_STATUSES: readonly MessageStatus[] = ['completed', 'failed'];

export const MessageResource = z.object({
  id: ResourceId,
  chatId: ResourceId,
  /** Position in the chat, from 1. */
  seq: z.number().int().positive(),
  content: z.string(),
  fileIds: z.array(ResourceId),
  status: MessageStatus,
  failure: Failure.nullable(),
  provider: z.string().nullable(),
  createdAt: Timestamp,
  completedAt: Timestamp.nullable(),
  cells: z.array(Cell),
  /** Files the message's code wrote under /mnt/data, in the order they were found. */
  artifacts: z.array(ArtifactResource),
});
export type MessageResource = z.infer<typeof MessageResource>;

export const ChatResource = z.object({
  id: ResourceId,
  title: z.string().nullable(),
  createdAt: Timestamp,
  messages: z.array(MessageResource),
});
export type ChatResource = z.infer<typeof ChatResource>;

/** Body of `POST /v1/chats`. */
export const CreateChatBody = z
  .object({
    title: z.string().trim().min(1).max(200).optional(),
  })
  .strict();
export type CreateChatBody = z.infer<typeof CreateChatBody>;

/** Body of `POST /v1/chats/:id/messages`. */
export const CreateMessageBody = z
  .object({
    content: z.string().trim().min(1, 'content must not be empty').max(20_000),
    fileIds: z.array(ResourceId).max(20).default([]),
  })
  .strict();
export type CreateMessageBody = z.infer<typeof CreateMessageBody>;
