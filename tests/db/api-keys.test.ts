import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { authenticateApiKey, ensureDevApiKey, generateApiKey, hashApiKey, type PrismaClient } from '@assay/db';
import { newTenant, testPrisma } from '../support/database';

let prisma: PrismaClient;

beforeAll(() => {
  prisma = testPrisma();
});

afterAll(async () => {
  await prisma.$disconnect();
});

describe('API keys', () => {
  it('are random, prefixed, and stored only as a digest', async () => {
    const one = generateApiKey();
    const two = generateApiKey();
    expect(one.key).not.toBe(two.key);
    expect(one.key).toMatch(/^assay_[A-Za-z0-9_-]{43}$/);
    expect(one.hash).toBe(hashApiKey(one.key));

    const { scope, apiKey } = await newTenant(prisma);
    const stored = await prisma.apiKey.findMany({ where: { tenantId: scope.tenantId } });
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain(apiKey);
    expect(stored[0]?.hash).toBe(hashApiKey(apiKey));
  });

  it('authenticate to their tenant; unknown, malformed and revoked keys do not', async () => {
    const { scope, apiKey } = await newTenant(prisma);
    expect(await authenticateApiKey(prisma, apiKey)).toMatchObject({ tenantId: scope.tenantId });
    expect(await authenticateApiKey(prisma, generateApiKey().key)).toBeNull();
    expect(await authenticateApiKey(prisma, 'Bearer nonsense')).toBeNull();
    await prisma.apiKey.updateMany({ where: { tenantId: scope.tenantId }, data: { revokedAt: new Date() } });
    expect(await authenticateApiKey(prisma, apiKey)).toBeNull();
  });

  it('the development key is reused while valid and replaced when not', async () => {
    const first = await ensureDevApiKey(prisma);
    expect(await ensureDevApiKey(prisma, { existingKey: first.apiKey })).toEqual(first);
    const replaced = await ensureDevApiKey(prisma, { existingKey: generateApiKey().key });
    expect(replaced.apiKey).not.toBe(first.apiKey);
    expect(await authenticateApiKey(prisma, replaced.apiKey)).not.toBeNull();
  });
});
