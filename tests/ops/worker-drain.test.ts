import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createLogger } from '@assay/logger';
import { JobQueues, WorkerRegistry, type JobPayload } from '@assay/queue';
import { isolatedRedis } from '../support/redis';
import { testEnvironment } from '../support/test-environment';

/**
 * What every worker service's SIGTERM handler does first ("finish running jobs"), on a real
 * Redis: closing the registry waits for the job in progress, and takes no job after it, which
 * waits in the queue for the next worker. The executor's end-to-end test shows the same through
 * a whole service.
 */

const logger = createLogger({ name: 'test', level: 'silent' });

let queues: JobQueues;
let prefix: string;
let cleanup: () => Promise<void>;
const registries: WorkerRegistry[] = [];

beforeEach(async () => {
  const isolated = await isolatedRedis();
  prefix = isolated.prefix;
  cleanup = isolated.close;
  queues = new JobQueues({ redisUrl: testEnvironment().redisUrl, prefix });
});

afterEach(async () => {
  await Promise.all(registries.splice(0).map((registry) => registry.close()));
  await queues.close();
  await cleanup();
});

function registry(): WorkerRegistry {
  const created = new WorkerRegistry({ redisUrl: testEnvironment().redisUrl, prefix, logger });
  registries.push(created);
  return created;
}

describe('WorkerRegistry.close', () => {
  it('finishes the running job, takes no new one, and leaves it for the next worker', async () => {
    const events: string[] = [];
    let release: () => void = () => undefined;
    let started: () => void = () => undefined;
    const startedJob = new Promise<void>((resolve) => (started = resolve));
    const draining = registry();
    draining.register('ingest', async (payload) => {
      events.push(`start ${payload.fileId}`);
      started();
      await new Promise<void>((resolve) => (release = resolve));
      events.push(`end ${payload.fileId}`);
    });
    const first: JobPayload<'ingest'> = { tenantId: randomUUID(), fileId: randomUUID() };
    const second: JobPayload<'ingest'> = { tenantId: randomUUID(), fileId: randomUUID() };
    await queues.add('ingest', first);
    await startedJob;

    const closed = draining.close().then(() => events.push('closed'));
    await queues.add('ingest', second);
    release();
    await closed;
    expect(events).toEqual([`start ${first.fileId}`, `end ${first.fileId}`, 'closed']);
    expect(await queues.depth('ingest')).toBe(1);

    const next = registry();
    const handled: string[] = [];
    next.register('ingest', async (payload) => void handled.push(payload.fileId));
    const deadline = Date.now() + 10_000;
    while (handled.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(handled).toEqual([second.fileId]);
  });
});
