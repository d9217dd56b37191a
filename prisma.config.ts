import fs from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'prisma/config';

/**
 * Prisma CLI configuration (generate, migrate).
 *
 * Prisma's migration commands need its native `schema-engine` binary, which `@prisma/engines`
 * downloads at install time. Where that download is impossible (offline machines, or npm not
 * running install scripts), we point the CLI at a stand-in that speaks the same JSON-RPC over
 * stdio and runs the same engine compiled to WebAssembly (see packages/db/migrate/). Online
 * installs that have the native binary keep stock behaviour.
 */
function nativeSchemaEngineInstalled(): boolean {
  try {
    const enginesDir = path.dirname(require.resolve('@prisma/engines/package.json'));
    return fs.readdirSync(enginesDir).some((entry) => entry.startsWith('schema-engine'));
  } catch {
    return false;
  }
}

if (!process.env.PRISMA_SCHEMA_ENGINE_BINARY && !nativeSchemaEngineInstalled()) {
  process.env.PRISMA_SCHEMA_ENGINE_BINARY = path.join(__dirname, 'packages/db/migrate/schema-engine-shim.mjs');
}

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  // `prisma generate` needs no database; migrate commands fail with Prisma's own message when unset.
  datasource: { url: process.env.DATABASE_URL ?? '' },
});
