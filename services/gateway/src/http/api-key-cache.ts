import { apiKeyRevocationChannel, authenticateApiKey, hashApiKey, type ApiKeyPrincipal, type PrismaClient } from '@assay/db';
import type { Logger } from '@assay/logger';
import type { Redis } from 'ioredis';

/** Options of {@link ApiKeyCache}. */
export interface ApiKeyCacheOptions {
  prisma: PrismaClient;
  logger: Logger;
  /**
   * How long a valid key is trusted without asking PostgreSQL: the longest a revocation can go
   * unnoticed by a replica that missed its announcement (0 turns the cache off).
   * @defaultValue 30_000
   */
  ttlMs?: number;
  /**
   * Most keys kept; the oldest entry goes first. Bounds memory whatever clients present.
   * @defaultValue 10_000
   */
  maxEntries?: number;
}

interface Entry {
  principal: ApiKeyPrincipal;
  expiresAt: number;
}

/**
 * Valid API keys recently seen, keyed by digest, so that authentication does not cost a
 * PostgreSQL round trip on every request. Only valid keys are cached (an unknown key always
 * asks the database, so a key created a moment ago works at once). Revocations are announced
 * on Redis pub/sub ({@link listen}/{@link announceRevocation}) and dropped at once by every
 * replica; a replica that missed the announcement trusts the key for at most `ttlMs` more.
 */
export class ApiKeyCache {
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: ApiKeyCacheOptions) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  /** The tenant of a presented key, or null for an unknown, malformed or revoked key. */
  async authenticate(key: string): Promise<ApiKeyPrincipal | null> {
    if (this.ttlMs === 0) return authenticateApiKey(this.options.prisma, key);
    const hash = hashApiKey(key);
    const cached = this.entries.get(hash);
    if (cached && cached.expiresAt > Date.now()) return cached.principal;
    if (cached) this.entries.delete(hash);
    const principal = await authenticateApiKey(this.options.prisma, key);
    if (principal) {
      if (this.entries.size >= this.maxEntries) {
        const oldest = this.entries.keys().next();
        if (oldest.done !== true) this.entries.delete(oldest.value);
      }
      this.entries.set(hash, { principal, expiresAt: Date.now() + this.ttlMs });
    }
    return principal;
  }

  /** Drops a key (by digest) so its next use asks the database. */
  forget(hash: string): void {
    this.entries.delete(hash);
  }

  /**
   * Follows revocations announced by any replica or by `assay admin key revoke`.
   * @param subscriber a connection of its own (a subscribed ioredis connection cannot run commands)
   */
  async listen(subscriber: Redis, keyPrefix: string): Promise<void> {
    const channel = apiKeyRevocationChannel(keyPrefix);
    subscriber.on('message', (from: string, hash: string) => {
      if (from === channel) this.forget(hash);
    });
    await subscriber.subscribe(channel);
    this.options.logger.debug({ channel, ttlMs: this.ttlMs }, 'following API key revocations');
  }

  /** Tells every replica (this one included, through the channel) that a key was revoked. */
  static async announceRevocation(redis: Redis, keyPrefix: string, hash: string): Promise<void> {
    await redis.publish(apiKeyRevocationChannel(keyPrefix), hash);
  }
}
