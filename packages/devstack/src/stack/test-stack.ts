import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger, type Logger } from '@assay/logger';
import { dropDatabase, ensureDatabase } from '../postgres/postgres-database';
import { removePostgresDir } from '../postgres/postgres-server';
import { redactUrl, withDatabase } from '../postgres/postgres-url';
import { isProcessAlive } from '../process/process-info';
import { deleteKeysWithPrefix } from '../redis/redis-client';
import { removeRedisDir } from '../redis/redis-server';
import { ensureSystemPackages } from '../system/ensure-system-packages';
import { analysisRequirements } from '../system/system-requirement';
import { planBackingServices, startBackingServices, type BackingServices } from './backing-services';
import { migrateDatabase } from './migrate-database';

/** Options of {@link startTestStack}. */
export interface TestStackOptions {
  /** Repository root: runs keep their servers under `<projectDir>/.assay/test`, migrations come from its prisma files. */
  projectDir: string;
  /** A Redis to use instead of a local one, when it answers (keys are then namespaced by the run's prefix). */
  redisUrl?: string;
  /** A PostgreSQL to use instead of a local one, when it answers (the run then creates its own database there). */
  databaseUrl?: string;
  /**
   * Check the Python analysis stack and bubblewrap, so that kernel tests can run; missing
   * packages fail the setup with the command that installs them.
   * @defaultValue true
   */
  checkAnalysisEnvironment?: boolean;
  /** @defaultValue a silent logger */
  logger?: Logger;
}

/** What test files get from the stack, as environment variables. */
export interface TestStackEnv {
  /** A fresh database, migrated, used by this run only. */
  DATABASE_URL: string;
  /** Redis for this run. */
  REDIS_URL: string;
  /** Prefix of every Redis key of this run (unique per run). */
  ASSAY_KEY_PREFIX: string;
  /** A fresh, empty directory for this run's files (blobs, workspaces). */
  ASSAY_TEST_DATA_DIR: string;
  /** Index signature: the object is merged into `process.env`. */
  [name: string]: string;
}

/** Backing services of one test run; {@link stop} removes everything it created. */
export interface TestStack {
  readonly env: TestStackEnv;
  /** This run's directory under `.assay/test`. */
  readonly runDir: string;
  /** Drops the run's database, deletes its keys and files, stops its servers. Idempotent. */
  stop(): Promise<void>;
}

const RUN_DIR_PREFIX = 'run-';

/** File in a run's directory naming its data directory (kept outside: socket paths must stay short). */
const DATA_DIR_RECORD = 'test-data-dir';

/** Prefix of the runs' data directories in the system temp directory. */
const DATA_DIR_PREFIX = 'assay-test-';

/** The data directory a run recorded, if it is one this module creates. */
function readDataDirRecord(runDir: string): string | undefined {
  try {
    const recorded = fs.readFileSync(path.join(runDir, DATA_DIR_RECORD), 'utf8').trim();
    return path.dirname(recorded) === os.tmpdir() && path.basename(recorded).startsWith(DATA_DIR_PREFIX) ? recorded : undefined;
  } catch {
    return undefined;
  }
}

/** Removes the directories (and stops the servers) of earlier runs whose process is gone. */
async function removeStaleRuns(testRoot: string, logger: Logger): Promise<void> {
  let entries: string[];
  try {
    entries = fs.readdirSync(testRoot).filter((entry) => entry.startsWith(RUN_DIR_PREFIX));
  } catch {
    return;
  }
  for (const entry of entries) {
    const runDir = path.join(testRoot, entry);
    // The owner's pid is in the name (`run-<pid>-<id>`), so a directory is never without one.
    const owner = Number(entry.slice(RUN_DIR_PREFIX.length).split('-')[0]);
    if (Number.isInteger(owner) && owner > 0 && isProcessAlive(owner)) continue;
    logger.info({ runDir }, 'removing the leftovers of an earlier test run');
    await removeRedisDir(path.join(runDir, 'redis'), logger);
    await removePostgresDir(path.join(runDir, 'postgres'), logger);
    const dataDir = readDataDirRecord(runDir);
    if (dataDir !== undefined) fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(runDir, { recursive: true, force: true });
  }
}

