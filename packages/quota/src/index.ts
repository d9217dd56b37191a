export { QuotaLimiter } from './quota-limiter';
export type { QuotaGrant, QuotaLimiterOptions, QuotaUsage } from './quota-limiter';
export { QUOTA_WINDOW_SECONDS } from './quota-window';
export type { RateQuota } from './quota-window';
export { TenantLimitOverrides, TenantLimits, resolveTenantLimits } from './tenant-limits';
