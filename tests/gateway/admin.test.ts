import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { main } from '@assay/cli';
import { ApiKeyResource, ChatResource, CreatedApiKeyResource, ErrorBody, TenantResource } from '@assay/contracts';
import { createTenantWithApiKey, hashApiKey } from '@assay/db';
import { z } from 'zod';
import { testEnvironment } from '../support/test-environment';
import { startGateway, type InProcessGateway } from './support/in-process-gateway';

/**
 * Tenants and API keys through the admin API (guarded by ASSAY_ADMIN_TOKEN) and `assay admin`:
 * a key is shown once and stored as a digest, works at once, and once revoked is refused by
 * every gateway replica (the revocation is announced on Redis to their key caches).
 */

const ADMIN_TOKEN = 'test-admin-token-0123456789';
let gateway: InProcessGateway;
let replica: InProcessGateway;

beforeAll(async () => {
  gateway = await startGateway({ adminToken: ADMIN_TOKEN });
  // A second replica of the same deployment, whose cache would trust a key for ten minutes.
  replica = await startGateway({ keyPrefix: gateway.keyPrefix, apiKeyCacheTtlMs: 600_000 });
});

afterAll(async () => {
  await replica?.close();
  await gateway?.close();
});

async function call<S extends z.ZodType>(
  baseUrl: string,
  method: string,
  path: string,
  schema: S,
  options: { token?: string; json?: unknown } = {},
): Promise<{ status: number; body: z.output<S> | ErrorBody }> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.json !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body: options.json === undefined ? undefined : JSON.stringify(options.json) });
  const json: unknown = await response.json();
  return { status: response.status, body: response.ok ? schema.parse(json) : ErrorBody.parse(json) };
}

function ok<T>(result: { status: number; body: T | ErrorBody }, status: number): T {
  if (result.status !== status) throw new Error(`expected ${status}, got ${result.status}: ${JSON.stringify(result.body)}`);
  return result.body as T;
}

const List = <S extends z.ZodType>(item: S) => z.object({ data: z.array(item) });

describe('admin API', () => {
  it('creates a tenant and a key shown once, lists keys without the key, and a revoked key is refused by every replica', async () => {
    const tenant = ok(await call(gateway.baseUrl, 'POST', '/admin/v1/tenants', TenantResource, { token: ADMIN_TOKEN, json: { name: 'Acme', limits: { uploadsPerHour: 5 } } }), 201);
    expect(tenant).toMatchObject({ name: 'Acme', limits: { uploadsPerHour: 5 }, storageQuotaBytes: null });

    const created = ok(await call(gateway.baseUrl, 'POST', `/admin/v1/tenants/${tenant.id}/keys`, CreatedApiKeyResource, { token: ADMIN_TOKEN, json: { name: 'ci' } }), 201);
    expect(created.key.startsWith('assay_')).toBe(true);
    expect(created.key.startsWith(created.prefix)).toBe(true);
    // Only the digest is stored.
    const row = await gateway.prisma.apiKey.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.hash).toBe(hashApiKey(created.key));
    expect(JSON.stringify(row)).not.toContain(created.key);

    const listed = ok(await call(gateway.baseUrl, 'GET', `/admin/v1/tenants/${tenant.id}/keys`, List(ApiKeyResource.strict()), { token: ADMIN_TOKEN }), 200);
    expect(listed.data.map((key) => key.id)).toEqual([created.id]);

    // The key works on both replicas (and is now in both caches).
    ok(await call(gateway.baseUrl, 'POST', '/v1/chats', ChatResource, { token: created.key, json: {} }), 201);
    ok(await call(replica.baseUrl, 'POST', '/v1/chats', ChatResource, { token: created.key, json: {} }), 201);

    const revoked = ok(await call(gateway.baseUrl, 'POST', `/admin/v1/keys/${created.id}/revoke`, ApiKeyResource, { token: ADMIN_TOKEN }), 200);
    expect(revoked.revokedAt).not.toBeNull();

    expect((await call(gateway.baseUrl, 'GET', '/v1/files/00000000-0000-7000-8000-000000000000', z.unknown(), { token: created.key })).status).toBe(401);
    // The replica's cache trusts keys for 10 minutes: only the announcement can make it refuse now.
    let replicaStatus = 0;
    for (let attempt = 0; attempt < 50 && replicaStatus !== 401; attempt += 1) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50));
      replicaStatus = (await call(replica.baseUrl, 'POST', '/v1/chats', z.unknown(), { token: created.key, json: {} })).status;
    }
    expect(replicaStatus).toBe(401);
  });

  it('updates limits, refuses unknown limit names, and 404s unknown tenants', async () => {
    const tenant = ok(await call(gateway.baseUrl, 'POST', '/admin/v1/tenants', TenantResource, { token: ADMIN_TOKEN, json: { name: 'Limits' } }), 201);
    const updated = ok(
      await call(gateway.baseUrl, 'PATCH', `/admin/v1/tenants/${tenant.id}`, TenantResource, { token: ADMIN_TOKEN, json: { storageQuotaBytes: 1000, limits: { sessions: 2 } } }),
      200,
    );
    expect(updated).toMatchObject({ name: 'Limits', storageQuotaBytes: 1000, limits: { sessions: 2 } });
    const typo = ok(await call(gateway.baseUrl, 'PATCH', `/admin/v1/tenants/${tenant.id}`, z.unknown(), { token: ADMIN_TOKEN, json: { limits: { sesions: 2 } } }), 400) as ErrorBody;
    expect(typo.error.message).toContain('sessions');
    const reset = ok(await call(gateway.baseUrl, 'PATCH', `/admin/v1/tenants/${tenant.id}`, TenantResource, { token: ADMIN_TOKEN, json: { limits: null } }), 200);
    expect(reset.limits).toBeNull();

    const listed = ok(await call(gateway.baseUrl, 'GET', '/admin/v1/tenants', List(TenantResource), { token: ADMIN_TOKEN }), 200);
    expect(listed.data.map((item) => item.id)).toContain(tenant.id);
    const missing = ok(await call(gateway.baseUrl, 'POST', '/admin/v1/tenants/00000000-0000-7000-8000-000000000000/keys', z.unknown(), { token: ADMIN_TOKEN, json: {} }), 404) as ErrorBody;
    expect(missing.error.code).toBe('NOT_FOUND');
  });

  it('refuses a missing or wrong admin token, and a tenant API key', async () => {
    const { apiKey } = await createTenantWithApiKey(gateway.prisma, { tenantName: 'not admin' });
    for (const token of [undefined, 'wrong-token-0123456789', apiKey]) {
      const result = await call(gateway.baseUrl, 'GET', '/admin/v1/tenants', z.unknown(), token === undefined ? {} : { token });
      expect(result.status).toBe(401);
      expect((result.body as ErrorBody).error.code).toBe('UNAUTHORIZED');
    }
  });

  it('is not served without ASSAY_ADMIN_TOKEN, and says so in the log', async () => {
    const result = await call(replica.baseUrl, 'GET', '/admin/v1/tenants', z.unknown(), { token: ADMIN_TOKEN });
    expect(result.status).toBe(404);
    expect(replica.logs.some((line) => String(line.msg).includes('admin API disabled'))).toBe(true);
  });
});

