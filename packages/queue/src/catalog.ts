import type { JobsOptions } from 'bullmq';
import { z } from 'zod';

/**
 * The work Assay's services hand to each other, queue by queue.
 *
 * Producers and workers are typed from this catalog, and workers validate every payload on
 * receipt. A new payload field starts `.optional()` until jobs queued by the previous version
 * have drained.
 */
export const QueueName = {
  /** Read an uploaded file's headers, row counts and sheets. */
  Ingest: 'ingest',
  /** Ask a codegen provider for a message's notebook cells. */
  Codegen: 'codegen',
  /** Run a message's cells in the chat's kernel. */
  Execute: 'execute',
  /** Ask the codegen provider to fix a message's generated cell that failed. */
  Repair: 'repair',
  /** Notebook operations a person asked for: run cells again, restart the kernel. */
  Notebook: 'notebook',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

const Id = z.uuid();

export const IngestJob = z.object({ tenantId: Id, fileId: Id });
export type IngestJob = z.infer<typeof IngestJob>;

export const CodegenJob = z.object({ tenantId: Id, chatId: Id, messageId: Id });
export type CodegenJob = z.infer<typeof CodegenJob>;

export const ExecuteJob = z.object({
  tenantId: Id,
  chatId: Id,
  messageId: Id,
  /** Set when the run follows automatic repair attempt N (the job then has its own id). */
  repairAttempt: z.number().int().positive().optional(),
});
export type ExecuteJob = z.infer<typeof ExecuteJob>;

export const RepairJob = z.object({ tenantId: Id, chatId: Id, messageId: Id, failedCellId: Id, attempt: z.number().int().positive() });
export type RepairJob = z.infer<typeof RepairJob>;

export const NotebookJob = z.discriminatedUnion('op', [
  /** Run these cells, in this order, in the chat's kernel; stop at the first that fails. */
  z.object({ op: z.literal('run'), tenantId: Id, chatId: Id, operationId: Id, cellIds: z.array(Id).min(1).max(10_000) }),
  /** Restart the chat's kernel (its variables are dropped on purpose). */
  z.object({ op: z.literal('restart'), tenantId: Id, chatId: Id, operationId: Id }),
]);
export type NotebookJob = z.infer<typeof NotebookJob>;

/** Finished jobs are kept a while for inspection, then trimmed. */
const retention: Pick<JobsOptions, 'removeOnComplete' | 'removeOnFail'> = {
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

interface QueueDefinition<S extends z.ZodType> {
  schema: S;
  /**
   * The job id for a payload. One job per subject (file or message): adding the same job twice
   * while the first still exists is a no-op, which makes every hand-over idempotent.
   */
  jobId: (payload: z.infer<S>) => string;
  defaultJobOptions: JobsOptions;
}

function define<S extends z.ZodType>(definition: QueueDefinition<S>): QueueDefinition<S> {
  return definition;
}

export const QUEUE_CATALOG = {
  [QueueName.Ingest]: define({
    schema: IngestJob,
    jobId: (job) => `ingest-${job.fileId}`,
    defaultJobOptions: { attempts: 3, backoff: { type: 'exponential', delay: 1_000 }, ...retention },
  }),
  [QueueName.Codegen]: define({
    schema: CodegenJob,
    jobId: (job) => `codegen-${job.messageId}`,
    // Provider calls fail transiently (rate limits, overload): retry with backoff.
    defaultJobOptions: { attempts: 3, backoff: { type: 'exponential', delay: 2_000 }, ...retention },
  }),
  [QueueName.Execute]: define({
    schema: ExecuteJob,
    jobId: (job) => (job.repairAttempt === undefined ? `execute-${job.messageId}` : `execute-${job.messageId}-repair-${job.repairAttempt}`),
    // Running user code twice is not harmless: one attempt; a lost executor is handled by the
    // stalled-job check, which hands the job to another worker once.
    defaultJobOptions: { attempts: 1, ...retention },
  }),
  [QueueName.Repair]: define({
    schema: RepairJob,
    // One job per attempt: a repair runs once even if the failure is reported twice.
    jobId: (job) => `repair-${job.messageId}-${job.attempt}`,
    // Provider calls fail transiently (rate limits, overload): retry with backoff, like codegen.
    defaultJobOptions: { attempts: 3, backoff: { type: 'exponential', delay: 2_000 }, ...retention },
  }),
  [QueueName.Notebook]: define({
    schema: NotebookJob,
    jobId: (job) => `notebook-${job.operationId}`,
    // Same reason as execute: user code runs at most once per request.
    defaultJobOptions: { attempts: 1, ...retention },
  }),
} as const;

/** The payload type of a queue. */
export type JobPayload<Q extends QueueName> = z.infer<(typeof QUEUE_CATALOG)[Q]['schema']>;
