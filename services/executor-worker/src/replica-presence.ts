import type { SessionRegistry } from '@assay/events';
import type { Logger } from '@assay/logger';
import type { JobQueues, QueueName } from '@assay/queue';

/** The queues whose jobs may be routed to one replica (those that need the chat's kernel). */
export const ROUTED_QUEUES: readonly QueueName[] = ['execute', 'notebook'];

/** Options of {@link ReplicaPresence}. */
export interface ReplicaPresenceOptions {
  executorId: string;
  registry: SessionRegistry;
  queues: JobQueues;
  /** How often this replica says it is alive; it counts as dead after three missed beats. */
  heartbeatMs: number;
  logger: Logger;
}

/**
 * Keeps this executor replica visible to the others, and cleans up after replicas that died.
 *
 * Work for a chat goes to the replica holding its kernel, on that replica's own queue. A replica
 * that crashes leaves that queue behind: every replica checks the known replicas' heartbeats and
 * moves the jobs of a dead one (waiting, or running when it died) to the shared queue, where any
 * replica takes them and rebuilds the chat's kernel by replay.
 */
export class ReplicaPresence {
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(private readonly options: ReplicaPresenceOptions) {}

  /** Sends the first heartbeat, then keeps beating and sweeping in the background. */
  async start(): Promise<void> {
    await this.beat();
    this.heartbeatTimer = setInterval(() => void this.beat(), this.options.heartbeatMs);
    this.heartbeatTimer.unref();
    this.sweepTimer = setInterval(() => {
      this.sweeping ??= this.sweep().finally(() => {
        this.sweeping = undefined;
      });
    }, this.options.heartbeatMs * 2);
    this.sweepTimer.unref();
  }

  /**
   * Leaves cleanly (after this replica's workers stopped): no longer alive, and whatever still
   * waits in its own queues goes to the shared ones at once instead of after the heartbeat expires.
   */
  async stop(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    clearInterval(this.sweepTimer);
    await this.sweeping;
    await this.options.registry.forgetExecutor(this.options.executorId);
    await this.rehome(this.options.executorId);
  }

  private async beat(): Promise<void> {
    try {
      await this.options.registry.heartbeat(this.options.executorId, this.options.heartbeatMs * 3);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'could not send the replica heartbeat');
    }
  }

  /** Moves the jobs of every known replica whose heartbeat expired, and forgets it. */
  private async sweep(): Promise<void> {
    try {
      for (const executorId of await this.options.registry.knownExecutors()) {
        if (executorId === this.options.executorId || (await this.options.registry.isExecutorAlive(executorId))) continue;
        await this.rehome(executorId);
        await this.options.registry.forgetExecutor(executorId);
      }
    } catch (error) {
      this.options.logger.warn({ err: error }, 'could not check the other replicas');
    }
  }

  private async rehome(executorId: string): Promise<void> {
    for (const queue of ROUTED_QUEUES) {
      const moved = await this.options.queues.rehome(queue, executorId);
      if (moved > 0) this.options.logger.warn({ queue, fromExecutor: executorId, jobs: moved }, 'moved the jobs of a replica that is gone to the shared queue');
    }
  }
}
