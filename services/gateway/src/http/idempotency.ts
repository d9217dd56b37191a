import { createHash } from 'node:crypto';
import { AssayError, ErrorCode, UnprocessableError, ValidationError } from '@assay/errors';
import type { Logger } from '@assay/logger';
import type { Request, RequestHandler, Response } from 'express';
import { tenantOf } from './auth';

/** Options of {@link idempotencyKeys}. */
export interface IdempotencyOptions {
  /**
   * How long the first answer to a key is replayed (`ASSAY_IDEMPOTENCY_RETENTION_MS`).
   * @defaultValue 24 hours
   */
  retentionMs?: number;
  /**
   * A first request still unanswered after this long is taken to be lost (its gateway died), and
   * a retry may do the work.
   * @defaultValue 5 minutes
   */
  pendingTimeoutMs?: number;
  logger: Logger;
}

/** Header clients send; answers replayed from a stored first answer carry `Idempotent-Replayed: true`. */
export const IDEMPOTENCY_HEADER = 'idempotency-key';

/**
 * Middleware for POSTs that create work. With an `Idempotency-Key` header, the first request
 * with a key does the work and its answer (status and JSON body) is stored before it is sent;
 * a retry with the same key and the same request (method, path, body) gets that answer back
 * without the work being done again; the same key on a different request is refused (422); a
 * duplicate that arrives while the first is still running gets 409 with Retry-After. Answers
 * worth retrying (429, 5xx) are not kept, so a retry does the work. Keys are per tenant.
 *
 * Claims live in PostgreSQL (unique tenantId + key), as durable as the chats and messages they
 * guard: a Redis key could be evicted or lost in a failover, and the analysis would run twice.
 */
export function idempotencyKeys(options: IdempotencyOptions): RequestHandler {
  const claimOptions = { retentionMs: options.retentionMs ?? 24 * 3_600_000, pendingTimeoutMs: options.pendingTimeoutMs ?? 5 * 60_000 };
  return async (req, res, next) => {
    const key = idempotencyKeyOf(req);
    if (key === undefined) {
      next();
      return;
    }
    const requestHash = createHash('sha256')
      .update(`${req.method} ${req.baseUrl}${req.path}\n${JSON.stringify(req.body ?? null)}`)
      .digest('hex');
    if (await claimOrAnswer(res, key, requestHash, claimOptions, options.logger)) next();
  };
}

/**
 * For a route that can only fingerprint its request once it has read the body (an upload): the
 * same claim as {@link idempotencyKeys}, with the fingerprint given.
 * @returns true when the route should do the work (its answer will be stored); false when the
 *   stored first answer was sent instead
 * @throws UnprocessableError / AssayError 409 as the middleware does
 */
export async function claimIdempotencyKey(
  res: Response,
  key: string,
  requestFingerprint: string,
  options: IdempotencyOptions & { /** Runs before a stored answer is replayed (e.g. to drop the retry's bytes). */ beforeReplay?: () => Promise<void> },
): Promise<boolean> {
  const claimOptions = { retentionMs: options.retentionMs ?? 24 * 3_600_000, pendingTimeoutMs: options.pendingTimeoutMs ?? 5 * 60_000 };
  const requestHash = createHash('sha256').update(requestFingerprint).digest('hex');
  return claimOrAnswer(res, key, requestHash, claimOptions, options.logger, options.beforeReplay);
}

/** The key an upload carries, checked as the middleware checks it; undefined without the header. */
export function idempotencyKeyOf(req: Request): string | undefined {
  const key = req.headers[IDEMPOTENCY_HEADER];
  if (key === undefined) return undefined;
  if (typeof key !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new ValidationError('The Idempotency-Key header must be 1 to 255 visible ASCII characters (a UUID is a good choice), sent once.');
  }
  return key;
}

async function claimOrAnswer(
  res: Response,
  key: string,
  requestHash: string,
  claimOptions: { retentionMs: number; pendingTimeoutMs: number },
  logger: Logger,
  beforeReplay?: () => Promise<void>,
): Promise<boolean> {
  const tenant = tenantOf(res);
  const claim = await tenant.idempotency.claim(key, requestHash, claimOptions);
  const log = { tenantId: tenant.tenantId, idempotencyKey: key, path: res.req.originalUrl };
  switch (claim.kind) {
    case 'mismatch':
      throw new UnprocessableError(
        ErrorCode.IDEMPOTENCY_KEY_REUSED,
        'This Idempotency-Key was already used for a different request (another path or body). Use a new key for a new request; resend the same body to get the first answer.',
      );
    case 'in-progress':
      res.setHeader('Retry-After', '1');
      throw new AssayError(ErrorCode.IDEMPOTENCY_IN_PROGRESS, 'A request with this Idempotency-Key is still being handled; retry shortly to get its answer.', {
        status: 409,
      });
    case 'replay':
      logger.info({ ...log, status: claim.status }, 'idempotent request replayed');
      await beforeReplay?.();
      res.setHeader('Idempotent-Replayed', 'true');
      res.status(claim.status).json(claim.body);
      return false;
    case 'claimed':
      break;
  }

  // Store the answer before sending it, so a retry that follows the answer finds it.
  let answered = false;
  const send = res.json.bind(res);
  res.json = (body: unknown) => {
    answered = true;
    const status = res.statusCode;
    const keep = status < 500 && status !== 429;
    const stored = keep ? tenant.idempotency.complete(key, status, body) : tenant.idempotency.release(key);
    stored.catch((error: unknown) => logger.error({ ...log, err: error }, 'idempotent answer could not be stored')).finally(() => send(body));
    return res;
  };
  // Nothing was answered (the client went away mid-request, or a route streamed): free the key.
  res.on('close', () => {
    if (!answered) void tenant.idempotency.release(key).catch(() => undefined);
  });
  return true;
}
