import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger, type Logger } from '@assay/logger';
import { POSTGRES_SUPERUSER, SERVER_READY_TIMEOUT_MS, SERVER_STOP_TIMEOUT_MS } from '../consts';
import { EnvironmentMissingError } from '../errors/environment-missing-error';
import { LOOPBACK_HOST } from '../net/ports';
import { formatAptInstallCommand } from '../system/apt-command';
import { readOrCreateSecret, readPidFile } from '../process/files';
import { launchServer } from '../process/launch-server';
import type { ManagedProcess, ProcessExit } from '../process/managed-process';
import { isProcessAlive, readProcessArgv, stopOrphanProcess } from '../process/process-info';
import { runCommand } from '../process/run-command';
import { canUserWrite, findSystemUser, type SystemUser } from '../process/system-user';
import { findPostgresBinaries, type PostgresBinaries } from './postgres-binaries';
import { probePostgres } from './postgres-database';
import { buildPostgresUrl } from './postgres-url';

/** Options of {@link startPostgres}. */
export interface PostgresServerOptions {
  /**
   * Directory of this server: its password, its log and (normally) its data directory `data/`.
   * Created when missing; a later start on the same directory finds the same data.
   */
  dir: string;
  /**
   * Port on 127.0.0.1 to try first; when taken, a free port is used instead. 0 picks any free port.
   * @defaultValue 0
   */
  port?: number;
  /**
   * A throw-away server for tests: no fsync, and its data is deleted by {@link PostgresServer.stop}.
   * @defaultValue false
   */
  ephemeral?: boolean;
  /**
   * Start the server in its own process group, so that a terminal's Ctrl-C reaches only the
   * supervisor, which stops the services before their database. Without it the server stops
   * together with the process that started it on Ctrl-C.
   * @defaultValue true
   */
  ownProcessGroup?: boolean;
  /** Server programs to use. @defaultValue the newest installed ({@link findPostgresBinaries}) */
  binaries?: PostgresBinaries;
  /** How long start-up may take. @defaultValue 30_000 */
  readyTimeoutMs?: number;
  /** How long a clean (fast) shutdown may take before the server is killed. @defaultValue 20_000 */
  stopTimeoutMs?: number;
  /** Called when the server exits without being asked to. */
  onUnexpectedExit?: (exit: ProcessExit) => void;
  /** @defaultValue a silent logger */
  logger?: Logger;
}

/** Where a root-run server keeps its data when the `postgres` user cannot reach `dir` (e.g. under /root). */
const ROOT_FALLBACK_BASE = '/var/lib/assay';

/** The postgres server refuses to run as root; as root, the stack runs it as this system user. */
const POSTGRES_SYSTEM_USER = 'postgres';

/** Settings that trade durability for speed; only for ephemeral (test) servers. */
const EPHEMERAL_SETTINGS = ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off'];

/**
 * Data directory used when the `postgres` user cannot write below `dir`: a directory under
 * /var/lib/assay named after `dir`, so that every start on `dir` finds the same one.
 */
export function fallbackPostgresDataDir(dir: string): string {
  const digest = crypto.createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 16);
  return path.join(ROOT_FALLBACK_BASE, `postgres-${digest}`, 'data');
}

async function serverUser(): Promise<SystemUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const user = await findSystemUser(POSTGRES_SYSTEM_USER);
  if (user === undefined) {
    throw new EnvironmentMissingError(
      'PostgreSQL refuses to run as root, and there is no "postgres" system user to run it as. ' +
        `Install Debian's package, which creates it:\n\n    ${formatAptInstallCommand(['postgresql'])}\n\n` +
        'or create the user: useradd --system --user-group --home-dir /var/lib/postgresql postgres',
      { packages: ['postgresql'], installCommand: formatAptInstallCommand(['postgresql']) },
    );
  }
  return user;
}

function makeOwnedDir(dir: string, user: SystemUser | undefined): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  if (user) fs.chownSync(dir, user.uid, user.gid);
}

/** Picks the data directory: `<dir>/data`, or the fallback when the server's user cannot write there. */
async function chooseDataDir(dir: string, user: SystemUser | undefined, logger: Logger): Promise<string> {
  const preferred = path.join(dir, 'data');
  if (user === undefined) return preferred;
  // The server's user must be able to walk into `dir` to reach `data/`; the password file stays 0600.
  fs.chmodSync(dir, 0o755);
  makeOwnedDir(preferred, user);
  if (await canUserWrite(user, preferred)) return preferred;
  fs.rmSync(preferred, { recursive: true, force: true });
  const fallback = fallbackPostgresDataDir(dir);
  fs.mkdirSync(path.dirname(fallback), { recursive: true, mode: 0o755 });
  makeOwnedDir(fallback, user);
  logger.info(
    { dataDir: fallback },
    `the "${user.name}" user cannot enter ${dir} (a parent directory is private), so PostgreSQL keeps its data in ${fallback}`,
  );
  return fallback;
}

