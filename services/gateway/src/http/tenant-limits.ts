import type { PrismaClient } from '@assay/db';
import type { Logger } from '@assay/logger';
import { resolveTenantLimits, type TenantLimits } from '@assay/quota';

/** Options of {@link TenantLimitsSource}. */
export interface TenantLimitsSourceOptions {
  prisma: PrismaClient;
  /** The deployment's limits (ASSAY_QUOTA_*, ASSAY_MAX_SESSIONS_PER_TENANT). */
  defaults: TenantLimits;
  logger: Logger;
}

/**
 * The limits in force for a tenant: the deployment's defaults, overridden by the tenant row's
 * `limits` JSON. Read on each guarded request (one primary-key lookup), so an operator's change
 * applies at once on every replica.
 */
export class TenantLimitsSource {
  constructor(private readonly options: TenantLimitsSourceOptions) {}

  async limitsOf(tenantId: string): Promise<TenantLimits> {
    const tenant = await this.options.prisma.tenant.findUnique({ where: { id: tenantId }, select: { limits: true } });
    return resolveTenantLimits(this.options.defaults, tenant?.limits, (problem) =>
      this.options.logger.warn({ tenantId, problem }, 'ignoring the tenant\'s limits column: it is not a valid override object'),
    );
  }
}
