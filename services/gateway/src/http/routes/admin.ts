import { createHash, timingSafeEqual } from 'node:crypto';
import { CreateApiKeyBody, CreateTenantBody, UpdateTenantBody, type TenantLimitsBody } from '@assay/contracts';
import { TenantAdmin, type PrismaClient } from '@assay/db';
import { UnauthorizedError, ValidationError } from '@assay/errors';
import type { Logger } from '@assay/logger';
import { TenantLimitOverrides } from '@assay/quota';
import { Router, type RequestHandler } from 'express';
import type { Redis } from 'ioredis';
import { ApiKeyCache } from '../api-key-cache';
import { parseBody } from '../validate';

export interface AdminRoutesOptions {
  prisma: PrismaClient;
  /** Where revocations are announced to every gateway replica. */
  redis: Redis;
  keyPrefix: string;
  /** The operator's token (`ASSAY_ADMIN_TOKEN`), sent as `Authorization: Bearer <token>`. */
  token: string;
  logger: Logger;
}

/**
 * `/admin/v1`: the operator's API for tenants and their API keys (the same actions as
 * `assay admin`). A new key is returned once, in the answer that creates it.
 */
export function adminRoutes(options: AdminRoutesOptions): Router {
  const router = Router();
  const admin = new TenantAdmin(options.prisma);
  router.use(requireAdminToken(options.token));

  router.post('/tenants', async (req, res) => {
    const body = parseBody(CreateTenantBody, req.body);
    const tenant = await admin.createTenant({ ...body, limits: checkedLimits(body.limits) });
    options.logger.info({ tenantId: tenant.id }, 'tenant created');
    res.status(201).json(tenant);
  });

  router.get('/tenants', async (_req, res) => {
    res.json({ data: await admin.listTenants() });
  });

  router.get('/tenants/:tenantId', async (req, res) => {
    res.json(await admin.getTenant(req.params.tenantId));
  });

  router.patch('/tenants/:tenantId', async (req, res) => {
    const body = parseBody(UpdateTenantBody, req.body);
    const tenant = await admin.updateTenant(req.params.tenantId, { ...body, limits: checkedLimits(body.limits) });
    options.logger.info({ tenantId: tenant.id }, 'tenant updated');
    res.json(tenant);
  });

  router.post('/tenants/:tenantId/keys', async (req, res) => {
    const body = parseBody(CreateApiKeyBody, req.body);
    const created = await admin.createApiKey(req.params.tenantId, body.name);
    options.logger.info({ tenantId: created.tenantId, apiKeyId: created.id }, 'API key created');
    res.status(201).json(created);
  });

  router.get('/tenants/:tenantId/keys', async (req, res) => {
    res.json({ data: await admin.listApiKeys(req.params.tenantId) });
  });

  router.post('/keys/:keyId/revoke', async (req, res) => {
    const revoked = await admin.revokeApiKey(req.params.keyId);
    await ApiKeyCache.announceRevocation(options.redis, options.keyPrefix, revoked.hash);
    options.logger.info({ tenantId: revoked.key.tenantId, apiKeyId: revoked.key.id }, 'API key revoked');
    res.json(revoked.key);
  });

  return router;
}

/** Limit overrides must name limits that exist (see @assay/quota), so a typo is refused, not ignored. */
function checkedLimits(limits: TenantLimitsBody | null | undefined): TenantLimitsBody | null | undefined {
  if (limits === null || limits === undefined) return limits;
  const parsed = TenantLimitOverrides.safeParse(limits);
  if (!parsed.success) {
    throw new ValidationError(
      `Invalid limits: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'limits'}: ${issue.message}`).join('; ')}. Known limits: ${Object.keys(TenantLimitOverrides.shape).join(', ')}.`,
    );
  }
  return limits;
}

/** Compares digests in constant time, so the answer's timing says nothing about the token. */
function requireAdminToken(token: string): RequestHandler {
  const expected = createHash('sha256').update(token).digest();
  return (req, _res, next) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    const presented = createHash('sha256').update(match?.[1] ?? '').digest();
    if (!match || !timingSafeEqual(presented, expected)) {
      throw new UnauthorizedError('The admin API needs the operator token: send "Authorization: Bearer <ASSAY_ADMIN_TOKEN>".');
    }
    next();
  };
}
