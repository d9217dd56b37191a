import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { REPO_ROOT } from '../support/service-stack';
import { testEnvironment } from '../support/test-environment';

const run = promisify(execFile);
const prismaCli = `${REPO_ROOT}/node_modules/prisma/build/index.js`;

/**
 * The committed migrations are what `npm start` applies. These tests run the stock Prisma CLI
 * (through the wasm schema-engine stand-in where the native engine is absent, as on this
 * machine), so a Prisma upgrade that breaks the stand-in fails here.
 */
describe('prisma migrations', () => {
  const databaseName = `assay_migrations_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  let admin: pg.Client;
  let url: string;

  beforeAll(async () => {
    const base = new URL(testEnvironment().databaseUrl);
    admin = new pg.Client({ connectionString: base.toString() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${databaseName}`);
    base.pathname = `/${databaseName}`;
    url = base.toString();
  });

  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
    await admin.end();
  });

  const prisma = (...args: string[]) =>
    run(process.execPath, [prismaCli, ...args], { cwd: REPO_ROOT, env: { ...process.env, DATABASE_URL: url }, timeout: 60_000 });

  it('`migrate deploy` builds the whole schema on an empty database, and is a no-op the second time', async () => {
    const first = await prisma('migrate', 'deploy');
    expect(first.stdout).toContain('successfully applied');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const tables = await client.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
    await client.end();
    expect(tables.rows.map((row) => row.tablename)).toEqual(
      ['ApiKey', 'Artifact', 'Batch', 'Cell', 'Chat', 'CodegenCall', 'File', 'IdempotencyRecord', 'Message', 'MessageFile', 'Tenant', '_prisma_migrations'].sort(),
    );
    const second = await prisma('migrate', 'deploy');
    expect(second.stdout).toContain('No pending migrations');
  });

  it('the committed migrations produce exactly prisma/schema.prisma (no drift)', async () => {
    // --exit-code: 0 when there is no difference, 2 when there is one.
    const diff = await prisma('migrate', 'diff', '--from-migrations', 'prisma/migrations', '--to-schema', 'prisma/schema.prisma', '--exit-code');
    expect(diff.stdout).toContain('No difference detected');
  });
});
