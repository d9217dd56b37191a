import type { Prisma, PrismaClient } from '../generated/prisma/client.js';

/** Options of {@link IdempotencyRepository.claim}. */
export interface IdempotencyClaimOptions {
  /** How long a first answer is replayed to retries. */
  retentionMs: number;
  /** A claim unanswered this long is taken to be abandoned (its process died) and may be claimed again. */
  pendingTimeoutMs: number;
}

/** What a request with an Idempotency-Key should do. */
export type IdempotencyClaim =
  | { kind: 'claimed' }
  | { kind: 'replay'; status: number; body: unknown }
  | { kind: 'mismatch' }
  | { kind: 'in-progress' };

/**
 * First answers to requests sent with an `Idempotency-Key`, per tenant. The primary key
 * (tenantId, key) makes the claim atomic: of concurrent duplicates exactly one inserts the row
 * and does the work; the others see it pending (or, later, its answer).
 */
export class IdempotencyRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly tenantId: string,
  ) {}

  async claim(key: string, requestHash: string, options: IdempotencyClaimOptions): Promise<IdempotencyClaim> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const now = Date.now();
      // An expired answer, or a claim whose request never finished, frees the key.
      await this.prisma.idempotencyRecord.deleteMany({
        where: {
          tenantId: this.tenantId,
          key,
          OR: [{ createdAt: { lt: new Date(now - options.retentionMs) } }, { status: null, createdAt: { lt: new Date(now - options.pendingTimeoutMs) } }],
        },
      });
      const { count } = await this.prisma.idempotencyRecord.createMany({ data: [{ tenantId: this.tenantId, key, requestHash }], skipDuplicates: true });
      if (count === 1) {
        // The tenant's other expired answers go too, so the table stays as small as the window.
        await this.prisma.idempotencyRecord.deleteMany({ where: { tenantId: this.tenantId, createdAt: { lt: new Date(now - options.retentionMs) } } });
        return { kind: 'claimed' };
      }
      const row = await this.prisma.idempotencyRecord.findUnique({ where: { tenantId_key: { tenantId: this.tenantId, key } } });
      // Released between our insert and read: try again.
      if (!row) continue;
      if (row.requestHash !== requestHash) return { kind: 'mismatch' };
      if (row.status === null) return { kind: 'in-progress' };
      return { kind: 'replay', status: row.status, body: row.body };
    }
    return { kind: 'in-progress' };
  }

  /** Stores the first answer, to be replayed to retries. */
  async complete(key: string, status: number, body: unknown): Promise<void> {
    await this.prisma.idempotencyRecord.updateMany({
      where: { tenantId: this.tenantId, key },
      data: { status, body: body === undefined ? undefined : (body as Prisma.InputJsonValue) },
    });
  }

  /** Forgets a claim whose request ended in a retryable failure, so a retry does the work. */
  async release(key: string): Promise<void> {
    await this.prisma.idempotencyRecord.deleteMany({ where: { tenantId: this.tenantId, key } });
  }
}
