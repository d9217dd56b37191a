import { z } from 'zod';

/**
 * What a tenant's `limits` column may hold: its own value for some quotas; a quota it does not
 * name keeps the deployment's default. Stored bytes have their own column (`storageQuotaBytes`).
 */
export const TenantLimitOverrides = z
  .object({
    /** Uploads accepted per hour. */
    uploadsPerHour: z.number().int().nonnegative(),
    /** Messages posted plus cell runs (single cells and run-all) per hour. */
    executionsPerHour: z.number().int().nonnegative(),
    /** Chats with a live kernel at once. */
    sessions: z.number().int().positive(),
    /** Model tokens (input + output) per day. */
    tokensPerDay: z.number().int().nonnegative(),
  })
  .partial()
  .strict();
export type TenantLimitOverrides = z.infer<typeof TenantLimitOverrides>;

/** The limits in force for one tenant. */
export const TenantLimits = TenantLimitOverrides.required();
export type TenantLimits = z.infer<typeof TenantLimits>;

/**
 * A tenant's limits: its overrides on top of the deployment's defaults. A `limits` value that is
 * not a valid override object (hand-edited JSON) is ignored as a whole rather than half-applied,
 * and reported through `onInvalid` so an operator can fix it.
 */
export function resolveTenantLimits(
  defaults: TenantLimits,
  stored: unknown,
  onInvalid?: (message: string) => void,
): TenantLimits {
  if (stored === null || stored === undefined) return defaults;
  const parsed = TenantLimitOverrides.safeParse(stored);
  if (!parsed.success) {
    onInvalid?.(z.prettifyError(parsed.error));
    return defaults;
  }
  return { ...defaults, ...parsed.data };
}
