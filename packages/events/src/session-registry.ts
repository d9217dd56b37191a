import type { Redis } from 'ioredis';
import { z } from 'zod';

/** Where a chat's kernel lives, as the executor holding it last reported. */
export const SessionEntry = z.object({
  /** The executor replica that holds the kernel. */
  executorId: z.string().min(1),
  /** When the kernel was last used (ms since the epoch); entries past the idle TTL are stale. */
  lastUsedAt: z.number().int().nonnegative(),
});
export type SessionEntry = z.infer<typeof SessionEntry>;

/** Options of {@link SessionRegistry}. */
export interface SessionRegistryOptions {
  redis: Redis;
  /** Prefix of every key (ASSAY_KEY_PREFIX). */
  prefix: string;
  /**
   * Age after which an entry no longer counts: an executor that died without saying so leaves
   * entries behind, and its kernels are gone. Use the kernels' idle TTL.
   */
  staleAfterMs: number;
}

/**
 * Which chats of a tenant have a live kernel, and on which executor replica, in one Redis hash
 * per tenant. Executors record a session when they start or use it and remove it when they
 * free it; the gateway reads it to enforce the per-tenant session limit before queueing work.
 */
export class SessionRegistry {
  constructor(private readonly options: SessionRegistryOptions) {}

  /** Records (or refreshes) a chat's session on an executor. */
  async record(tenantId: string, chatId: string, executorId: string, now = Date.now()): Promise<void> {
    const entry: SessionEntry = { executorId, lastUsedAt: now };
    const key = this.key(tenantId);
    await this.options.redis.multi().hset(key, chatId, JSON.stringify(entry)).pexpire(key, this.options.staleAfterMs * 2).exec();
  }

  /** Forgets a chat's session if `executorId` still holds it (another replica may have taken over). */
  async remove(tenantId: string, chatId: string, executorId: string): Promise<void> {
    const current = await this.get(tenantId, chatId);
    if (current?.executorId === executorId) await this.options.redis.hdel(this.key(tenantId), chatId);
  }

  /** The chat's live session, if any. */
  async get(tenantId: string, chatId: string): Promise<SessionEntry | undefined> {
    const raw = await this.options.redis.hget(this.key(tenantId), chatId);
    const entry = raw === null ? undefined : parseEntry(raw);
    return entry !== undefined && this.isLive(entry) ? entry : undefined;
  }

  /** The tenant's live sessions by chat id; stale entries are dropped on the way. */
  async live(tenantId: string): Promise<Map<string, SessionEntry>> {
    const key = this.key(tenantId);
    const all = await this.options.redis.hgetall(key);
    const live = new Map<string, SessionEntry>();
    const stale: string[] = [];
    for (const [chatId, raw] of Object.entries(all)) {
      const entry = parseEntry(raw);
      if (entry !== undefined && this.isLive(entry)) live.set(chatId, entry);
      else stale.push(chatId);
    }
    if (stale.length > 0) await this.options.redis.hdel(key, ...stale);
    return live;
  }

  private isLive(entry: SessionEntry): boolean {
    return Date.now() - entry.lastUsedAt < this.options.staleAfterMs;
  }

  private key(tenantId: string): string {
    return `${this.options.prefix}:sessions:${tenantId}`;
  }
}

function parseEntry(raw: string): SessionEntry | undefined {
  try {
    const parsed = SessionEntry.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
