import { QuotaExceededError } from '@assay/errors';
import type { SessionRegistry } from '@assay/events';

/** Options of {@link SessionLimit}. */
export interface SessionLimitOptions {
  registry: SessionRegistry;
  /** Live kernels one tenant may have at once. */
  maxSessionsPerTenant: number;
  /** A tenant's own limit (its `limits.sessions`), when tenants may have one; else `maxSessionsPerTenant` for all. */
  maxSessionsFor?: (tenantId: string) => Promise<number>;
  /** Idle TTL of kernels: how long a session counts after its last use. */
  idleTtlMs: number;
}

/**
 * The per-tenant limit on live analysis sessions (one kernel per chat), checked before work that
 * would start a kernel is queued. A chat that already has a kernel always passes. The check reads
 * what executors announce, so concurrent requests may overshoot it by a few: it keeps one tenant
 * from taking every kernel, it is not an exact count.
 */
export class SessionLimit {
  constructor(private readonly options: SessionLimitOptions) {}

  /** @throws QuotaExceededError (429, Retry-After) when the chat would be one session too many */
  async assertRoomFor(tenantId: string, chatId: string): Promise<void> {
    const live = await this.options.registry.live(tenantId);
    if (live.has(chatId)) return;
    const limit = this.options.maxSessionsFor === undefined ? this.options.maxSessionsPerTenant : await this.options.maxSessionsFor(tenantId);
    if (live.size < limit) return;
    const oldest = Math.min(...[...live.values()].map((entry) => entry.lastUsedAt));
    const retryAfterSeconds = Math.max(1, Math.ceil((oldest + this.options.idleTtlMs - Date.now()) / 1000));
    throw new QuotaExceededError(
      `Your tenant already has ${live.size} chats with a live kernel (the limit is ${limit}). A kernel is freed ${Math.round(this.options.idleTtlMs / 60_000)} min after its chat was last used; continue one of those chats, try again later, or ask the operator to raise ASSAY_MAX_SESSIONS_PER_TENANT (or the tenant's limits.sessions).`,
      { limit, remaining: 0, retryAfterSeconds },
      { details: { quota: 'sessions' } },
    );
  }
}