/**
 * Starts what the test suites need, for one jest run: Redis and PostgreSQL (the given URLs when
 * they answer, else throw-away local servers on free ports under `.assay/test/run-*`), a fresh
 * migrated database `assay_test_<id>`, a unique Redis key prefix and an empty data directory.
 * Several runs can go on at once; leftovers of runs that were killed are removed first.
 *
 * @example
 * const stack = await startTestStack({ projectDir, redisUrl: process.env.REDIS_URL, databaseUrl: process.env.DATABASE_URL });
 * Object.assign(process.env, stack.env);
 * // ... run the tests
 * await stack.stop();
 */
export async function startTestStack(options: TestStackOptions): Promise<TestStack> {
  const logger = options.logger ?? createLogger({ name: 'devstack', level: 'silent' });
  const testRoot = path.join(options.projectDir, '.assay', 'test');
  fs.mkdirSync(testRoot, { recursive: true });
  await removeStaleRuns(testRoot, logger).catch((error: unknown) => logger.warn({ err: error }, 'could not remove an earlier test run'));

  const runId = crypto.randomBytes(5).toString('hex');
  const runDir = path.join(testRoot, `${RUN_DIR_PREFIX}${process.pid}-${runId}`);
  fs.mkdirSync(runDir, { recursive: true });

  let services: BackingServices | undefined;
  let dataDir: string | undefined;
  let databaseUrl: string | undefined;
  const keyPrefix = `assay-test-${runId}`;
  const cleanUp = async (): Promise<void> => {
    // On the user's servers, remove what the run created there; local servers go as a whole.
    if (services && !services.postgres && databaseUrl !== undefined) {
      await dropDatabase(databaseUrl).catch((error: unknown) => logger.warn({ err: error }, 'could not drop the test database'));
    }
    if (services && !services.redis) {
      await deleteKeysWithPrefix(services.redisUrl, keyPrefix).catch((error: unknown) =>
        logger.warn({ err: error }, 'could not delete the test run keys'),
      );
    }
    await services?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(runDir, { recursive: true, force: true });
  };
  try {
    const plan = await planBackingServices({ redisUrl: options.redisUrl, databaseUrl: options.databaseUrl, logger });
    // The Python check takes a second or two: it runs while the servers start.
    const [checked, started] = await Promise.allSettled([
      ensureSystemPackages({
        requirements: [...(options.checkAnalysisEnvironment === false ? [] : analysisRequirements()), ...plan.requirements],
        install: false,
        logger,
      }),
      startBackingServices(plan, { dataDir: runDir, ephemeral: true, ownProcessGroup: false, logger }),
    ]);
    if (started.status === 'fulfilled') services = started.value;
    if (checked.status === 'rejected') throw checked.reason;
    if (started.status === 'rejected') throw started.reason;
    if (services === undefined) throw new Error('The backing services did not start.');

    databaseUrl = withDatabase(services.databaseUrl, `assay_test_${runId}`);
    await ensureDatabase(databaseUrl);
    await migrateDatabase(databaseUrl, { projectDir: options.projectDir, logger });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), DATA_DIR_PREFIX));
    fs.writeFileSync(path.join(runDir, DATA_DIR_RECORD), `${dataDir}\n`);
    const env: TestStackEnv = {
      DATABASE_URL: databaseUrl,
      REDIS_URL: services.redisUrl,
      ASSAY_KEY_PREFIX: keyPrefix,
      ASSAY_TEST_DATA_DIR: dataDir,
    };
    logger.info(
      { redis: redactUrl(env.REDIS_URL), database: redactUrl(env.DATABASE_URL), keyPrefix: env.ASSAY_KEY_PREFIX, dataDir },
      'test stack ready',
    );

    let stopping: Promise<void> | undefined;
    const stopStack = async (): Promise<void> => {
      await cleanUp();
      logger.info('test stack stopped');
    };
    return {
      env,
      runDir,
      stop: () => {
        stopping ??= stopStack();
        return stopping;
      },
    };
  } catch (error) {
    await cleanUp().catch(() => undefined);
    throw error;
  }
}
