import pg from 'pg';
import { PROBE_TIMEOUT_MS } from '../consts';
import { databaseNameOf, withDatabase } from './postgres-url';

/** What a probe of a PostgreSQL URL found. */
export type PostgresProbe =
  | { reachable: true; databaseExists: boolean }
  | { reachable: false; reason: string };

/** SQLSTATE of "database does not exist" (raised after authentication succeeded). */
const INVALID_CATALOG_NAME = '3D000';
/** SQLSTATE of "database already exists". */
const DUPLICATE_DATABASE = '42P04';

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    // AggregateError (IPv4 + IPv6 refused) carries the useful text in its parts.
    const parts = (error as Partial<AggregateError>).errors;
    if (error.message === '' && Array.isArray(parts)) return parts.map((part) => describeError(part)).join('; ');
    return error.message;
  }
  return String(error);
}

async function withClient<T>(databaseUrl: string, timeoutMs: number, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: timeoutMs });
  // An error after connect (server shutting down) must not crash the process.
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Connects to the URL and runs `SELECT 1`. A missing database still counts as reachable (the
 * server accepted the credentials first); anything else that fails is reported with its reason.
 */
export async function probePostgres(databaseUrl: string, timeoutMs: number = PROBE_TIMEOUT_MS): Promise<PostgresProbe> {
  try {
    await withClient(databaseUrl, timeoutMs, (client) => client.query('SELECT 1'));
    return { reachable: true, databaseExists: true };
  } catch (error) {
    if (errorCode(error) === INVALID_CATALOG_NAME) return { reachable: true, databaseExists: false };
    return { reachable: false, reason: describeError(error) };
  }
}

/** Databases tried, in order, to run CREATE/DROP DATABASE from. */
const MAINTENANCE_DATABASES = ['postgres', 'template1'];

async function withMaintenanceClient<T>(databaseUrl: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  let lastError: unknown;
  for (const maintenance of MAINTENANCE_DATABASES) {
    try {
      return await withClient(withDatabase(databaseUrl, maintenance), PROBE_TIMEOUT_MS * 3, run);
    } catch (error) {
      if (errorCode(error) !== INVALID_CATALOG_NAME) throw error;
      lastError = error;
    }
  }
  throw lastError;
}

/**
 * Creates the database a URL names when it does not exist, using the same credentials
 * (which must be allowed to create databases).
 *
 * @returns whether it was created by this call
 */
export async function ensureDatabase(databaseUrl: string): Promise<{ created: boolean }> {
  const probe = await probePostgres(databaseUrl, PROBE_TIMEOUT_MS * 3);
  if (!probe.reachable) throw new Error(`PostgreSQL is not reachable: ${probe.reason}`);
  if (probe.databaseExists) return { created: false };
  const name = databaseNameOf(databaseUrl);
  try {
    await withMaintenanceClient(databaseUrl, (client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`));
    return { created: true };
  } catch (error) {
    if (errorCode(error) === DUPLICATE_DATABASE) return { created: false };
    throw error;
  }
}

/** Drops the database a URL names, disconnecting its sessions first; no error when it is gone. */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  const name = databaseNameOf(databaseUrl);
  await withMaintenanceClient(databaseUrl, (client) =>
    client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`),
  );
}
