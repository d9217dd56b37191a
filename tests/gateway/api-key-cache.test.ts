import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTenantWithApiKey, hashApiKey, type PrismaClient } from '@assay/db';
import { createLogger } from '@assay/logger';
import { ApiKeyCache } from '../../services/gateway/src/http/api-key-cache';
import { testPrisma } from '../support/database';
import { isolatedRedis } from '../support/redis';

/**
 * The gateway's API key cache: a valid key is resolved from PostgreSQL once per TTL; a revocation
 * announced on Redis drops it at once; with no announcement the key lapses when its TTL ends.
 */

let prisma: PrismaClient;
const logger = createLogger({ name: 'test', level: 'warn' });

beforeAll(() => {
  prisma = testPrisma();
});

afterAll(async () => {
  await prisma?.$disconnect();
});

async function revokeInDatabaseOnly(apiKey: string): Promise<void> {
  await prisma.apiKey.update({ where: { hash: hashApiKey(apiKey) }, data: { revokedAt: new Date() } });
}

describe('ApiKeyCache', () => {
  it('trusts a cached key until a revocation is announced, then asks PostgreSQL again', async () => {
    const { redis, prefix, close } = await isolatedRedis();
    const subscriber = redis.duplicate();
    try {
      const cache = new ApiKeyCache({ prisma, logger, ttlMs: 600_000 });
      await cache.listen(subscriber, prefix);
      const { tenantId, apiKey } = await createTenantWithApiKey(prisma, { tenantName: 'cache' });
      expect(await cache.authenticate(apiKey)).toMatchObject({ tenantId });

      await revokeInDatabaseOnly(apiKey);
      // Not announced: the cache still answers (this is the round trip it saves).
      expect(await cache.authenticate(apiKey)).toMatchObject({ tenantId });

      await ApiKeyCache.announceRevocation(redis, prefix, hashApiKey(apiKey));
      let principal = await cache.authenticate(apiKey);
      for (let attempt = 0; attempt < 50 && principal !== null; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        principal = await cache.authenticate(apiKey);
      }
      expect(principal).toBeNull();
    } finally {
      await subscriber.quit();
      await close();
    }
  });

  it('lets a key lapse after its TTL when no announcement arrives', async () => {
    const cache = new ApiKeyCache({ prisma, logger, ttlMs: 50 });
    const { apiKey } = await createTenantWithApiKey(prisma, { tenantName: 'cache ttl' });
    expect(await cache.authenticate(apiKey)).not.toBeNull();
    await revokeInDatabaseOnly(apiKey);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await cache.authenticate(apiKey)).toBeNull();
  });

  it('never caches unknown keys, and keeps at most maxEntries keys', async () => {
    const cache = new ApiKeyCache({ prisma, logger, ttlMs: 600_000, maxEntries: 2 });
    expect(await cache.authenticate('assay_unknown')).toBeNull();
    const keys = await Promise.all([1, 2, 3].map((i) => createTenantWithApiKey(prisma, { tenantName: `cache ${i}` })));
    for (const { apiKey } of keys) expect(await cache.authenticate(apiKey)).not.toBeNull();
    // The first key was evicted: revoked without announcement, it is refused at once.
    const [first, , third] = keys;
    await revokeInDatabaseOnly(first?.apiKey ?? '');
    await revokeInDatabaseOnly(third?.apiKey ?? '');
    expect(await cache.authenticate(first?.apiKey ?? '')).toBeNull();
    expect(await cache.authenticate(third?.apiKey ?? '')).not.toBeNull();
  });
});
