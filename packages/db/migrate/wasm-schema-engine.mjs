// @ts-check
/**
 * Loads Prisma's schema engine compiled to WebAssembly (@prisma/schema-engine-wasm) and connects
 * it to PostgreSQL through @prisma/adapter-pg. Used by schema-engine-shim.mjs only.
 *
 * The wasm package is internal to Prisma and changes without notice: its version must equal the
 * engines hash of the installed Prisma (@prisma/engines-version). tests/db/migrations.test.ts runs
 * `prisma migrate deploy` on an empty database to catch a mismatch after an upgrade.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import * as wasmBindings from '@prisma/schema-engine-wasm/schema_engine_bg';

const require = createRequire(import.meta.url);

/** The wasm panic hook records its message here; the shim reports it on a RuntimeError. */
const panicRegistry = { message: '', set_message(/** @type {string} */ message) { this.message = `RuntimeError: ${message}`; } };
Object.assign(globalThis, { PRISMA_WASM_PANIC_REGISTRY: panicRegistry });

/** @returns {string} the last panic message of the engine, if any */
export function lastPanicMessage() {
  return panicRegistry.message;
}

/** @returns {string} version of the installed wasm engine package */
export function wasmEngineVersion() {
  const entry = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
  const manifest = JSON.parse(require('node:fs').readFileSync(path.join(path.dirname(entry), 'package.json'), 'utf8'));
  return String(manifest.version);
}

/**
 * Connection settings as discrete fields: pg lets a `connectionString` override `database`,
 * and the shadow database needs a different one.
 * @param {string} url
 */
export function pgConfig(url) {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 5432),
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password) || undefined,
    database: decodeURIComponent(parsed.pathname.slice(1)) || 'postgres',
  };
}

/**
 * Runs one statement on a short-lived connection.
 * @param {ReturnType<typeof pgConfig>} config
 * @param {string} sql
 */
export async function runStatement(config, sql) {
  const client = new pg.Client(config);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** @param {string} name */
export function quoteIdentifier(name) {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * The engine's schema describer reads pg_catalog columns of type "char" (oid 18), which
 * adapter-pg 7.10 refuses to decode. pg already returns them as strings: report them as text (25).
 * Patched once on the shared queryable prototype, which transactions use too.
 * @param {object} adapter
 */
let charColumnsPatched = false;
function reportCharColumnsAsText(adapter) {
  if (charColumnsPatched) return adapter;
  const queryable = Object.getPrototypeOf(Object.getPrototypeOf(adapter));
  const performIO = queryable.performIO;
  queryable.performIO = async function (/** @type {unknown} */ query) {
    const result = await performIO.call(this, query);
    for (const field of result?.fields ?? []) if (field.dataTypeID === 18) field.dataTypeID = 25;
    return result;
  };
  charColumnsPatched = true;
  return adapter;
}

/** @type {Set<{ dispose(): Promise<void> }>} */
const openAdapters = new Set();

/** Closes every connection the engine opened, so the process can exit. */
export async function disposeAdapters() {
  for (const adapter of openAdapters) await adapter.dispose().catch(() => {});
  openAdapters.clear();
}

/**
 * Adapter factory handed to the engine. We create the shadow database ourselves because
 * PrismaPg.connectToShadowDb() (7.10) drops it before closing its own pool, which fails with
 * "database is being accessed by other users".
 * @param {string} url
 * @param {string | undefined} shadowUrl
 */
function adapterFactory(url, shadowUrl) {
  const config = pgConfig(url);
  const main = new PrismaPg(config);
  return bindMigrationAwareSqlAdapterFactory({
    provider: main.provider,
    adapterName: main.adapterName,
    async connect() {
      const adapter = await main.connect();
      openAdapters.add(adapter);
      return reportCharColumnsAsText(adapter);
    },
    async connectToShadowDb() {
      if (shadowUrl) {
        const adapter = await new PrismaPg(pgConfig(shadowUrl)).connect();
        openAdapters.add(adapter);
        return reportCharColumnsAsText(adapter);
      }
      const name = `prisma_migrate_shadow_db_${randomUUID()}`;
      const admin = { ...config, database: 'postgres' };
      await runStatement(admin, `CREATE DATABASE ${quoteIdentifier(name)}`);
      const adapter = reportCharColumnsAsText(await new PrismaPg({ ...config, database: name }).connect());
      const closePool = adapter.dispose.bind(adapter);
      adapter.dispose = async () => {
        await closePool();
        await runStatement(admin, `DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
      };
      return adapter;
    },
  });
}

/**
 * Instantiates the wasm engine for one schema.
 * @param {{ url: string; shadowUrl?: string; schemaFiles: Array<{ path: string; content: string }>; log: (line: string) => void }} options
 */
export async function createSchemaEngine({ url, shadowUrl, schemaFiles, log }) {
  const entry = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
  const wasmFile = path.join(path.dirname(entry), 'schema_engine_bg.wasm');
  const instance = new WebAssembly.Instance(new WebAssembly.Module(await fs.readFile(wasmFile)), {
    './schema_engine_bg.js': wasmBindings,
  });
  wasmBindings.__wbg_set_wasm(instance.exports);
  /** @type {{ __wbindgen_start(): void }} */ (/** @type {unknown} */ (instance.exports)).__wbindgen_start();
  const datamodels = schemaFiles.length > 0 ? schemaFiles.map((file) => [file.path, file.content]) : undefined;
  return wasmBindings.SchemaEngine.new({ datamodels }, log, adapterFactory(url, shadowUrl));
}
