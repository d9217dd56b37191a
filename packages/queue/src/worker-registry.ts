import { isAssayError } from '@assay/errors';
import type { Logger } from '@assay/logger';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { z } from 'zod';
import { QUEUE_CATALOG, type JobPayload, type QueueName } from './catalog';
import { replicaQueueName } from './job-queues';
import { bullConnection } from './redis-connection';

/** What a processor gets besides its payload. */
export interface JobContext {
  job: Job;
  /** A logger carrying the job id, the queue and the payload's ids. */
  logger: Logger;
  /**
   * True when a thrown error will not be retried: the processor should record the failure
   * (e.g. fail the message) instead of throwing.
   */
  isFinalAttempt: boolean;
}

/** Handles one job. Throwing a retryable error retries the job (see the queue's attempts). */
export type JobProcessor<Q extends QueueName> = (payload: JobPayload<Q>, context: JobContext) => Promise<void>;

/**
 * Called once when a job fails for good (its error is not retryable, or it was the last
 * attempt), to record the failure where people see it (a failed message, a failed file), so
 * that no work is left waiting forever.
 */
export type FinalFailureHandler<Q extends QueueName> = (payload: JobPayload<Q>, error: unknown, context: JobContext) => Promise<void>;

/** Per-worker settings. */
export interface RegisterOptions<Q extends QueueName = QueueName> {
  /** What to do when a job fails for good; see {@link FinalFailureHandler}. */
  onFinalFailure?: FinalFailureHandler<Q>;
  /**
   * Jobs processed at the same time by this process.
   * @defaultValue 1
   */
  concurrency?: number;
  /**
   * How long a job's lock lasts without renewal; a worker that stops renewing (crash) loses
   * the job to another worker after this.
   * @defaultValue 30_000
   */
  lockDurationMs?: number;
  /** Take jobs from this replica's own queue (`<queue>@<replica>`) instead of the shared one. */
  replica?: string;
}

/** Options of {@link WorkerRegistry}. */
export interface WorkerRegistryOptions {
  redisUrl: string;
  /** Prefix of every queue key in Redis (ASSAY_KEY_PREFIX). */
  prefix: string;
  logger: Logger;
  /**
   * Told of every job that ends, for metrics: its queue (a replica's own queue by its base name),
   * whether it completed or failed (a failure that will be retried counts as failed), and how
   * long the processor ran.
   * @defaultValue nothing
   */
  onJobFinished?: (queueName: QueueName, outcome: 'completed' | 'failed', durationMs: number) => void;
}

/**
 * Creates and owns every BullMQ worker of a process, so they share one way of validating
 * payloads, logging and shutting down.
 *
 * - A payload that fails its schema fails the job at once (UnrecoverableError), never retried.
 * - An AssayError marked not retryable is not retried either.
 * - `close()` lets running jobs finish, then disconnects.
 */
export class WorkerRegistry {
  private readonly workers: Worker[] = [];
  private closing: Promise<void> | undefined;

  constructor(private readonly options: WorkerRegistryOptions) {}

  register<Q extends QueueName>(queueName: Q, processor: JobProcessor<Q>, options: RegisterOptions<Q> = {}): Worker {
    const schema: z.ZodType = QUEUE_CATALOG[queueName].schema;
    const fullName = options.replica === undefined ? queueName : replicaQueueName(queueName, options.replica);
    const baseLogger = this.options.logger.child({ queue: fullName });

    const worker = new Worker(
      fullName,
      async (job: Job) => {
        const parsed = schema.safeParse(job.data);
        if (!parsed.success) {
          baseLogger.error({ jobId: job.id, issues: parsed.error.issues }, 'invalid job payload');
          throw new UnrecoverableError(`Invalid ${queueName} payload: ${z.prettifyError(parsed.error)}`);
        }
        const payload = parsed.data as JobPayload<Q>;
        const logger = baseLogger.child({ jobId: job.id, ...idsOf(payload) });
        const attempts = job.opts.attempts ?? 1;
        const isFinalAttempt = job.attemptsMade + 1 >= attempts;
        const context: JobContext = { job, logger, isFinalAttempt };
        const started = performance.now();
        try {
          await processor(payload, context);
          const durationMs = performance.now() - started;
          logger.info({ durationMs: Math.round(durationMs) }, 'job completed');
          this.options.onJobFinished?.(queueName, 'completed', durationMs);
        } catch (error) {
          this.options.onJobFinished?.(queueName, 'failed', performance.now() - started);
          const retryable = !isAssayError(error) || error.retryable;
          logger.error({ err: error, attempt: job.attemptsMade + 1, attempts, retryable }, 'job failed');
          if (retryable && !isFinalAttempt) throw error;
          if (options.onFinalFailure) {
            await options.onFinalFailure(payload, error, context).catch((handlerError: unknown) => {
              logger.error({ err: handlerError }, 'could not record the final failure of a job');
            });
          }
          throw new UnrecoverableError(isAssayError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error));
        }
      },
      {
        connection: bullConnection(this.options.redisUrl),
        prefix: this.options.prefix,
        concurrency: options.concurrency ?? 1,
        lockDuration: options.lockDurationMs ?? 30_000,
      },
    );
    worker.on('error', (error) => baseLogger.error({ err: error }, 'worker error'));
    worker.on('stalled', (jobId) => baseLogger.warn({ jobId }, 'job stalled: its worker stopped renewing the lock'));
    this.workers.push(worker);
    return worker;
  }

  /** Waits for the workers to connect to Redis (useful before reporting readiness). */
  async waitUntilReady(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.waitUntilReady()));
  }

  /** Stops taking jobs, lets running ones finish, disconnects. Idempotent. */
  close(): Promise<void> {
    this.closing ??= Promise.all(this.workers.map((worker) => worker.close())).then(() => undefined);
    return this.closing;
  }
}

/** The ids of a payload worth putting on every log line of its job. */
function idsOf(payload: object): Record<string, string> {
  const ids: Record<string, string> = {};
  for (const key of ['tenantId', 'chatId', 'messageId', 'fileId'] as const) {
    const value = (payload as Record<string, unknown>)[key];
    if (typeof value === 'string') ids[key] = value;
  }
  return ids;
}
