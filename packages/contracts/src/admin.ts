import { z } from 'zod';
import { ResourceId, Timestamp } from './ids';

/**
 * Per-tenant limit overrides as the admin API carries them (names and meaning are
 * @assay/quota's TenantLimitOverrides, which the gateway checks them against).
 */
export const TenantLimitsBody = z.record(z.string(), z.number().int().nonnegative());
export type TenantLimitsBody = z.infer<typeof TenantLimitsBody>;

/** A tenant as the admin API returns it. */
export const TenantResource = z.object({
  id: ResourceId,
  name: z.string(),
  /** Bytes the tenant may store; null: the deployment's default. */
  storageQuotaBytes: z.number().int().nonnegative().nullable(),
  limits: TenantLimitsBody.nullable(),
  createdAt: Timestamp,
});
export type TenantResource = z.infer<typeof TenantResource>;

/** Body of `POST /admin/v1/tenants`. */
export const CreateTenantBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    storageQuotaBytes: z.number().int().nonnegative().nullable().optional(),
    limits: TenantLimitsBody.nullable().optional(),
  })
  .strict();
export type CreateTenantBody = z.infer<typeof CreateTenantBody>;

/** Body of `PATCH /admin/v1/tenants/:tenantId`: only the fields given change (null: back to the default). */
export const UpdateTenantBody = CreateTenantBody.partial().strict();
export type UpdateTenantBody = z.infer<typeof UpdateTenantBody>;

/** An API key as listings show it: never the key itself. */
export const ApiKeyResource = z.object({
  id: ResourceId,
  tenantId: ResourceId,
  name: z.string(),
  /** First characters of the key, to tell keys apart. */
  prefix: z.string(),
  createdAt: Timestamp,
  lastUsedAt: Timestamp.nullable(),
  revokedAt: Timestamp.nullable(),
});
export type ApiKeyResource = z.infer<typeof ApiKeyResource>;

/** The answer to creating a key: the only time the key itself is shown. */
export const CreatedApiKeyResource = ApiKeyResource.extend({ key: z.string() });
export type CreatedApiKeyResource = z.infer<typeof CreatedApiKeyResource>;

/** Body of `POST /admin/v1/tenants/:tenantId/keys`. */
export const CreateApiKeyBody = z
  .object({
    name: z.string().trim().min(1).max(200).default('default'),
  })
  .strict();
export type CreateApiKeyBody = z.infer<typeof CreateApiKeyBody>;
