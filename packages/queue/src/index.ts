export { CodegenJob, ExecuteJob, IngestJob, NotebookJob, QUEUE_CATALOG, QueueName, RepairJob } from './catalog';
export type { JobPayload } from './catalog';
export { JobQueues, replicaQueueName } from './job-queues';
export type { AddJobOptions, JobQueuesOptions } from './job-queues';
export { WorkerRegistry } from './worker-registry';
export type { FinalFailureHandler, JobContext, JobProcessor, RegisterOptions, WorkerRegistryOptions } from './worker-registry';
