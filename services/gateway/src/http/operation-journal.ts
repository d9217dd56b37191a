import { ResourceId, Timestamp } from '@assay/contracts';
import type { Redis } from 'ioredis';
import { z } from 'zod';

/** A notebook operation as the gateway queued it: enough to tell its status later. */
export const OperationRecord = z.object({
  id: ResourceId,
  chatId: ResourceId,
  kind: z.enum(['run', 'restart']),
  cellIds: z.array(ResourceId),
  createdAt: Timestamp,
});
export type OperationRecord = z.infer<typeof OperationRecord>;

/** Options of {@link OperationJournal}. */
export interface OperationJournalOptions {
  redis: Redis;
  /** Prefix of every key (ASSAY_KEY_PREFIX). */
  prefix: string;
  /**
   * How long an operation can be looked up after it was queued.
   * @defaultValue 24 hours
   */
  retentionSeconds?: number;
}

/**
 * Remembers the notebook operations (cell runs, restarts) the gateway queued, per tenant, so
 * `GET /v1/jobs/:id` can answer for an `operationId`. Their progress itself is not copied here:
 * it is read from the cells and the chat, which the executor keeps current.
 */
export class OperationJournal {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly retentionSeconds: number;

  constructor(options: OperationJournalOptions) {
    this.redis = options.redis;
    this.prefix = options.prefix;
    this.retentionSeconds = options.retentionSeconds ?? 24 * 3600;
  }

  async record(tenantId: string, operation: OperationRecord): Promise<void> {
    await this.redis.set(this.key(tenantId, operation.id), JSON.stringify(OperationRecord.parse(operation)), 'EX', this.retentionSeconds);
  }

  /** The operation, or undefined when this tenant queued none with that id (or it has expired). */
  async get(tenantId: string, id: string): Promise<OperationRecord | undefined> {
    const stored = await this.redis.get(this.key(tenantId, id));
    if (stored === null) return undefined;
    const parsed = OperationRecord.safeParse(JSON.parse(stored));
    return parsed.success ? parsed.data : undefined;
  }

  private key(tenantId: string, id: string): string {
    return `${this.prefix}:operation:${tenantId}:${id}`;
  }
}
