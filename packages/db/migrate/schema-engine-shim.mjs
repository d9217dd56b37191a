#!/usr/bin/env node
// @ts-check
/**
 * Stand-in for Prisma's native `schema-engine` binary, for machines where it cannot be
 * downloaded. prisma.config.ts sets PRISMA_SCHEMA_ENGINE_BINARY to this file only when the native
 * binary is absent.
 *
 * Two modes, as the binary has:
 * - `schema-engine --datasource <json> cli <command>`: one-shot database commands the CLI
 *   uses to probe and create databases;
 * - otherwise JSON-RPC 2.0 over stdio, one request per line, each forwarded to the wasm engine.
 */
import fs from 'node:fs';
import readline from 'node:readline';
import pg from 'pg';
import {
  createSchemaEngine,
  disposeAdapters,
  lastPanicMessage,
  pgConfig,
  quoteIdentifier,
  runStatement,
  wasmEngineVersion,
} from './wasm-schema-engine.mjs';

const { datamodelPaths, datasource, cliCommand, wantsVersion } = parseArguments(process.argv.slice(2));

if (wantsVersion) {
  process.stdout.write(`schema-engine-cli ${wasmEngineVersion().split('.').pop()} (wasm)\n`);
  process.exit(0);
}

if (cliCommand) {
  await runCliCommand(cliCommand, datasource.url);
} else {
  serveJsonRpc();
}

/** @param {string[]} args */
function parseArguments(args) {
  /** @type {string[]} */
  const datamodelPaths = [];
  /** @type {{ url: string; shadowDatabaseUrl?: string }} */
  let datasource = { url: '' };
  /** @type {string | undefined} */
  let cliCommand;
  let wantsVersion = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--datamodels') datamodelPaths.push(String(args[++i]));
    else if (arg === '--datasource') datasource = JSON.parse(String(args[++i]));
    else if (arg === '--enabled-preview-features' || arg === '--extension-types') i++;
    else if (arg === 'cli') cliCommand = args[++i];
    else if (arg === '--version' || arg === '-V') wantsVersion = true;
  }
  return { datamodelPaths, datasource, cliCommand, wantsVersion };
}

/**
 * Writes one tracing line in the shape the native binary logs.
 * @param {'INFO' | 'ERROR'} level
 * @param {Record<string, unknown>} fields
 */
function logLine(level, fields) {
  process.stderr.write(JSON.stringify({ level, target: 'schema_engine::logger', fields }) + '\n');
}

/**
 * Maps a pg error to the Prisma error code the CLI expects.
 * @param {unknown} error
 * @param {ReturnType<typeof pgConfig>} config
 * @returns {[string, string]}
 */
function describeConnectionError(error, config) {
  const code = /** @type {{ code?: string }} */ (error)?.code;
  const where = `${config.host}:${config.port}`;
  if (code === '3D000') return ['P1003', `Database \`${config.database}\` does not exist on the database server at \`${where}\`.`];
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND') return ['P1001', `Can't reach database server at \`${where}\``];
  if (code === '28P01' || code === '28000') return ['P1000', `Authentication failed against database server at \`${config.host}\``];
  return ['P1000', error instanceof Error ? error.message : String(error)];
}

/** @param {string} url */
async function createDatabase(url) {
  const config = pgConfig(url);
  await runStatement({ ...config, database: 'postgres' }, `CREATE DATABASE ${quoteIdentifier(config.database)}`);
  return { databaseName: config.database };
}

/**
 * @param {string} command
 * @param {string} url
 */
async function runCliCommand(command, url) {
  const config = pgConfig(url);
  // The CLI skips the first stderr line (the binary's start-up log) before parsing errors.
  logLine('INFO', { message: `Starting schema engine CLI (${command})` });
  try {
    if (command === 'can-connect-to-database') {
      const client = new pg.Client(config);
      await client.connect();
      await client.end();
    } else if (command === 'create-database') {
      await createDatabase(url);
    } else if (command === 'drop-database') {
      await runStatement({ ...config, database: 'postgres' }, `DROP DATABASE IF EXISTS ${quoteIdentifier(config.database)}`);
    } else {
      throw new Error(`The wasm schema engine does not support \`cli ${command}\`.`);
    }
    process.exit(0);
  } catch (error) {
    const [errorCode, message] = describeConnectionError(error, config);
    logLine('ERROR', { error_code: errorCode, message });
    process.exit(1);
  }
}

