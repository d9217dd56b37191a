import { UsageResource } from '@assay/contracts';
import { Router } from 'express';
import { tenantOf } from '../auth';
import { sendValid } from '../validate';

/** `/v1/usage`: what the tenant stores and has run, counted from the database. */
export function usageRoutes(): Router {
  const router = Router();

  router.get('/', async (_req, res) => {
    sendValid(res, UsageResource, await tenantOf(res).usage.get());
  });

  return router;
}
