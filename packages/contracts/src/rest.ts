import { z } from 'zod';
import { MessageStatus } from './chats';
import { Failure, ResourceId, Timestamp } from './ids';

/** Most items one page of a list may hold. */
export const MAX_PAGE_LIMIT = 100;

/** Query of every list endpoint: `?limit=&cursor=`. */
export const ListQuery = z
  .object({
    /** Items per page, 1 to {@link MAX_PAGE_LIMIT}. */
    limit: z.coerce.number().int().min(1).max(MAX_PAGE_LIMIT).default(20),
    /** `nextCursor` of the previous page; absent for the first page. Opaque. */
    cursor: z.string().min(1).max(200).optional(),
  })
  .strict();
export type ListQuery = z.infer<typeof ListQuery>;

/** One page of a list: `nextCursor` is null on the last page. */
export function Page<S extends z.ZodType>(item: S) {
  return z.object({ data: z.array(item), nextCursor: z.string().nullable() });
}

/** A chat in a listing: without its messages (fetch `GET /v1/chats/:id` for those). */
export const ChatSummaryResource = z.object({
  id: ResourceId,
  title: z.string().nullable(),
  createdAt: Timestamp,
});
export type ChatSummaryResource = z.infer<typeof ChatSummaryResource>;

/** Most analyses one batch may hold. */
export const MAX_BATCH_ITEMS = 100;

/** One analysis of a batch: a question about some files, in a chat of its own. */
export const BatchItemBody = z
  .object({
    question: z.string().trim().min(1, 'question must not be empty').max(20_000),
    fileIds: z.array(ResourceId).max(20).default([]),
    title: z.string().trim().min(1).max(200).optional(),
  })
  .strict();
export type BatchItemBody = z.infer<typeof BatchItemBody>;

/** Body of `POST /v1/batches`. */
export const CreateBatchBody = z
  .object({
    items: z.array(BatchItemBody).min(1, 'a batch needs at least one item').max(MAX_BATCH_ITEMS),
  })
  .strict();
export type CreateBatchBody = z.infer<typeof CreateBatchBody>;

/** running while any item is unfinished; completed when every item completed; failed when all are done and some failed. */
export const BatchStatus = z.enum(['running', 'completed', 'failed']);
export type BatchStatus = z.infer<typeof BatchStatus>;

/** One item of a batch: its chat and message, and the message's status. */
export const BatchItemResource = z.object({
  chatId: ResourceId,
  messageId: ResourceId,
  status: MessageStatus,
  failure: Failure.nullable(),
  completedAt: Timestamp.nullable(),
});
export type BatchItemResource = z.infer<typeof BatchItemResource>;

/** A batch with the status of each item, in the order submitted. */
export const BatchResource = z.object({
  id: ResourceId,
  status: BatchStatus,
  /** Items per message status. */
  counts: z.record(MessageStatus, z.number().int().nonnegative()),
  items: z.array(BatchItemResource),
  createdAt: Timestamp,
});
export type BatchResource = z.infer<typeof BatchResource>;

/** A tenant's use of one rate quota in its current window. */
export const QuotaUsageResource = z.object({
  limit: z.number().int().nonnegative(),
  used: z.number().int().nonnegative(),
  remaining: z.number().int().nonnegative(),
  /** Seconds until the window ends and the count starts again (0: no window open). */
  resetSeconds: z.number().int().nonnegative(),
});
export type QuotaUsageResource = z.infer<typeof QuotaUsageResource>;

/** What a tenant holds (from the database) and how much of its rate quotas it has used (from Redis). */
export const UsageResource = z.object({
  /** Bytes in the blob store, each distinct content counted once (what the storage quota counts). */
  storageBytes: z.number().int().nonnegative(),
  files: z.number().int().nonnegative(),
  chats: z.number().int().nonnegative(),
  messages: z.number().int().nonnegative(),
  /** Cells that have run at least once. */
  executedCells: z.number().int().nonnegative(),
  /** Files analysis code wrote. */
  artifacts: z.number().int().nonnegative(),
  /** Uploads this hour, executions (messages and cell runs) this hour, model tokens today. */
  quotas: z.object({ uploads: QuotaUsageResource, executions: QuotaUsageResource, tokens: QuotaUsageResource }),
});
export type UsageResource = z.infer<typeof UsageResource>;

/** What a job is: a message (generate and run), a batch, or a notebook operation (run cells, restart). */
export const JobKind = z.enum(['message', 'batch', 'run', 'restart']);
export type JobKind = z.infer<typeof JobKind>;

/** One status for every kind of job, so a client can poll any 202 answer the same way. */
export const JobStatus = z.enum(['queued', 'running', 'completed', 'failed']);
export type JobStatus = z.infer<typeof JobStatus>;

/**
 * `GET /v1/jobs/:jobId`: the status of work an API call started, by the id its 202 answer gave
 * (a message's `id`, a batch's `id`, a notebook operation's `operationId`).
 */
export const JobResource = z.object({
  id: ResourceId,
  kind: JobKind,
  status: JobStatus,
  /** The chat the job works in; null for a batch (its chats are in `GET /v1/batches/:id`). */
  chatId: ResourceId.nullable(),
  /** For a run: the cells it runs. Empty otherwise. */
  cellIds: z.array(ResourceId),
  /** Why it failed (message, or the first failing cell of a run), when it failed. */
  failure: Failure.nullable(),
  createdAt: Timestamp,
});
export type JobResource = z.infer<typeof JobResource>;
