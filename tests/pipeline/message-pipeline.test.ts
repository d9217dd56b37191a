import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ChatEvent } from '@assay/contracts';
import type { PrismaClient, TenantScope } from '@assay/db';
import { ChatEventLog } from '@assay/events';
import { createLogger } from '@assay/logger';
import { MessagePipeline } from '@assay/pipeline';
import { JobQueues } from '@assay/queue';
import { Queue } from 'bullmq';
import { newTenant, testPrisma } from '../support/database';
import { isolatedRedis } from '../support/redis';
import { testEnvironment } from '../support/test-environment';

const logger = createLogger({ name: 'test', level: 'silent' });

let prisma: PrismaClient;
let tenant: TenantScope;
let events: ChatEventLog;
let queues: JobQueues;
let codegenQueue: Queue;
let pipeline: MessagePipeline;
let cleanup: () => Promise<void>;
let prefix: string;

beforeAll(async () => {
  prisma = testPrisma();
  tenant = (await newTenant(prisma)).scope;
  const isolated = await isolatedRedis();
  cleanup = isolated.close;
  prefix = isolated.prefix;
  events = new ChatEventLog({ redis: isolated.redis, prefix: isolated.prefix });
  queues = new JobQueues({ redisUrl: testEnvironment().redisUrl, prefix: isolated.prefix });
  codegenQueue = new Queue('codegen', { connection: { url: testEnvironment().redisUrl }, prefix: isolated.prefix });
  pipeline = new MessagePipeline({ prisma, queues, events, logger });
});

afterAll(async () => {
  await codegenQueue.close();
  await queues.close();
  await cleanup();
  await prisma.$disconnect();
});

const newFile = (name: string) =>
  tenant.files.create({ name, format: 'csv', sizeBytes: 3, sha256: '00'.repeat(32), blobKey: `k/${randomUUID()}` });

async function codegenQueued(messageId: string): Promise<boolean> {
  return (await codegenQueue.getJob(`codegen-${messageId}`)) !== undefined;
}

async function eventTypes(chatId: string): Promise<string[]> {
  return (await events.readAfter(chatId, 0)).map((event: ChatEvent) => event.type);
}