/** Deletes a server directory and, when the data lived in a fallback location, that too. */
function removeDataDir(dir: string, dataDir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  if (!dataDir.startsWith(`${dir}${path.sep}`)) fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
}

function isInitialized(dataDir: string): boolean {
  return fs.existsSync(path.join(dataDir, 'PG_VERSION'));
}

/** Stops a postmaster still running on `dataDir` from an earlier run, and removes a stale pid file. */
async function clearLeftoverServer(dataDir: string, postgresPath: string, logger: Logger): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  const pid = readPidFile(pidFile);
  if (pid === undefined) return;
  const isOurServer = (argv: readonly string[]): boolean =>
    (argv[0] === postgresPath || path.basename(argv[0] ?? '') === 'postgres') && argv.includes(dataDir);
  await stopOrphanProcess(pid, { matches: isOurServer, signal: 'SIGINT', description: 'PostgreSQL', logger, timeoutMs: SERVER_STOP_TIMEOUT_MS });
  const argv = readProcessArgv(pid);
  if (!isProcessAlive(pid) || argv === undefined || !isOurServer(argv)) fs.rmSync(pidFile, { force: true });
}

async function initCluster(
  binaries: PostgresBinaries,
  dataDir: string,
  password: string,
  user: SystemUser | undefined,
  ephemeral: boolean,
): Promise<void> {
  const pwDir = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-pg-'));
  const pwFile = path.join(pwDir, 'pw');
  try {
    fs.writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
    if (user) {
      fs.chownSync(pwDir, user.uid, user.gid);
      fs.chownSync(pwFile, user.uid, user.gid);
    }
    const args = [
      '-D', dataDir,
      '-U', POSTGRES_SUPERUSER,
      `--pwfile=${pwFile}`,
      // Password authentication everywhere: never "trust", not even on the loopback.
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      '--no-locale',
      '--no-instructions',
      ...(ephemeral ? ['--no-sync'] : []),
    ];
    const result = await runCommand(binaries.initdb, args, {
      uid: user?.uid,
      gid: user?.gid,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      timeoutMs: 120_000,
    });
    if (result.exitCode !== 0) {
      throw new Error(`initdb failed for ${dataDir} (exit code ${String(result.exitCode)}):\n${result.stdout}${result.stderr}`);
    }
  } finally {
    fs.rmSync(pwDir, { recursive: true, force: true });
  }
}

/**
 * A PostgreSQL server this process started from the system's binaries, listening on
 * 127.0.0.1 only, with a generated password (kept in its directory) for the superuser `assay`.
 */
