/**
 * `npm start`: the whole of Assay on one machine. scripts/start.mjs installs and builds, then
 * calls {@link main}. Steps: check (and install) system packages, start Redis and PostgreSQL
 * (or use REDIS_URL / DATABASE_URL when they answer), create and migrate the database, ensure
 * the development API key, run the four services under a supervisor, print the URL and key,
 * and on Ctrl-C / SIGTERM stop services first, then the servers.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from '@assay/config';
import { createPrismaClient, ensureDevApiKey } from '@assay/db';
import { AssayError, ErrorCode } from '@assay/errors';
import type { Logger } from '@assay/logger';
import { isPortFree, LOOPBACK_HOST, waitForPort } from '../net/ports';
import { ensureDatabase } from '../postgres/postgres-database';
import { redactUrl } from '../postgres/postgres-url';
import { planBackingServices, startBackingServices, type BackingServices } from '../stack/backing-services';
import { acquireDirectoryLock } from '../stack/directory-lock';
import { readEnvFile, writeEnvFile } from '../stack/env-file';
import { migrateDatabase } from '../stack/migrate-database';
import { createConsoleLogger } from '../supervisor/console-logger';
import { createLogLineFormatter } from '../supervisor/log-line-formatter';
import { ProcessSupervisor, stopOrphanedChildren, type ChildExitReport } from '../supervisor/process-supervisor';
import { ensureSystemPackages } from '../system/ensure-system-packages';
import { analysisRequirements } from '../system/system-requirement';
import { findProjectRoot } from './project-root';
import { reportError } from './report-error';
import { serviceEnvironment } from './service-env';
import { StartEnv } from './start-env';
import { StopRequest } from './stop-request';

/** The services, in start order. Only the gateway listens (on PORT). */
const SERVICES = [
  { name: 'gateway', script: 'services/gateway/dist/main.js', listens: true },
  { name: 'ingest-worker', script: 'services/ingest-worker/dist/main.js', listens: false },
  { name: 'codegen-worker', script: 'services/codegen-worker/dist/main.js', listens: false },
  { name: 'executor-worker', script: 'services/executor-worker/dist/main.js', listens: false },
] as const;

/** Time services get to shut down after SIGTERM before they are killed. */
const SERVICE_STOP_TIMEOUT_MS = 10_000;

/** How long the gateway may take to open its port before the stack says so. */
const GATEWAY_READY_TIMEOUT_MS = 60_000;

/** Options of {@link runStart}. */
export interface RunStartOptions {
  /** Repository root. */
  projectDir: string;
  /** The user's environment (settings, and variables passed through to the services). */
  env: NodeJS.ProcessEnv;
  /** Where the stack's and the services' lines go. @defaultValue process.stdout */
  stdout?: NodeJS.WriteStream | { write(text: string): unknown; isTTY?: boolean };
}

function crashBanner(exit: ChildExitReport): string {
  const what =
    exit.spawnError !== undefined
      ? `could not be started: ${exit.spawnError}`
      : `exited on its own (${exit.signal === null ? `exit code ${String(exit.code)}` : `signal ${exit.signal}`})`;
  const rule = '='.repeat(72);
  return `\n${rule}\n✖ ${exit.name} ${what}.\n  Services must run until stopped, and none is restarted: stopping the whole stack.\n  ${
    exit.lastLines.length > 0 ? `Its last output is above (lines marked "${exit.name}").` : 'It printed nothing.'
  }\n${rule}\n\n`;
}

function readyBanner(url: string, apiKey: string, devEnvFile: string, gatewayAnswered: boolean): string {
  const rule = '-'.repeat(72);
  return [
    '',
    rule,
    gatewayAnswered ? `Assay is running at ${url}` : `Assay is starting at ${url} (the gateway has not opened its port yet)`,
    `  API key:  ${apiKey}`,
    `  Both are in ${devEnvFile} (ASSAY_URL, ASSAY_API_KEY).`,
    '  Ctrl-C stops everything.',
    rule,
    '',
    '',
  ].join('\n');
}

/**
 * Runs the development stack until Ctrl-C, SIGTERM or a crash.
 *
 * @returns the exit code: 0 after a requested stop, 1 after a crash or a failed start
 */