describe('MessagePipeline', () => {
  it('holds a message until its files are ingested, then announces them and queues codegen', async () => {
    const chat = await tenant.chats.create({});
    const file = await newFile('sales.csv');
    const message = await tenant.messages.create(chat.id, { content: 'overview', fileIds: [file.id] });

    await pipeline.accept(tenant.tenantId, message);
    expect(await codegenQueued(message.id)).toBe(false);
    expect((await tenant.messages.get(message.id)).status).toBe('queued');

    await tenant.files.markReady(file.id, { format: 'csv', sheets: [{ name: 'sales', headers: ['region', 'amount'], rowCount: 2 }] });
    await pipeline.fileSettled(tenant.tenantId, file.id);

    expect(await codegenQueued(message.id)).toBe(true);
    expect((await tenant.messages.get(message.id)).status).toBe('generating');
    const logged = await events.readAfter(chat.id, 0);
    expect(logged.map((event) => event.type)).toEqual(['message.accepted', 'file.ingested']);
    const ingested = logged[1];
    expect(ingested?.type === 'file.ingested' && ingested.data.sheets[0]?.headers).toEqual(['region', 'amount']);
  });

  it('starts a chat’s messages one at a time, in order, and only once', async () => {
    const chat = await tenant.chats.create({});
    const first = await tenant.messages.create(chat.id, { content: 'one', fileIds: [] });
    const second = await tenant.messages.create(chat.id, { content: 'two', fileIds: [] });
    await pipeline.accept(tenant.tenantId, first);
    await pipeline.accept(tenant.tenantId, second);
    await Promise.all([1, 2, 3].map(() => pipeline.advance(tenant.tenantId, chat.id)));

    expect(await codegenQueued(first.id)).toBe(true);
    expect(await codegenQueued(second.id)).toBe(false);

    await tenant.messages.transition(first.id, ['generating'], 'executing');
    await pipeline.complete(tenant.tenantId, chat.id, first.id, 0);
    expect(await codegenQueued(second.id)).toBe(true);
    expect(await eventTypes(chat.id)).toEqual(['message.accepted', 'message.accepted', 'message.completed']);
  });

  it('fails a message whose file could not be read, and moves on to the next one', async () => {
    const chat = await tenant.chats.create({});
    const broken = await newFile('broken.csv');
    const first = await tenant.messages.create(chat.id, { content: 'use the broken file', fileIds: [broken.id] });
    const second = await tenant.messages.create(chat.id, { content: 'no files', fileIds: [] });
    await pipeline.accept(tenant.tenantId, first);
    await pipeline.accept(tenant.tenantId, second);

    await tenant.files.markFailed(broken.id, { code: 'FILE_UNREADABLE', message: 'the zip archive is truncated' });
    await pipeline.fileSettled(tenant.tenantId, broken.id);

    const failed = await tenant.messages.get(first.id);
    expect(failed.status).toBe('failed');
    expect(failed.failureCode).toBe('FILE_FAILED');
    expect(failed.failureReason).toContain('broken.csv: the zip archive is truncated');
    expect(await codegenQueued(first.id)).toBe(false);
    expect(await codegenQueued(second.id)).toBe(true);
    expect(await eventTypes(chat.id)).toEqual(['message.accepted', 'message.accepted', 'file.ingested', 'message.failed']);
  });

  it('fails a message at most once and cancels its cells that never ran', async () => {
    const chat = await tenant.chats.create({});
    const message = await tenant.messages.create(chat.id, { content: 'q', fileIds: [] });
    await pipeline.accept(tenant.tenantId, message);
    await tenant.messages.finishGeneration(chat.id, message.id, [{ kind: 'code', source: 'x = 1' }, { kind: 'code', source: 'y = 2' }], 'scripted');
    const failure = { code: 'CELL_ERROR', message: 'cell 1 raised' };
    await Promise.all([pipeline.fail(tenant.tenantId, chat.id, message.id, failure), pipeline.fail(tenant.tenantId, chat.id, message.id, failure)]);
    expect((await eventTypes(chat.id)).filter((type) => type === 'message.failed')).toHaveLength(1);
    expect((await tenant.cells.listForMessage(message.id)).map((cell) => cell.status)).toEqual(['cancelled', 'cancelled']);
  });
  it('queues each repair attempt once, and the run after a repair as its own execution job', async () => {
    const [chatId, messageId, cellId] = [randomUUID(), randomUUID(), randomUUID()];
    const repairQueue = new Queue('repair', { connection: { url: testEnvironment().redisUrl }, prefix });
    const executeQueue = new Queue('execute', { connection: { url: testEnvironment().redisUrl }, prefix });
    try {
      await pipeline.startRepair(tenant.tenantId, chatId, messageId, cellId, 1);
      await pipeline.startRepair(tenant.tenantId, chatId, messageId, cellId, 1);
      await pipeline.startRepair(tenant.tenantId, chatId, messageId, randomUUID(), 2);
      const repairs = await repairQueue.getJobs(['waiting']);
      expect(repairs.filter((job) => job.data.messageId === messageId).map((job) => [job.id, job.data.attempt]).sort()).toEqual([
        [`repair-${messageId}-1`, 1],
        [`repair-${messageId}-2`, 2],
      ]);

      await pipeline.startExecution(tenant.tenantId, chatId, messageId);
      await pipeline.startExecution(tenant.tenantId, chatId, messageId, 1);
      await pipeline.startExecution(tenant.tenantId, chatId, messageId, 1);
      const runs = await executeQueue.getJobs(['waiting']);
      expect(runs.filter((job) => job.data.messageId === messageId).map((job) => job.id).sort()).toEqual([`execute-${messageId}`, `execute-${messageId}-repair-1`]);
    } finally {
      await repairQueue.close();
      await executeQueue.close();
    }
  });
});
