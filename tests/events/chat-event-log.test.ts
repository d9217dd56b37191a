import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ChatEvent } from '@assay/contracts';
import { ChatEventLog, ChatEventSubscriber } from '@assay/events';
import { createLogger } from '@assay/logger';
import type { Redis } from 'ioredis';
import { isolatedRedis } from '../support/redis';

const logger = createLogger({ name: 'test', level: 'silent' });

let redis: Redis;
let log: ChatEventLog;
let subscriber: ChatEventSubscriber;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const isolated = await isolatedRedis();
  redis = isolated.redis;
  cleanup = isolated.close;
  log = new ChatEventLog({ redis, prefix: isolated.prefix });
  subscriber = new ChatEventSubscriber({ log, subscriberRedis: redis.duplicate(), logger });
});

afterAll(async () => {
  await subscriber.close();
  await cleanup();
});

function delta(chatId: string, text: string) {
  return log.publish({ type: 'codegen.delta', chatId, messageId: randomUUID(), data: { text } });
}

/** Waits until `events` holds `count` events or fails after a while. */
async function until(events: ChatEvent[], count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (events.length < count) {
    if (Date.now() > deadline) throw new Error(`expected ${count} events, got ${events.length}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('ChatEventLog', () => {
  it('numbers each chat’s events from 1 without gaps, independently of other chats', async () => {
    const chatA = randomUUID();
    const chatB = randomUUID();
    const published = await Promise.all([delta(chatA, 'a1'), delta(chatB, 'b1'), delta(chatA, 'a2'), delta(chatA, 'a3')]);
    expect(published.filter((event) => event.chatId === chatA).map((event) => event.id).sort()).toEqual([1, 2, 3]);
    expect(published.find((event) => event.chatId === chatB)?.id).toBe(1);
    expect(await log.lastId(chatA)).toBe(3);
    expect(await log.lastId(randomUUID())).toBe(0);
  });

  it('replays events after a given id, in order, with their content', async () => {
    const chatId = randomUUID();
    for (let i = 1; i <= 5; i++) await delta(chatId, `piece ${i}`);
    const replayed = await log.readAfter(chatId, 2);
    expect(replayed.map((event) => event.id)).toEqual([3, 4, 5]);
    expect(replayed.map((event) => (event.type === 'codegen.delta' ? event.data.text : ''))).toEqual(['piece 3', 'piece 4', 'piece 5']);
    expect(await log.readRange(chatId, 2, 3)).toHaveLength(2);
  });

  it('refuses to publish an event that does not match its schema', async () => {
    await expect(
      log.publish({ type: 'cell.started', chatId: 'not-a-uuid', messageId: null, data: { cellId: randomUUID() } }),
    ).rejects.toThrow();
  });
});

describe('ChatEventSubscriber', () => {
  it('replays the backlog, then follows live events, each exactly once and in order', async () => {
    const chatId = randomUUID();
    for (let i = 0; i < 20; i++) await delta(chatId, `before ${i}`);
    const received: ChatEvent[] = [];
    // Publish concurrently with the replay, so live events arrive while it runs.
    const publishing = (async () => {
      for (let i = 0; i < 200; i++) await delta(chatId, `during ${i}`);
    })();
    const feed = await subscriber.follow(chatId, 5, (event) => received.push(event));
    await publishing;
    await until(received, 215);
    expect(received.map((event) => event.id)).toEqual(Array.from({ length: 215 }, (_, i) => i + 6));
    expect(feed.lastDeliveredId).toBe(220);
    await feed.close();
  });

  it('gives every feed of one chat the full sequence', async () => {
    const chatId = randomUUID();
    const first: ChatEvent[] = [];
    const second: ChatEvent[] = [];
    const [feedA, feedB] = await Promise.all([
      subscriber.follow(chatId, 0, (event) => first.push(event)),
      subscriber.follow(chatId, 0, (event) => second.push(event)),
    ]);
    for (let i = 0; i < 30; i++) await delta(chatId, `x${i}`);
    await until(first, 30);
    await until(second, 30);
    expect(first.map((event) => event.id)).toEqual(second.map((event) => event.id));
    await Promise.all([feedA.close(), feedB.close()]);
  });

  it('fills a gap from the stream when a live message was missed', async () => {
    const chatId = randomUUID();
    const received: ChatEvent[] = [];
    const feed = await subscriber.follow(chatId, 0, (event) => received.push(event));
    await delta(chatId, 'one');
    await until(received, 1);

    // Event 2 goes into the stream without being published on the channel, as if the pub/sub
    // message had been lost; event 3 is published normally and must bring 2 along, before it.
    const seqKey = `${log.prefix}:events:{${chatId}}:seq`;
    const streamKey = `${log.prefix}:events:{${chatId}}`;
    const silentId = await redis.incr(seqKey);
    const silent = { id: silentId, chatId, messageId: null, type: 'codegen.delta', at: new Date().toISOString(), data: { text: 'two' } };
    await redis.xadd(streamKey, `${silentId}-0`, 'event', JSON.stringify(silent));
    await delta(chatId, 'three');

    await until(received, 3);
    expect(received.map((event) => (event.type === 'codegen.delta' ? event.data.text : ''))).toEqual(['one', 'two', 'three']);
    await feed.close();
  });

  it('stops delivering after close', async () => {
    const chatId = randomUUID();
    const received: ChatEvent[] = [];
    const feed = await subscriber.follow(chatId, 0, (event) => received.push(event));
    await feed.close();
    await delta(chatId, 'after close');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received).toEqual([]);
  });
});