/**
 * The part of the wasm engine's API the shim calls by name; every method takes and returns JSON.
 * @typedef {(params: unknown) => Promise<unknown>} EngineMethod
 * @typedef {{ version: EngineMethod; diff: (params: unknown) => Promise<{ stdout?: string }>; devDiagnostic: EngineMethod } & Record<string, unknown>} WasmSchemaEngine
 */

function serveJsonRpc() {
  /** @type {Promise<WasmSchemaEngine> | undefined} */
  let enginePromise;
  const engine = () =>
    (enginePromise ??= createSchemaEngine({
      url: datasource.url,
      shadowUrl: datasource.shadowDatabaseUrl,
      schemaFiles: datamodelPaths.map((file) => ({ path: file, content: fs.readFileSync(file, 'utf8') })),
      log: (line) => process.stderr.write(line + '\n'),
    }));

  /** @param {unknown} message */
  const send = (message) => process.stdout.write(JSON.stringify(message) + '\n');
  let nextPrintRequestId = 1_000_000;

  /**
   * @param {string} method
   * @param {{ datasource?: { url?: string }; migrationsList?: unknown; filters?: unknown } | undefined} params
   */
  async function handle(method, params) {
    switch (method) {
      case 'createDatabase':
        return createDatabase(params?.datasource?.url ?? datasource.url);
      case 'getDatabaseVersion':
        return (await engine()).version(params ?? null);
      case 'diff': {
        const { stdout, ...rest } = await (await engine()).diff(params);
        // The binary prints through a `print` request that the CLI writes to its stdout.
        if (stdout) send({ jsonrpc: '2.0', method: 'print', params: { content: stdout.replace(/\n$/, '') }, id: nextPrintRequestId++ });
        return rest;
      }
      case 'evaluateDataLoss':
      case 'createMigration': {
        // In the wasm build these two get no adapter factory and cannot make a shadow database;
        // they read the schema-from-migrations cache that devDiagnostic (which can) fills first.
        const instance = await engine();
        await instance.devDiagnostic({ migrationsList: params?.migrationsList, filters: params?.filters }).catch(() => {});
        return callEngine(instance, method, params);
      }
      default: {
        return (await callEngine(await engine(), method, params)) ?? {};
      }
    }
  }

  /**
   * @param {WasmSchemaEngine} instance
   * @param {string} method
   * @param {unknown} params
   */
  function callEngine(instance, method, params) {
    const fn = instance[method];
    if (typeof fn !== 'function') throw new Error(`Method ${method} is not supported by the wasm schema engine`);
    return /** @type {EngineMethod} */ (fn).call(instance, params);
  }

  // Requests are answered strictly in arrival order, as the binary does.
  let queue = Promise.resolve();
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  lines.on('line', (line) => {
    if (!line.trim()) return;
    const message = JSON.parse(line);
    if (!message.method) return; // the CLI's answer to one of our `print` requests
    queue = queue.then(async () => {
      try {
        send({ jsonrpc: '2.0', id: message.id, result: await handle(message.method, message.params) });
      } catch (error) {
        const panic = error instanceof WebAssembly.RuntimeError;
        const text = panic ? lastPanicMessage() || String(error) : error instanceof Error ? error.message : String(error);
        const details = /** @type {{ code?: unknown; meta?: unknown }} */ (error);
        send({
          jsonrpc: '2.0',
          id: message.id,
          error: {
            code: 4466,
            message: 'An error happened. Check the data field for details.',
            data: { is_panic: panic, message: text, error_code: details?.code, meta: details?.meta },
          },
        });
      }
    });
  });
  // The wasm engine leaves a timer (~10 s) pending after its advisory lock: exit explicitly.
  lines.on('close', () => {
    queue.then(disposeAdapters).finally(() => process.exit(0));
  });
}