describe('assay admin', () => {
  async function assay(...args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const sink = (append: (text: string) => void) => new Writable({ write: (chunk: Buffer, _encoding, done) => void (append(chunk.toString()), done()) });
    const { databaseUrl, redisUrl } = testEnvironment();
    const exitCode = await main(args, { stdout: sink((text) => (stdout += text)), stderr: sink((text) => (stderr += text)) }, {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      ASSAY_KEY_PREFIX: gateway.keyPrefix,
    });
    return { exitCode, stdout, stderr };
  }

  it('creates a tenant and a key, lists them, and revokes the key (refused by a replica at once)', async () => {
    const tenant = TenantResource.parse(JSON.parse((await assay('admin', 'tenant', 'create', 'CLI tenant', '--storage-quota-bytes', '5000', '--json')).stdout));
    expect(tenant).toMatchObject({ name: 'CLI tenant', storageQuotaBytes: 5000 });
    expect((await assay('admin', 'tenant', 'list')).stdout).toContain(tenant.id);

    const keyRun = await assay('admin', 'key', 'create', tenant.id, '--name', 'laptop');
    expect(keyRun.exitCode).toBe(0);
    const key = /(assay_\S+)/.exec(keyRun.stdout)?.[1] ?? '';
    expect(keyRun.stdout).toContain('not shown again');
    ok(await call(replica.baseUrl, 'POST', '/v1/chats', ChatResource, { token: key, json: {} }), 201);

    const keys = z.array(ApiKeyResource).parse(JSON.parse((await assay('admin', 'key', 'list', tenant.id, '--json')).stdout));
    expect(keys).toHaveLength(1);
    expect(JSON.stringify(keys)).not.toContain(key);
    const keyId = keys[0]?.id ?? '';

    const revoke = await assay('admin', 'key', 'revoke', keyId);
    expect(revoke.exitCode).toBe(0);
    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 401; attempt += 1) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50));
      status = (await call(replica.baseUrl, 'POST', '/v1/chats', z.unknown(), { token: key, json: {} })).status;
    }
    expect(status).toBe(401);
  });

  it('explains wrong usage and unknown ids', async () => {
    expect((await assay('admin', 'key', 'create')).exitCode).toBe(2);
    const unknown = await assay('admin', 'key', 'create', '00000000-0000-7000-8000-000000000000');
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain('was not found');
  });
});
