import type { IncomingMessage } from 'node:http';
import { authenticateApiKey, TenantScope, type ApiKeyPrincipal, type PrismaClient } from '@assay/db';
import { UnauthorizedError } from '@assay/errors';
import type { RequestHandler, Response } from 'express';

/** What an authenticated request carries (in `res.locals`). */
export interface AuthenticatedLocals {
  principal: ApiKeyPrincipal;
  tenant: TenantScope;
}

/**
 * The API key of a request: `Authorization: Bearer <key>`, or for WebSocket clients that cannot
 * set headers (browsers), the `api_key` query parameter of the upgrade request.
 */
export function presentedApiKey(req: IncomingMessage, options: { allowQuery: boolean }): string | undefined {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match?.[1] ?? '';
  }
  if (options.allowQuery && req.url) {
    const key = new URL(req.url, 'http://gateway').searchParams.get('api_key');
    if (key !== null) return key;
  }
  return undefined;
}

/** Resolves a key to its tenant (the gateway's {@link ApiKeyCache}, or PostgreSQL directly). */
export interface ApiKeyAuthenticator {
  authenticate(key: string): Promise<ApiKeyPrincipal | null>;
}

/**
 * Resolves the presented key to a tenant, or throws UnauthorizedError saying what is wrong.
 * @param keys where keys are looked up; without it, PostgreSQL on every call
 */
export async function authenticate(
  prisma: PrismaClient,
  req: IncomingMessage,
  options: { allowQuery: boolean },
  keys?: ApiKeyAuthenticator,
): Promise<AuthenticatedLocals> {
  const key = presentedApiKey(req, options);
  if (key === undefined) {
    throw new UnauthorizedError('This route needs an API key: send "Authorization: Bearer <key>".');
  }
  if (key === '') {
    throw new UnauthorizedError('The Authorization header must have the form "Bearer <key>".');
  }
  const principal = keys ? await keys.authenticate(key) : await authenticateApiKey(prisma, key);
  if (!principal) throw new UnauthorizedError('The API key is not valid (unknown or revoked).');
  return { principal, tenant: new TenantScope(prisma, principal.tenantId) };
}

/** Express middleware guarding every /v1 route. */
export function requireApiKey(prisma: PrismaClient, keys?: ApiKeyAuthenticator): RequestHandler {
  return async (req, res, next) => {
    const locals = await authenticate(prisma, req, { allowQuery: false }, keys);
    res.locals.principal = locals.principal;
    res.locals.tenant = locals.tenant;
    next();
  };
}

/** The tenant scope of an authenticated request. */
export function tenantOf(res: Response): TenantScope {
  const tenant: unknown = res.locals.tenant;
  if (!(tenant instanceof TenantScope)) throw new UnauthorizedError();
  return tenant;
}
