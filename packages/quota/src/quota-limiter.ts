import { QuotaExceededError } from '@assay/errors';
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { QUOTA_DESCRIPTIONS, QUOTA_WINDOW_SECONDS, type RateQuota } from './quota-window';

/** Options of {@link QuotaLimiter}. */
export interface QuotaLimiterOptions {
  /** The Redis every service shares (counters must be seen by every gateway replica). */
  redis: Redis;
  /** Prefix of every key (ASSAY_KEY_PREFIX); counters live under `<prefix>:quota:<quota>:<tenantId>`. */
  prefix: string;
}

/** Where a tenant stands in one quota's current window. */
export interface QuotaUsage {
  quota: RateQuota;
  /** The tenant's limit for the window. */
  limit: number;
  /** Used so far in the current window. */
  used: number;
  /** What is left, never negative. */
  remaining: number;
  /** Seconds until the window ends and the count starts again from zero (0: no window open). */
  resetSeconds: number;
}

/** A consumed unit of a quota, handed back with {@link QuotaLimiter.refund} if the work is not done after all. */
export interface QuotaGrant extends QuotaUsage {
  tenantId: string;
  points: number;
}

/**
 * Per-tenant counters in fixed windows (uploads and executions per hour, model tokens per day),
 * kept in Redis with rate-limiter-flexible, whose counting is one Lua script (increment and
 * expiry together), so concurrent requests on any number of gateway replicas never let a tenant
 * past its limit. A window starts at its first use and lasts the quota's length.
 *
 * Limits are passed on each call, not fixed here: each tenant may have its own.
 */
export class QuotaLimiter {
  /** One limiter per (quota, limit): the library keeps the limit in the instance, the count in Redis is shared. */
  private readonly limiters = new Map<string, RateLimiterRedis>();

  constructor(private readonly options: QuotaLimiterOptions) {}

  /**
   * Counts `points` of a quota for a tenant, before the work is done.
   *
   * @throws QuotaExceededError (429, with the window's reset as Retry-After) when they do not fit;
   *   nothing is counted then.
   */
  async consume(tenantId: string, quota: RateQuota, limit: number, points = 1): Promise<QuotaGrant> {
    // A limit of 0 shuts the quota off entirely (the library needs at least one point).
    if (limit === 0) throw exceeded(await this.usage(tenantId, quota, limit));
    const limiter = this.limiter(quota, limit);
    try {
      const res = await limiter.consume(tenantId, points);
      return { tenantId, points, ...usageFrom(quota, limit, res) };
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      // The script counted the refused points too; take them back so a raised limit applies at once.
      const restored = await limiter.reward(tenantId, points);
      throw exceeded(usageFrom(quota, limit, restored));
    }
  }

  /** Gives back what {@link consume} counted, for work that was refused or failed after all. */
  async refund(grant: QuotaGrant): Promise<void> {
    await this.limiter(grant.quota, grant.limit).reward(grant.tenantId, grant.points);
  }

  /**
   * Passes when the tenant has some of a quota left, without counting anything: for quotas
   * measured after the work (tokens are known once the model has answered).
   *
   * @throws QuotaExceededError when nothing is left in the current window
   */
  async assertAvailable(tenantId: string, quota: RateQuota, limit: number): Promise<QuotaUsage> {
    const current = await this.usage(tenantId, quota, limit);
    if (current.remaining <= 0) throw exceeded(current);
    return current;
  }

  /** Adds what was used, whatever the limit (the work is done): e.g. the tokens of a generation. */
  async record(tenantId: string, quota: RateQuota, amount: number): Promise<void> {
    if (amount <= 0) return;
    // The limit does not matter to a penalty: it only adds to the shared counter.
    await this.limiter(quota, 1).penalty(tenantId, Math.round(amount));
  }

  /** Adds the model tokens (input + output) of one generation to the tenant's daily count. */
  recordTokens(tenantId: string, tokens: number): Promise<void> {
    return this.record(tenantId, 'tokens', tokens);
  }

  /** Where a tenant stands in a quota now. */
  async usage(tenantId: string, quota: RateQuota, limit: number): Promise<QuotaUsage> {
    const res = await this.limiter(quota, Math.max(limit, 1)).get(tenantId);
    if (res === null) return { quota, limit, used: 0, remaining: limit, resetSeconds: 0 };
    return usageFrom(quota, limit, res);
  }

  private limiter(quota: RateQuota, limit: number): RateLimiterRedis {
    const points = Math.max(limit, 1);
    const id = `${quota}:${points}`;
    let limiter = this.limiters.get(id);
    if (limiter === undefined) {
      limiter = new RateLimiterRedis({
        storeClient: this.options.redis,
        keyPrefix: `${this.options.prefix}:quota:${quota}`,
        points,
        duration: QUOTA_WINDOW_SECONDS[quota],
      });
      this.limiters.set(id, limiter);
    }
    return limiter;
  }
}

function usageFrom(quota: RateQuota, limit: number, res: RateLimiterRes): QuotaUsage {
  const used = Math.max(0, res.consumedPoints);
  return {
    quota,
    limit,
    used,
    remaining: Math.max(0, limit - used),
    resetSeconds: Math.max(0, Math.ceil(res.msBeforeNext / 1000)),
  };
}

function exceeded(usage: QuotaUsage): QuotaExceededError {
  const described = QUOTA_DESCRIPTIONS[usage.quota];
  // At least a second: a window about to end still needs the client to wait for it.
  const retryAfterSeconds = Math.max(1, usage.resetSeconds || QUOTA_WINDOW_SECONDS[usage.quota]);
  return new QuotaExceededError(
    `Your tenant has used its ${usage.limit} ${described.unit} for this ${described.window}; the count starts again in ${formatDuration(retryAfterSeconds)}. ` +
      `Try again then, or ask the operator to raise ${described.env} (or the tenant's limits.${described.override}).`,
    { limit: usage.limit, remaining: usage.remaining, retryAfterSeconds },
    { details: { quota: usage.quota, resetSeconds: retryAfterSeconds } },
  );
}

function formatDuration(seconds: number): string {
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}
