import { createPrismaClient, createTenantWithApiKey, TenantScope, type PrismaClient } from '@assay/db';
import { testEnvironment } from './test-environment';

/** A Prisma client on the test run's database (migrated by the global setup). */
export function testPrisma(): PrismaClient {
  return createPrismaClient(testEnvironment().databaseUrl, { maxConnections: 4 });
}

/** A fresh tenant and its scope; tenants isolate tests that share the database. */
export async function newTenant(prisma: PrismaClient, name = 'test tenant'): Promise<{ scope: TenantScope; apiKey: string }> {
  const { tenantId, apiKey } = await createTenantWithApiKey(prisma, { tenantName: name });
  return { scope: new TenantScope(prisma, tenantId), apiKey };
}
