import { createHash, randomBytes } from 'node:crypto';
import type { PrismaClient } from './client';

/** Every key starts with this, so leaked keys are easy to recognise (and to scan for). */
export const API_KEY_PREFIX = 'assay_';

/** Characters of a key kept in clear to tell keys apart in listings. */
const DISPLAY_PREFIX_LENGTH = 12;

/** A newly made key: `key` is shown to its owner once; only `hash` is stored. */
export interface GeneratedApiKey {
  key: string;
  prefix: string;
  hash: string;
}

/** Makes a key with 256 bits of randomness. */
export function generateApiKey(): GeneratedApiKey {
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, prefix: key.slice(0, DISPLAY_PREFIX_LENGTH), hash: hashApiKey(key) };
}

/**
 * Hex SHA-256 of a key. A slow password hash is not needed: keys are random and long, so the
 * digest cannot be reversed by guessing, and a fast digest keeps per-request auth cheap.
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The tenant a valid key belongs to. */
export interface ApiKeyPrincipal {
  tenantId: string;
  apiKeyId: string;
}

/**
 * Resolves a presented key to its tenant, or null for an unknown, malformed or revoked key.
 * Lookup is by digest (indexed): its timing says nothing about the key, as digests are one-way.
 */
export async function authenticateApiKey(prisma: PrismaClient, key: string): Promise<ApiKeyPrincipal | null> {
  if (!key.startsWith(API_KEY_PREFIX) || key.length > 200) return null;
  const hash = hashApiKey(key);
  const row = await prisma.apiKey.findUnique({ where: { hash } });
  if (!row || row.revokedAt !== null) return null;
  return { tenantId: row.tenantId, apiKeyId: row.id };
}

/** Creates a tenant and its first API key. */
export async function createTenantWithApiKey(
  prisma: PrismaClient,
  options: { tenantName: string; keyName?: string },
): Promise<{ tenantId: string; apiKeyId: string; apiKey: string }> {
  const generated = generateApiKey();
  const tenant = await prisma.tenant.create({
    data: {
      name: options.tenantName,
      apiKeys: { create: { name: options.keyName ?? 'default', prefix: generated.prefix, hash: generated.hash } },
    },
    include: { apiKeys: true },
  });
  const apiKey = tenant.apiKeys[0];
  if (!apiKey) throw new Error('The API key was not created with its tenant.');
  return { tenantId: tenant.id, apiKeyId: apiKey.id, apiKey: generated.key };
}

/** Name of the tenant `npm start` creates for local use. */
export const DEV_TENANT_NAME = 'Development';

/**
 * The development key printed by `npm start`: the one from the previous start when it is still
 * valid (so scripts keep working across restarts), otherwise a new tenant and key.
 */
export async function ensureDevApiKey(
  prisma: PrismaClient,
  options: { existingKey?: string } = {},
): Promise<{ tenantId: string; apiKey: string }> {
  if (options.existingKey) {
    const principal = await authenticateApiKey(prisma, options.existingKey);
    if (principal) return { tenantId: principal.tenantId, apiKey: options.existingKey };
  }
  const created = await createTenantWithApiKey(prisma, { tenantName: DEV_TENANT_NAME, keyName: 'npm start' });
  return { tenantId: created.tenantId, apiKey: created.apiKey };
}

/**
 * The Redis pub/sub channel on which revoked keys' digests are announced, so every gateway
 * replica drops them from its key cache at once.
 */
export function apiKeyRevocationChannel(keyPrefix: string): string {
  return `${keyPrefix}:api-keys:revoked`;
}
