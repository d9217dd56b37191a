import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { AssayError, ErrorCode } from '@assay/errors';
import { createLogger } from '@assay/logger';
import { JobQueues, WorkerRegistry, type JobPayload } from '@assay/queue';
import { Queue } from 'bullmq';
import { isolatedRedis } from '../support/redis';
import { testEnvironment } from '../support/test-environment';

const logger = createLogger({ name: 'test', level: 'silent' });

let queues: JobQueues;
let workers: WorkerRegistry;
let prefix: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  const isolated = await isolatedRedis();
  prefix = isolated.prefix;
  cleanup = isolated.close;
  const { redisUrl } = testEnvironment();
  queues = new JobQueues({ redisUrl, prefix });
  workers = new WorkerRegistry({ redisUrl, prefix, logger });
});

afterEach(async () => {
  await workers.close();
  await queues.close();
  await cleanup();
});

const ingestJob = (): JobPayload<'ingest'> => ({ tenantId: randomUUID(), fileId: randomUUID() });

/** Resolves when `check` is true, polling briefly; rejects after 10 s. */
async function eventually(check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('JobQueues and WorkerRegistry', () => {
  it('deliver a validated payload to the processor with ids on its context', async () => {
    const seen: Array<JobPayload<'ingest'>> = [];
    workers.register('ingest', async (payload, context) => {
      expect(context.job.id).toBe(`ingest-${payload.fileId}`);
      seen.push(payload);
    });
    const job = ingestJob();
    await queues.add('ingest', job);
    await eventually(() => seen.length === 1);
    expect(seen[0]).toEqual(job);
  });

  it('treat adding the same subject twice as one job', async () => {
    const job = ingestJob();
    const first = await queues.add('ingest', job);
    const second = await queues.add('ingest', job);
    expect(second).toBe(first);
    expect(await queues.depth('ingest')).toBe(1);
  });

  it('refuse to enqueue a payload that does not match the catalog', async () => {
    await expect(queues.add('ingest', { tenantId: 'x', fileId: 'y' })).rejects.toThrow();
  });

  it('fail a job with an invalid payload at once, without retries', async () => {
    let calls = 0;
    workers.register('ingest', async () => {
      calls++;
    });
    const raw = new Queue('ingest', { connection: { url: testEnvironment().redisUrl }, prefix });
    const job = await raw.add('ingest', { fileId: 42 }, { attempts: 3 });
    await eventually(async () => (await job.getState()) === 'failed');
    const failed = await raw.getJob(job.id ?? '');
    expect(failed?.attemptsMade).toBe(1);
    expect(failed?.failedReason).toContain('Invalid ingest payload');
    expect(calls).toBe(0);
    await raw.close();
  });

  it('retry retryable errors and tell the processor when an attempt is the last', async () => {
    const attempts: boolean[] = [];
    workers.register('ingest', async (_payload, context) => {
      attempts.push(context.isFinalAttempt);
      if (!context.isFinalAttempt) throw new AssayError(ErrorCode.UNAVAILABLE, 'try later', { retryable: true });
    });
    const raw = new Queue('ingest', { connection: { url: testEnvironment().redisUrl }, prefix });
    await raw.add('ingest', ingestJob(), { attempts: 3, backoff: { type: 'fixed', delay: 10 } });
    await eventually(() => attempts.length === 3);
    expect(attempts).toEqual([false, false, true]);
    await raw.close();
  });

  it('do not retry an AssayError that is not retryable', async () => {
    let calls = 0;
    workers.register('ingest', async () => {
      calls++;
      throw new AssayError(ErrorCode.FILE_UNREADABLE, 'corrupt');
    });
    const raw = new Queue('ingest', { connection: { url: testEnvironment().redisUrl }, prefix });
    const job = await raw.add('ingest', ingestJob(), { attempts: 3, backoff: { type: 'fixed', delay: 10 } });
    await eventually(async () => (await job.getState()) === 'failed');
    expect(calls).toBe(1);
    expect((await raw.getJob(job.id ?? ''))?.failedReason).toBe('FILE_UNREADABLE: corrupt');
    await raw.close();
  });
});
