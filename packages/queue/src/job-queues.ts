import { Queue } from 'bullmq';
import { QUEUE_CATALOG, type JobPayload, type QueueName } from './catalog';
import { bullConnection } from './redis-connection';

/** Options of {@link JobQueues}. */
export interface JobQueuesOptions {
  redisUrl: string;
  /** Prefix of every queue key in Redis (ASSAY_KEY_PREFIX). */
  prefix: string;
}

/** Options of {@link JobQueues.add}. */
export interface AddJobOptions {
  /**
   * The executor replica that must run the job (it holds the chat's kernel): the job goes to
   * that replica's own queue instead of the shared one. See {@link replicaQueueName}.
   */
  replica?: string | undefined;
}

/** Where a job for one replica waits: `<queue>@<replica>`, next to the shared `<queue>`. */
export function replicaQueueName(queueName: QueueName, replica: string): string {
  return `${queueName}@${replica}`;
}

/**
 * Producer side of the catalog: adds typed jobs to Assay's queues.
 *
 * @example
 * const queues = new JobQueues({ redisUrl, prefix: 'assay' });
 * await queues.add('ingest', { tenantId, fileId });
 */
export class JobQueues {
  private readonly queues = new Map<string, Queue>();
  private closing: Promise<void> | undefined;

  constructor(private readonly options: JobQueuesOptions) {}

  /**
   * Adds a job, validated against the queue's schema. Returns its id; adding a job whose id
   * already exists does nothing and returns the same id.
   */
  async add<Q extends QueueName>(queueName: Q, payload: JobPayload<Q>, options: AddJobOptions = {}): Promise<string> {
    const definition = QUEUE_CATALOG[queueName];
    const data = definition.schema.parse(payload) as JobPayload<Q>;
    const jobId = (definition.jobId as (payload: JobPayload<Q>) => string)(data);
    const job = await this.queue(queueName, options.replica).add(queueName, data, { jobId });
    return job.id ?? jobId;
  }

  /**
   * Moves every unfinished job of a replica's own queue (waiting, delayed, and active ones whose
   * worker died) to the shared queue and deletes the replica's queue: used when that replica is
   * gone, so its jobs run elsewhere instead of waiting forever. Adding a job whose id the shared
   * queue already holds does nothing, so two replicas doing this at once move each job once.
   *
   * @returns how many jobs were moved
   */
  async rehome(queueName: QueueName, replica: string): Promise<number> {
    const source = this.queue(queueName, replica);
    const jobs = await source.getJobs(['waiting', 'delayed', 'prioritized', 'active', 'waiting-children']);
    const definition = QUEUE_CATALOG[queueName];
    let moved = 0;
    for (const job of jobs) {
      const parsed = definition.schema.safeParse(job.data);
      if (!parsed.success) continue;
      await this.add(queueName, parsed.data as JobPayload<typeof queueName>);
      moved += 1;
    }
    await source.obliterate({ force: true });
    await source.close();
    this.queues.delete(replicaQueueName(queueName, replica));
    return moved;
  }

  /** Jobs waiting or delayed in a queue, or in a replica's own queue (for readiness and metrics). */
  async depth(queueName: QueueName, replica?: string): Promise<number> {
    return this.queue(queueName, replica).getJobCountByTypes('waiting', 'delayed', 'prioritized');
  }

  /** Closes every connection; calling it twice returns the same promise. */
  close(): Promise<void> {
    this.closing ??= Promise.all([...this.queues.values()].map((queue) => queue.close())).then(() => undefined);
    return this.closing;
  }

  private queue(name: QueueName, replica?: string): Queue {
    const fullName = replica === undefined ? name : replicaQueueName(name, replica);
    let queue = this.queues.get(fullName);
    if (!queue) {
      queue = new Queue(fullName, {
        connection: bullConnection(this.options.redisUrl),
        prefix: this.options.prefix,
        defaultJobOptions: QUEUE_CATALOG[name].defaultJobOptions,
      });
      this.queues.set(fullName, queue);
    }
    return queue;
  }
}