export async function runStart(options: RunStartOptions): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const settings = parseEnv(StartEnv, options.env);
  const colorize = stdout.isTTY === true && settings.NO_COLOR === undefined;
  const logger = createConsoleLogger({ level: settings.LOG_LEVEL, colorize, stream: stdout });
  const assayDir = path.join(options.projectDir, '.assay');
  const devDir = path.join(assayDir, 'dev');
  const devEnvFile = path.join(assayDir, 'dev.env');
  const dataDir = settings.ASSAY_DATA_DIR === undefined ? path.join(assayDir, 'data') : path.resolve(settings.ASSAY_DATA_DIR);

  const stop = new StopRequest();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stop.request(0)) logger.info(`${signal} received: stopping the services, then Redis and PostgreSQL`);
    else logger.info(`${signal} received: already stopping`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Children (pipes) keep the process alive while services run; this covers the waits between.
  const keepAlive = setInterval(() => undefined, 60_000);

  let lock: ReturnType<typeof acquireDirectoryLock> | undefined;
  let backing: BackingServices | undefined;
  let supervisor: ProcessSupervisor | undefined;
  try {
    // 1. What runs where, and what the machine must provide: checked before anything changes.
    const plan = await planBackingServices({ redisUrl: settings.REDIS_URL, databaseUrl: settings.DATABASE_URL, logger });
    const { installed } = await ensureSystemPackages({ requirements: [...analysisRequirements(), ...plan.requirements], logger });
    if (installed.length > 0) logger.info(`installed ${installed.join(' ')}`);
    if (stop.isRequested) return await stop.requested;

    // 2. One stack per data directory; clear what a killed earlier run left behind.
    lock = acquireDirectoryLock(devDir, 'npm start');
    const pidFile = path.join(devDir, 'services.json');
    await stopOrphanedChildren(pidFile, { logger, timeoutMs: SERVICE_STOP_TIMEOUT_MS });
    if (!(await isPortFree(settings.PORT, '0.0.0.0'))) {
      throw new AssayError(
        ErrorCode.CONFIG_INVALID,
        `Port ${settings.PORT} is in use by another program, and the gateway needs it. Stop that program, or choose another port: PORT=${settings.PORT + 1} npm start`,
      );
    }
    const missing = SERVICES.filter((service) => !fs.existsSync(path.join(options.projectDir, service.script)));
    if (missing.length > 0) {
      throw new AssayError(
        ErrorCode.INTERNAL,
        `The build did not produce ${missing.map((service) => service.script).join(', ')}. Run "npm run build" and read its errors.`,
      );
    }

    // 3. Redis and PostgreSQL, the database and its schema.
    backing = await startBackingServices(plan, {
      dataDir: devDir,
      redisPort: settings.ASSAY_DEV_REDIS_PORT,
      postgresPort: settings.ASSAY_DEV_POSTGRES_PORT,
      logger,
      onUnexpectedExit: (name, exit) => {
        if (stop.isRequested) return;
        stdout.write(crashBanner({ name, pid: undefined, ...exit, lastLines: [] }));
        stop.request(1);
      },
    });
    if (stop.isRequested) return await stop.requested;
    const { created } = await ensureDatabase(backing.databaseUrl);
    if (created) logger.info(`created database ${redactUrl(backing.databaseUrl)}`);
    await migrateDatabase(backing.databaseUrl, { projectDir: options.projectDir, logger });
    if (stop.isRequested) return await stop.requested;

    // 4. The development API key (kept across restarts in .assay/dev.env) — provided by @assay/db.
    const existingKey = readEnvFile(devEnvFile).ASSAY_API_KEY;
    const prisma = createPrismaClient(backing.databaseUrl);
    const devKey = await ensureDevApiKey(prisma, { existingKey }).finally(() => prisma.$disconnect());
    // The gateway listens on 127.0.0.1 by default (HOST); an address, unlike "localhost", never resolves to ::1.
    const url = `http://${LOOPBACK_HOST}:${settings.PORT}`;
    writeEnvFile(devEnvFile, { ASSAY_URL: url, ASSAY_API_KEY: devKey.apiKey }, 'Written by `npm start`: the local API and its development key.');
    if (stop.isRequested) return await stop.requested;

    // 5. The services, under supervision: any exit before a requested stop stops everything.
    fs.mkdirSync(dataDir, { recursive: true });
    const formatLine = createLogLineFormatter({ colorize });
    const activeSupervisor = new ProcessSupervisor({
      logger,
      output: stdout,
      formatLine,
      stopTimeoutMs: SERVICE_STOP_TIMEOUT_MS,
      pidFile,
      onUnexpectedExit: (exit) => {
        if (stop.isRequested) return;
        stdout.write(crashBanner(exit));
        stop.request(1);
      },
    });
    supervisor = activeSupervisor;
    const shared = { DATABASE_URL: backing.databaseUrl, REDIS_URL: backing.redisUrl, ASSAY_DATA_DIR: dataDir, LOG_LEVEL: settings.LOG_LEVEL };
    for (const service of SERVICES) {
      activeSupervisor.start({
        name: service.name,
        command: process.execPath,
        args: [service.script],
        cwd: options.projectDir,
        env: serviceEnvironment(options.env, shared, service.listens ? settings.PORT : undefined),
      });
    }
    const gatewayAnswered = await waitForPort(settings.PORT, LOOPBACK_HOST, {
      timeoutMs: GATEWAY_READY_TIMEOUT_MS,
      shouldStop: () => stop.isRequested,
    });
    if (stop.isRequested) return await stop.requested;
    stdout.write(readyBanner(url, devKey.apiKey, path.relative(process.cwd(), devEnvFile) || devEnvFile, gatewayAnswered));

    return await stop.requested;
  } catch (error) {
    // After Ctrl-C, a step cut short by the same signal (e.g. the migration) is no failure.
    if (stop.isRequested) return await stop.requested;
    reportError(error);
    stop.request(1);
    return 1;
  } finally {
    await shutDown(logger, supervisor, backing);
    lock?.release();
    clearInterval(keepAlive);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Services first (SIGTERM, deadline, SIGKILL), then the servers they use. */
async function shutDown(logger: Logger, supervisor: ProcessSupervisor | undefined, backing: BackingServices | undefined): Promise<void> {
  if (supervisor) {
    const reports = await supervisor.stop();
    const killed = reports.filter((report) => report.killed).map((report) => report.name);
    if (killed.length > 0) logger.warn(`killed after ${SERVICE_STOP_TIMEOUT_MS} ms: ${killed.join(', ')}`);
  }
  if (backing) await backing.stop();
  if (supervisor || backing) logger.info('stopped');
}

/**
 * Entry point of `npm start` (called by scripts/start.mjs after install and build).
 *
 * @returns the process exit code
 */
export async function main(): Promise<number> {
  try {
    return await runStart({ projectDir: findProjectRoot(__dirname), env: process.env });
  } catch (error) {
    reportError(error);
    return 1;
  }
}

if (require.main === module) {
  void main().then((exitCode) => {
    process.exitCode = exitCode;
    // Exit even if a library left a handle open; the stack is stopped by now.
    setTimeout(() => process.exit(exitCode), 2_000).unref();
  });
}
