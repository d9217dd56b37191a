import type { ApiKeyResource, CreatedApiKeyResource, TenantResource } from '@assay/contracts';
import { NotFoundError } from '@assay/errors';
import { Prisma, type ApiKey, type PrismaClient, type Tenant } from './generated/prisma/client.js';
import { generateApiKey } from './api-keys';
import { assertResourceId } from './repositories/ids';

/** What may be set on a tenant; null puts a field back to the deployment's default. */
export interface TenantSettings {
  name?: string | undefined;
  storageQuotaBytes?: number | null | undefined;
  limits?: Record<string, number> | null | undefined;
}

/** A revoked key, with the digest that caches keyed by digest must forget. */
export interface RevokedApiKey {
  key: ApiKeyResource;
  hash: string;
}

/**
 * Operator actions on tenants and their API keys, shared by the admin API and `assay admin`.
 * Unlike {@link TenantScope} this crosses tenants on purpose: only administrative entry points use it.
 */
export class TenantAdmin {
  constructor(private readonly prisma: PrismaClient) {}

  async createTenant(settings: TenantSettings & { name: string }): Promise<TenantResource> {
    const tenant = await this.prisma.tenant.create({ data: { name: settings.name, ...settingsData(settings) } });
    return toTenantResource(tenant);
  }

  /** @throws NotFoundError when the tenant does not exist */
  async updateTenant(id: string, settings: TenantSettings): Promise<TenantResource> {
    await this.getTenant(id);
    const data = { ...(settings.name === undefined ? {} : { name: settings.name }), ...settingsData(settings) };
    return toTenantResource(await this.prisma.tenant.update({ where: { id }, data }));
  }

  /** @throws NotFoundError when the tenant does not exist */
  async getTenant(id: string): Promise<TenantResource> {
    assertResourceId('Tenant', id);
    const tenant = await this.prisma.tenant.findUnique({ where: { id } });
    if (!tenant) throw new NotFoundError('Tenant', id);
    return toTenantResource(tenant);
  }

  /** Every tenant, oldest first. */
  async listTenants(): Promise<TenantResource[]> {
    return (await this.prisma.tenant.findMany({ orderBy: { id: 'asc' } })).map(toTenantResource);
  }

  /**
   * Makes a key for the tenant; the answer is the only place the key appears (only its digest is stored).
   * @throws NotFoundError when the tenant does not exist
   */
  async createApiKey(tenantId: string, name: string): Promise<CreatedApiKeyResource> {
    await this.getTenant(tenantId);
    const generated = generateApiKey();
    const row = await this.prisma.apiKey.create({ data: { tenantId, name, prefix: generated.prefix, hash: generated.hash } });
    return { ...toApiKeyResource(row), key: generated.key };
  }

  /** @throws NotFoundError when the tenant does not exist */
  async listApiKeys(tenantId: string): Promise<ApiKeyResource[]> {
    await this.getTenant(tenantId);
    return (await this.prisma.apiKey.findMany({ where: { tenantId }, orderBy: { id: 'asc' } })).map(toApiKeyResource);
  }

  /**
   * Revokes a key (idempotent: revoking a revoked key keeps its first revocation time).
   * @throws NotFoundError when the key does not exist
   */
  async revokeApiKey(keyId: string): Promise<RevokedApiKey> {
    assertResourceId('ApiKey', keyId);
    await this.prisma.apiKey.updateMany({ where: { id: keyId, revokedAt: null }, data: { revokedAt: new Date() } });
    const row = await this.prisma.apiKey.findUnique({ where: { id: keyId } });
    if (!row) throw new NotFoundError('ApiKey', keyId);
    return { key: toApiKeyResource(row), hash: row.hash };
  }
}

function settingsData(settings: TenantSettings): { storageQuotaBytes?: bigint | null; limits?: Prisma.InputJsonValue | typeof Prisma.DbNull } {
  return {
    ...(settings.storageQuotaBytes === undefined
      ? {}
      : { storageQuotaBytes: settings.storageQuotaBytes === null ? null : BigInt(settings.storageQuotaBytes) }),
    ...(settings.limits === undefined ? {} : { limits: settings.limits === null ? Prisma.DbNull : settings.limits }),
  };
}

function toTenantResource(tenant: Tenant): TenantResource {
  const limits = tenant.limits;
  return {
    id: tenant.id,
    name: tenant.name,
    storageQuotaBytes: tenant.storageQuotaBytes === null ? null : Number(tenant.storageQuotaBytes),
    limits: isNumberRecord(limits) ? limits : null,
    createdAt: tenant.createdAt.toISOString(),
  };
}

function toApiKeyResource(row: ApiKey): ApiKeyResource {
  return {
    id: row.id,
    tenantId: row.tenantId,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

function isNumberRecord(value: unknown): value is Record<string, number> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'number');
}
