import { QuotaExceededError } from '@assay/errors';
import type { Logger } from '@assay/logger';
import type { QuotaGrant, QuotaLimiter, QuotaUsage, RateQuota, TenantLimits } from '@assay/quota';
import type { Request, RequestHandler, Response } from 'express';
import { tenantOf } from './auth';
import type { TenantLimitsSource } from './tenant-limits';

/** Options of {@link QuotaGuard}. */
export interface QuotaGuardOptions {
  limiter: QuotaLimiter;
  limits: TenantLimitsSource;
  logger: Logger;
}

/** The rate quotas a route may be guarded by, and which tenant limit each one reads. */
const LIMIT_OF = {
  uploads: 'uploadsPerHour',
  executions: 'executionsPerHour',
  tokens: 'tokensPerDay',
} as const satisfies Record<RateQuota, string>;

/**
 * Express middleware in front of routes that create work, counting the tenant's rate quotas
 * before the route runs (so a refused request creates nothing):
 *
 * - `consume(quota)` counts one unit, atomically across replicas; if the route then answers an
 *   error, the unit is given back, so only accepted work counts.
 * - `requireAvailable(quota)` only checks that some is left, for quotas counted after the work
 *   (model tokens, recorded by the codegen worker).
 *
 * Each answer carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`
 * (seconds until the window starts again); a refusal is `429 QUOTA_EXCEEDED` with `Retry-After`.
 */
export class QuotaGuard {
  constructor(private readonly options: QuotaGuardOptions) {}

  /** The tenant's current use of each rate quota, against its limits (for `GET /v1/usage`). */
  async usageOf(tenantId: string): Promise<Record<RateQuota, QuotaUsage>> {
    const limits = await this.options.limits.limitsOf(tenantId);
    const quotas = Object.keys(LIMIT_OF) as RateQuota[];
    const usages = await Promise.all(quotas.map((quota) => this.options.limiter.usage(tenantId, quota, limits[LIMIT_OF[quota]])));
    return { uploads: usageAt(usages, 0), executions: usageAt(usages, 1), tokens: usageAt(usages, 2) };
  }

  /**
   * @param pointsOf units the request uses (e.g. a batch's items; the JSON body is parsed by
   *   then); at least 1
   */
  consume(quota: RateQuota, pointsOf?: (req: Request) => number): RequestHandler {
    return async (req, res, next) => {
      const tenantId = tenantOf(res).tenantId;
      const limits = await this.limitsFor(res, tenantId);
      const points = Math.max(1, Math.floor(pointsOf?.(req) ?? 1));
      let grant: QuotaGrant;
      try {
        grant = await this.options.limiter.consume(tenantId, quota, limits[LIMIT_OF[quota]], points);
      } catch (error) {
        if (error instanceof QuotaExceededError) {
          setRateLimitHeaders(res, { limit: error.quota.limit, remaining: error.quota.remaining, resetSeconds: error.quota.retryAfterSeconds ?? 0 });
          if (quota === 'uploads') {
            // The client may still be sending the file: answer now and close, rather than read a body we refused.
            res.setHeader('Connection', 'close');
            req.resume();
          }
        }
        throw error;
      }
      setRateLimitHeaders(res, grant);
      res.once('finish', () => {
        if (res.statusCode < 400) return;
        this.options.limiter.refund(grant).catch((error: unknown) => {
          this.options.logger.warn({ err: error, tenantId, quota }, 'could not give back a quota unit');
        });
      });
      next();
    };
  }

  private limitsFor(res: Response, tenantId: string): Promise<TenantLimits> {
    const cached: unknown = res.locals[LIMITS_LOCAL];
    if (cached instanceof Promise) return cached as Promise<TenantLimits>;
    const limits = this.options.limits.limitsOf(tenantId);
    res.locals[LIMITS_LOCAL] = limits;
    return limits;
  }

  requireAvailable(quota: RateQuota): RequestHandler {
    return async (_req, res, next) => {
      const tenantId = tenantOf(res).tenantId;
      const limits = await this.limitsFor(res, tenantId);
      try {
        await this.options.limiter.assertAvailable(tenantId, quota, limits[LIMIT_OF[quota]]);
      } catch (error) {
        if (error instanceof QuotaExceededError) {
          setRateLimitHeaders(res, { limit: error.quota.limit, remaining: error.quota.remaining, resetSeconds: error.quota.retryAfterSeconds ?? 0 });
        }
        throw error;
      }
      next();
    };
  }
}

/** Where a request keeps its tenant's limits once read, so two guards on one route read them once. */
const LIMITS_LOCAL = 'tenantLimits';

function setRateLimitHeaders(res: Response, usage: Pick<QuotaUsage, 'limit' | 'remaining' | 'resetSeconds'>): void {
  res.setHeader('X-RateLimit-Limit', String(usage.limit));
  res.setHeader('X-RateLimit-Remaining', String(usage.remaining));
  res.setHeader('X-RateLimit-Reset', String(usage.resetSeconds));
}

function usageAt(usages: readonly QuotaUsage[], index: number): QuotaUsage {
  const usage = usages[index];
  if (!usage) throw new Error(`No usage read for quota ${index}.`);
  return usage;
}
