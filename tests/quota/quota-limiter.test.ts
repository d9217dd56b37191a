import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { QuotaExceededError } from '@assay/errors';
import { QuotaLimiter, resolveTenantLimits } from '@assay/quota';
import type { Redis } from 'ioredis';
import { isolatedRedis } from '../support/redis';

/** The per-tenant counters on a real Redis: atomic under concurrency, refundable, per tenant. */

let redis: Redis;
let limiter: QuotaLimiter;
let close: () => Promise<void>;

beforeAll(async () => {
  const isolated = await isolatedRedis();
  redis = isolated.redis;
  close = isolated.close;
  limiter = new QuotaLimiter({ redis, prefix: isolated.prefix });
});

afterAll(async () => {
  await close?.();
});

function tenant(): string {
  return randomUUID();
}

describe('QuotaLimiter', () => {
  it('lets exactly the limit through among concurrent consumers, and refuses the rest with the window reset', async () => {
    const tenantId = tenant();
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => limiter.consume(tenantId, 'uploads', 5)));
    const granted = results.filter((result) => result.status === 'fulfilled');
    const refused = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
    expect(granted).toHaveLength(5);
    expect(refused).toHaveLength(7);
    for (const error of refused) {
      expect(error).toBeInstanceOf(QuotaExceededError);
      const quotaError = error as QuotaExceededError;
      expect(quotaError.status).toBe(429);
      expect(quotaError.quota).toMatchObject({ limit: 5, remaining: 0 });
      expect(quotaError.quota.retryAfterSeconds).toBeGreaterThan(0);
      expect(quotaError.quota.retryAfterSeconds).toBeLessThanOrEqual(3600);
      expect(quotaError.details).toMatchObject({ quota: 'uploads' });
      expect(quotaError.message).toContain('ASSAY_QUOTA_UPLOADS_PER_HOUR');
    }
    // Refused attempts were not counted.
    expect(await limiter.usage(tenantId, 'uploads', 5)).toMatchObject({ used: 5, remaining: 0 });
  });

  it('counts each tenant and each quota apart', async () => {
    const first = tenant();
    const second = tenant();
    await limiter.consume(first, 'executions', 1);
    await expect(limiter.consume(first, 'executions', 1)).rejects.toBeInstanceOf(QuotaExceededError);
    await expect(limiter.consume(second, 'executions', 1)).resolves.toMatchObject({ used: 1, remaining: 0 });
    await expect(limiter.consume(first, 'uploads', 1)).resolves.toMatchObject({ used: 1 });
  });

  it('gives back a refunded unit, and applies a raised limit to the same window at once', async () => {
    const tenantId = tenant();
    const grant = await limiter.consume(tenantId, 'executions', 2);
    await limiter.consume(tenantId, 'executions', 2);
    await expect(limiter.consume(tenantId, 'executions', 2)).rejects.toBeInstanceOf(QuotaExceededError);
    await limiter.refund(grant);
    await expect(limiter.consume(tenantId, 'executions', 2)).resolves.toMatchObject({ used: 2, remaining: 0 });
    await expect(limiter.consume(tenantId, 'executions', 3)).resolves.toMatchObject({ used: 3, limit: 3, remaining: 0 });
  });

  it('refuses everything with a limit of 0', async () => {
    await expect(limiter.consume(tenant(), 'uploads', 0)).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED', quota: { limit: 0, remaining: 0 } });
  });

  it('records tokens after the fact and refuses once the day\'s tokens are used up', async () => {
    const tenantId = tenant();
    await expect(limiter.assertAvailable(tenantId, 'tokens', 1000)).resolves.toMatchObject({ used: 0, remaining: 1000 });
    await limiter.recordTokens(tenantId, 600);
    await expect(limiter.assertAvailable(tenantId, 'tokens', 1000)).resolves.toMatchObject({ used: 600, remaining: 400 });
    await limiter.recordTokens(tenantId, 600);
    const usage = await limiter.usage(tenantId, 'tokens', 1000);
    expect(usage).toMatchObject({ used: 1200, remaining: 0 });
    expect(usage.resetSeconds).toBeGreaterThan(3600);
    expect(usage.resetSeconds).toBeLessThanOrEqual(24 * 3600);
    await expect(limiter.assertAvailable(tenantId, 'tokens', 1000)).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED', details: { quota: 'tokens' } });
  });
});

describe('resolveTenantLimits', () => {
  const defaults = { uploadsPerHour: 10, executionsPerHour: 20, sessions: 3, tokensPerDay: 1000 };

  it('applies a tenant\'s overrides over the defaults', () => {
    expect(resolveTenantLimits(defaults, null)).toEqual(defaults);
    expect(resolveTenantLimits(defaults, { uploadsPerHour: 1, sessions: 7 })).toEqual({ ...defaults, uploadsPerHour: 1, sessions: 7 });
  });

  it('ignores an invalid override object as a whole and says why', () => {
    const problems: string[] = [];
    expect(resolveTenantLimits(defaults, { uploadsPerHour: -1, sessions: 7 }, (problem) => problems.push(problem))).toEqual(defaults);
    expect(resolveTenantLimits(defaults, { uploadsPerDay: 5 }, (problem) => problems.push(problem))).toEqual(defaults);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain('uploadsPerHour');
  });
});
