import { UsageResource } from '@assay/contracts';
import { Router } from 'express';
import { tenantOf } from '../auth';
import type { QuotaGuard } from '../quota-guard';
import { sendValid } from '../validate';

export interface UsageRoutesOptions {
  /** Where the rate quotas' windows are read (Redis). */
  quota: QuotaGuard;
}

/** `/v1/usage`: what the tenant stores and has run (database), and its rate quotas' current windows (Redis). */
export function usageRoutes(options: UsageRoutesOptions): Router {
  const router = Router();

  router.get('/', async (_req, res) => {
    const tenant = tenantOf(res);
    const [stored, quotas] = await Promise.all([tenant.usage.get(), options.quota.usageOf(tenant.tenantId)]);
    const window = ({ limit, used, remaining, resetSeconds }: { limit: number; used: number; remaining: number; resetSeconds: number }) => ({ limit, used, remaining, resetSeconds });
    sendValid(res, UsageResource, {
      ...stored,
      quotas: { uploads: window(quotas.uploads), executions: window(quotas.executions), tokens: window(quotas.tokens) },
    });
  });

  return router;
}
