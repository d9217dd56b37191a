import { Queue } from 'bullmq';
import { QUEUE_CATALOG, type JobPayload, type QueueName } from './catalog';
import { bullConnection } from './redis-connection';

/** Options of {@link JobQueues}. */
export interface JobQueuesOptions {
  redisUrl: string;
  /** Prefix of every queue key in Redis (ASSAY_KEY_PREFIX). */
  prefix: string;
}

/**
 * Producer side of the catalog: adds typed jobs to Assay's queues.
 *
 * @example
 * const queues = new JobQueues({ redisUrl, prefix: 'assay' });
 * await queues.add('ingest', { tenantId, fileId });
 */
export class JobQueues {
  private readonly queues = new Map<QueueName, Queue>();
  private closing: Promise<void> | undefined;

  constructor(private readonly options: JobQueuesOptions) {}

  /**
   * Adds a job, validated against the queue's schema. Returns its id; adding a job whose id
   * already exists does nothing and returns the same id.
   */
  async add<Q extends QueueName>(queueName: Q, payload: JobPayload<Q>): Promise<string> {
    const definition = QUEUE_CATALOG[queueName];
    const data = definition.schema.parse(payload) as JobPayload<Q>;
    const jobId = (definition.jobId as (payload: JobPayload<Q>) => string)(data);
    const job = await this.queue(queueName).add(queueName, data, { jobId });
    return job.id ?? jobId;
  }

  /** Jobs waiting or delayed in a queue (for readiness and metrics). */
  async depth(queueName: QueueName): Promise<number> {
    return this.queue(queueName).getJobCountByTypes('waiting', 'delayed', 'prioritized');
  }

  /** Closes every connection; calling it twice returns the same promise. */
  close(): Promise<void> {
    this.closing ??= Promise.all([...this.queues.values()].map((queue) => queue.close())).then(() => undefined);
    return this.closing;
  }

  private queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, {
        connection: bullConnection(this.options.redisUrl),
        prefix: this.options.prefix,
        defaultJobOptions: QUEUE_CATALOG[name].defaultJobOptions,
      });
      this.queues.set(name, queue);
    }
    return queue;
  }
}
