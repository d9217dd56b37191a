import { parseArgs } from 'node:util';
import { createPrismaClient, apiKeyRevocationChannel, TenantAdmin } from '@assay/db';
import { isAssayError } from '@assay/errors';
import { Redis } from 'ioredis';
import { z } from 'zod';
import type { CommandStreams } from './main';

/** What `assay admin` reads from the environment. */
const AdminEnv = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'DATABASE_URL must be set to the PostgreSQL URL of the deployment' }),
  /** When set, revocations are announced to the gateways at once (else within their key cache TTL). */
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  ASSAY_KEY_PREFIX: z.string().default('assay'),
});

export const ADMIN_USAGE = `Usage: assay admin <command> [--json]

Manages tenants and API keys directly in the database named by DATABASE_URL (the same actions
as the gateway's /admin/v1 API). A new API key is printed once: only its digest is stored.

Commands:
  tenant create <name> [--storage-quota-bytes <n>]   create a tenant
  tenant list                                        list tenants
  key create <tenantId> [--name <name>]              create an API key for a tenant (printed once)
  key list <tenantId>                                list a tenant's keys (never the keys themselves)
  key revoke <keyId>                                 revoke a key; with REDIS_URL set, gateways drop it
                                                     from their caches at once (else within
                                                     ASSAY_API_KEY_CACHE_TTL_MS)

Options:
  --json       print JSON instead of text
  -h, --help   show this help
`;

/**
 * `assay admin ...`. Returns the exit code: 0 done, 1 failed (e.g. unknown tenant), 2 wrong usage.
 * @param env the process environment (DATABASE_URL, optional REDIS_URL and ASSAY_KEY_PREFIX)
 */
export async function adminCommand(args: readonly string[], streams: CommandStreams, env: Record<string, string | undefined>): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        name: { type: 'string' },
        'storage-quota-bytes': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    streams.stderr.write(`assay admin: ${error instanceof Error ? error.message : String(error)}\n\n${ADMIN_USAGE}`);
    return 2;
  }
  if (parsed.values.help === true) {
    streams.stdout.write(ADMIN_USAGE);
    return 0;
  }
  const [noun, verb, argument, ...extra] = parsed.positionals;
  const action = `${noun ?? ''} ${verb ?? ''}`;
  const needsArgument = action !== 'tenant list';
  const known = ['tenant create', 'tenant list', 'key create', 'key list', 'key revoke'].includes(action);
  if (!known || (needsArgument && argument === undefined) || (!needsArgument && argument !== undefined) || extra.length > 0) {
    streams.stderr.write(`assay admin: expected one of the commands below.\n\n${ADMIN_USAGE}`);
    return 2;
  }
  const quotaText = parsed.values['storage-quota-bytes'];
  if (quotaText !== undefined && !/^\d+$/.test(quotaText)) {
    streams.stderr.write(`assay admin: --storage-quota-bytes must be a whole number of bytes, got "${quotaText}".\n`);
    return 2;
  }
  const envResult = AdminEnv.safeParse(env);
  if (!envResult.success) {
    streams.stderr.write(`assay admin: ${envResult.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}\n`);
    return 2;
  }
  const settings = envResult.data;

  const prisma = createPrismaClient(settings.DATABASE_URL, { maxConnections: 1 });
  const admin = new TenantAdmin(prisma);
  const json = parsed.values.json === true;
  const print = (value: unknown, text: string): void => void streams.stdout.write(json ? `${JSON.stringify(value)}\n` : `${text}\n`);
  try {
    const target = argument ?? '';
    switch (action) {
      case 'tenant create': {
        const tenant = await admin.createTenant({ name: target, ...(quotaText === undefined ? {} : { storageQuotaBytes: Number(quotaText) }) });
        print(tenant, `tenant ${tenant.id} "${tenant.name}" created`);
        break;
      }
      case 'tenant list': {
        const tenants = await admin.listTenants();
        print(tenants, tenants.map((tenant) => `${tenant.id}  ${tenant.createdAt}  ${tenant.name}`).join('\n') || '(no tenants)');
        break;
      }
      case 'key create': {
        const created = await admin.createApiKey(target, parsed.values.name ?? 'default');
        print(created, `API key ${created.id} "${created.name}" for tenant ${created.tenantId}:\n\n  ${created.key}\n\nStore it now: it is not shown again.`);
        break;
      }
      case 'key list': {
        const keys = await admin.listApiKeys(target);
        print(
          keys,
          keys.map((key) => `${key.id}  ${key.prefix}…  ${key.revokedAt === null ? 'active ' : 'revoked'}  ${key.createdAt}  ${key.name}`).join('\n') || '(no keys)',
        );
        break;
      }
      default: {
        const revoked = await admin.revokeApiKey(target);
        const announced = await announce(settings, revoked.hash);
        print(
          revoked.key,
          `API key ${revoked.key.id} revoked at ${revoked.key.revokedAt ?? ''}${announced ? '' : ' (REDIS_URL unset: gateways notice within their key cache TTL)'}`,
        );
      }
    }
    return 0;
  } catch (error) {
    const reason = isAssayError(error) ? `${error.message} [${error.code}]` : error instanceof Error ? error.message : String(error);
    streams.stderr.write(`assay admin: ${reason}\n`);
    return 1;
  } finally {
    await prisma.$disconnect();
  }
}

/** Publishes the revocation to the gateways' caches when Redis is configured. */
async function announce(settings: z.infer<typeof AdminEnv>, hash: string): Promise<boolean> {
  if (settings.REDIS_URL === undefined) return false;
  const redis = new Redis(settings.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await redis.publish(apiKeyRevocationChannel(settings.ASSAY_KEY_PREFIX), hash);
    return true;
  } finally {
    redis.disconnect();
  }
}