export class PostgresServer {
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly process: ManagedProcess,
    /** Port on 127.0.0.1. */
    readonly port: number,
    /** The cluster's data directory (PGDATA). */
    readonly dataDir: string,
    private readonly password: string,
    private readonly options: Required<Pick<PostgresServerOptions, 'dir' | 'ephemeral' | 'stopTimeoutMs'>> & { logger: Logger },
  ) {}

  /** Starts (and on first use initializes) a server; see {@link startPostgres}. */
  static async start(options: PostgresServerOptions): Promise<PostgresServer> {
    const dir = path.resolve(options.dir);
    const ephemeral = options.ephemeral ?? false;
    const logger = options.logger ?? createLogger({ name: 'devstack', level: 'silent' });
    const stopTimeoutMs = options.stopTimeoutMs ?? SERVER_STOP_TIMEOUT_MS;
    const binaries = options.binaries ?? findPostgresBinaries();
    if (binaries === undefined) {
      const command = formatAptInstallCommand(['postgresql']);
      throw new EnvironmentMissingError(`PostgreSQL's server programs are not installed. Install them with:\n\n    ${command}`, {
        packages: ['postgresql'],
        installCommand: command,
      });
    }
    const user = await serverUser();

    // Parents get the default mode (the server's user may need to walk through them).
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const passwordFile = path.join(dir, 'password');
    const hadPassword = fs.existsSync(passwordFile);
    const password = readOrCreateSecret(passwordFile);
    const dataDir = await chooseDataDir(dir, user, logger);
    await clearLeftoverServer(dataDir, binaries.postgres, logger);

    if (isInitialized(dataDir) && !hadPassword) {
      // Its password is gone (the directory was partly deleted): nobody can log in any more.
      logger.warn({ dataDir }, 'PostgreSQL data without its password file: creating a new, empty cluster');
      fs.rmSync(dataDir, { recursive: true, force: true });
    } else if (!isInitialized(dataDir)) {
      // A half-made cluster (initdb interrupted) cannot be completed: start over.
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
    if (isInitialized(dataDir)) {
      const version = Number(fs.readFileSync(path.join(dataDir, 'PG_VERSION'), 'utf8').trim());
      if (binaries.majorVersion !== 0 && version !== binaries.majorVersion) {
        throw new EnvironmentMissingError(
          `${dataDir} holds a PostgreSQL ${version} cluster, but the installed server is PostgreSQL ${binaries.majorVersion}. ` +
            `Install postgresql-${version}, or delete ${dir} to start with an empty database.`,
        );
      }
    } else {
      makeOwnedDir(dataDir, user);
      logger.info({ dataDir }, 'creating a PostgreSQL cluster');
      await initCluster(binaries, dataDir, password, user, ephemeral);
    }

    const urlFor = (port: number, database: string): string =>
      buildPostgresUrl({ user: POSTGRES_SUPERUSER, password, host: LOOPBACK_HOST, port, database });
    const launch = launchServer({
      name: 'PostgreSQL',
      command: binaries.postgres,
      argsForPort: (port) => [
        '-D', dataDir,
        '-p', String(port),
        '-c', `listen_addresses=${LOOPBACK_HOST}`,
        // TCP only: Unix sockets would need a short path and a second authentication rule.
        '-c', 'unix_socket_directories=',
        ...EPHEMERAL_SETTINGS.flatMap((setting) => (ephemeral ? ['-c', setting] : [])),
      ],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      runAs: user,
      logFile: path.join(dir, 'postgres.log'),
      preferredPort: options.port ?? 0,
      ownProcessGroup: options.ownProcessGroup ?? true,
      isReady: async (port) => (await probePostgres(urlFor(port, 'postgres'), 1_000)).reachable,
      isPortConflict: (log) => /could not bind|Address already in use/i.test(log),
      readyTimeoutMs: options.readyTimeoutMs ?? SERVER_READY_TIMEOUT_MS,
    });
    const launched = await launch.catch((error: unknown) => {
      if (ephemeral) removeDataDir(dir, dataDir);
      throw error;
    });
    const server = new PostgresServer(launched.process, launched.port, dataDir, password, { dir, ephemeral, stopTimeoutMs, logger });
    void launched.process.exited.then((exit) => {
      if (!launched.process.isStopping) options.onUnexpectedExit?.(exit);
    });
    logger.info({ port: launched.port, dataDir, pid: launched.process.pid }, `PostgreSQL is listening on ${LOOPBACK_HOST}:${launched.port}`);
    return server;
  }

  /** Process id of the postmaster. */
  get pid(): number | undefined {
    return this.process.pid;
  }

  /** URL of the maintenance database `postgres`, as the cluster's superuser. */
  get url(): string {
    return this.urlFor('postgres');
  }

  /** URL of `database` on this server, as the cluster's superuser (the database may not exist yet). */
  urlFor(database: string): string {
    return buildPostgresUrl({ user: POSTGRES_SUPERUSER, password: this.password, host: LOOPBACK_HOST, port: this.port, database });
  }

  /**
   * Stops the server with a fast shutdown (open sessions are ended), killing it if that takes
   * longer than `stopTimeoutMs`; an ephemeral server's data is then deleted. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= this.runStop();
    return this.stopping;
  }

  private async runStop(): Promise<void> {
    const result = await this.process.stop([
      { signal: 'SIGINT', waitMs: this.options.stopTimeoutMs },
      { signal: 'SIGQUIT', waitMs: 5_000 },
    ]);
    if (result.forced) this.options.logger.warn({ signal: result.lastSignalSent }, 'PostgreSQL did not stop in time and was killed');
    else this.options.logger.info('PostgreSQL stopped');
    if (this.options.ephemeral) removeDataDir(this.options.dir, this.dataDir);
  }
}

/**
 * Deletes a server directory that no process uses any more (e.g. a crashed test run's), after
 * stopping a server still running on it; its fallback data directory, if any, goes too.
 */
export async function removePostgresDir(dir: string, logger: Logger): Promise<void> {
  const resolved = path.resolve(dir);
  const fallback = fallbackPostgresDataDir(resolved);
  for (const dataDir of [path.join(resolved, 'data'), fallback]) {
    const binaries = findPostgresBinaries();
    if (fs.existsSync(dataDir)) await clearLeftoverServer(dataDir, binaries?.postgres ?? 'postgres', logger);
  }
  fs.rmSync(resolved, { recursive: true, force: true });
  fs.rmSync(path.dirname(fallback), { recursive: true, force: true });
}

/**
 * Starts a PostgreSQL server from the system's binaries with its data under `options.dir`,
 * creating the cluster on first use. As root it runs as the `postgres` system user.
 * A server left running on the same directory by a crashed run is stopped first.
 *
 * @example
 * const postgres = await startPostgres({ dir: '.assay/dev/postgres', port: 55432 });
 * const url = postgres.urlFor('assay');
 * await postgres.stop();
 */
export function startPostgres(options: PostgresServerOptions): Promise<PostgresServer> {
  return PostgresServer.start(options);
}
