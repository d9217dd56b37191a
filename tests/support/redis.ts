import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { testEnvironment } from './test-environment';

/** A Redis connection and a key prefix no other test uses; `close()` deletes the test's keys. */
export async function isolatedRedis(): Promise<{ redis: Redis; prefix: string; close: () => Promise<void> }> {
  const { redisUrl, keyPrefix } = testEnvironment();
  const redis = new Redis(redisUrl);
  const prefix = `${keyPrefix}-${randomUUID().slice(0, 8)}`;
  return {
    redis,
    prefix,
    close: async () => {
      const stream = redis.scanStream({ match: `${prefix}:*`, count: 500 });
      for await (const keys of stream as AsyncIterable<string[]>) if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    },
  };
}
