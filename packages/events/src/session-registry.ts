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
 * per tenant, plus a heartbeat per executor. Executors record a session when they start or use
 * it and remove it when they free it; producers route a chat's work to the executor that holds
 * its kernel (`ownerOf`), and the gateway enforces the per-tenant session limit (`live`).
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

  /**
   * The executor that holds the chat's kernel, if it is alive (its heartbeat has not expired):
   * work for the chat should go there. Independent of the idle TTL: an executor removes its
   * entries when it frees kernels, so a live executor's entry is current.
   */
  async ownerOf(tenantId: string, chatId: string): Promise<string | undefined> {
    const raw = await this.options.redis.hget(this.key(tenantId), chatId);
    const entry = raw === null ? undefined : parseEntry(raw);
    if (entry === undefined) return undefined;
    return (await this.isExecutorAlive(entry.executorId)) ? entry.executorId : undefined;
  }

  /**
   * Remembers the remote sandbox (an E2B sandbox id) that holds a chat's kernel for `ttlMs` (the
   * sandbox's own lifetime), so that any executor replica can reconnect to it with its variables.
   */
  async rememberSandbox(tenantId: string, chatId: string, sandboxId: string, ttlMs: number): Promise<void> {
    await this.options.redis.set(this.sandboxKey(tenantId, chatId), sandboxId, 'PX', ttlMs);
  }

  /** The remote sandbox remembered for a chat, if its lifetime has not passed. */
  async sandboxOf(tenantId: string, chatId: string): Promise<string | undefined> {
    return (await this.options.redis.get(this.sandboxKey(tenantId, chatId))) ?? undefined;
  }

  /** Forgets a chat's remote sandbox if it is still `sandboxId` (another replica may have made a new one). */
  async forgetSandbox(tenantId: string, chatId: string, sandboxId: string): Promise<void> {
    const key = this.sandboxKey(tenantId, chatId);
    if ((await this.options.redis.get(key)) === sandboxId) await this.options.redis.del(key);
  }

  /** Says that `executorId` is alive for the next `ttlMs`; also lists it among known executors. */
  async heartbeat(executorId: string, ttlMs: number): Promise<void> {
    await this.options.redis
      .multi()
      .set(this.heartbeatKey(executorId), String(Date.now()), 'PX', ttlMs)
      .sadd(this.executorsKey(), executorId)
      .exec();
  }

  /** Whether an executor's heartbeat is current. */
  async isExecutorAlive(executorId: string): Promise<boolean> {
    return (await this.options.redis.exists(this.heartbeatKey(executorId))) === 1;
  }

  /** Executors that have sent a heartbeat and have not been forgotten. */
  async knownExecutors(): Promise<string[]> {
    return this.options.redis.smembers(this.executorsKey());
  }

  /** Removes an executor: its heartbeat (a clean shutdown) and its place among known executors. */
  async forgetExecutor(executorId: string): Promise<void> {
    await this.options.redis.multi().del(this.heartbeatKey(executorId)).srem(this.executorsKey(), executorId).exec();
  }

  private isLive(entry: SessionEntry): boolean {
    return Date.now() - entry.lastUsedAt < this.options.staleAfterMs;
  }

  private sandboxKey(tenantId: string, chatId: string): string {
    return `${this.options.prefix}:sandbox:${tenantId}:${chatId}`;
  }

  private key(tenantId: string): string {
    return `${this.options.prefix}:sessions:${tenantId}`;
  }

  private heartbeatKey(executorId: string): string {
    return `${this.options.prefix}:executors:${executorId}`;
  }

  private executorsKey(): string {
    return `${this.options.prefix}:executors`;
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
