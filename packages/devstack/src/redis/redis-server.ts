import fs from 'node:fs';
import path from 'node:path';
import { createLogger, type Logger } from '@assay/logger';
import { SERVER_READY_TIMEOUT_MS, SERVER_STOP_TIMEOUT_MS } from '../consts';
import { EnvironmentMissingError } from '../errors/environment-missing-error';
import { LOOPBACK_HOST } from '../net/ports';
import { readOrCreateSecret, readPidFile } from '../process/files';
import { launchServer } from '../process/launch-server';
import type { ManagedProcess, ProcessExit } from '../process/managed-process';
import { stopOrphanProcess } from '../process/process-info';
import { formatAptInstallCommand } from '../system/apt-command';
import { findExecutable } from '../system/find-executable';
import { probeRedis } from './redis-client';

/** Options of {@link startRedis}. */
export interface RedisServerOptions {
  /** Directory of this server: configuration, password, append-only file, log. Created when missing. */
  dir: string;
  /**
   * Port on 127.0.0.1 to try first; when taken, a free port is used instead. 0 picks any free port.
   * @defaultValue 0
   */
  port?: number;
  /**
   * A throw-away server for tests: nothing written to disk, directory deleted by {@link RedisServer.stop}.
   * @defaultValue false
   */
  ephemeral?: boolean;
  /** Start the server in its own process group, so that a terminal's Ctrl-C reaches only the supervisor, which stops the services first. @defaultValue true */
  ownProcessGroup?: boolean;
  /** The redis-server program. @defaultValue found on PATH or in /usr/bin, /usr/sbin */
  redisServerPath?: string;
  /** How long start-up may take. @defaultValue 30_000 */
  readyTimeoutMs?: number;
  /** How long a clean shutdown may take before the server is killed. @defaultValue 20_000 */
  stopTimeoutMs?: number;
  /** Called when the server exits without being asked to. */
  onUnexpectedExit?: (exit: ProcessExit) => void;
  /** @defaultValue a silent logger */
  logger?: Logger;
}

/** Stops a redis-server still running on `dir` from an earlier run (its pid file says which). */
async function stopLeftoverRedis(dir: string, logger: Logger): Promise<void> {
  const leftover = readPidFile(path.join(dir, 'redis.pid'));
  if (leftover === undefined) return;
  await stopOrphanProcess(leftover, {
    // redis-server rewrites its title to "redis-server 127.0.0.1:port".
    matches: (argv) => path.basename(argv[0] ?? '').startsWith('redis-server'),
    description: 'Redis',
    logger,
    timeoutMs: SERVER_STOP_TIMEOUT_MS,
  });
}

/** Deletes a server directory no process uses any more, after stopping a server still running on it. */
export async function removeRedisDir(dir: string, logger: Logger): Promise<void> {
  await stopLeftoverRedis(path.resolve(dir), logger);
  fs.rmSync(dir, { recursive: true, force: true });
}

/** redis.conf for a loopback-only, password-protected server whose files stay in `dir`. */
export function renderRedisConfig(settings: { dir: string; port: number; password: string; ephemeral: boolean }): string {
  const persistence = settings.ephemeral
    ? ['appendonly no', 'save ""']
    : // Every write reaches the append-only file within a second; a clean stop flushes it.
      ['appendonly yes', 'appendfsync everysec', 'save ""'];
  return [
    '# Written by @assay/devstack on every start; edits are overwritten.',
    `bind ${LOOPBACK_HOST}`,
    `port ${settings.port}`,
    'protected-mode yes',
    'daemonize no',
    'supervised no',
    `dir ${JSON.stringify(settings.dir)}`,
    `pidfile ${JSON.stringify(path.join(settings.dir, 'redis.pid'))}`,
    'logfile ""',
    `requirepass ${JSON.stringify(settings.password)}`,
    ...persistence,
    '',
  ].join('\n');
}

/**
 * A Redis server this process started from the system's `redis-server`, listening on
 * 127.0.0.1 only, with a generated password kept in its directory.
 */
export class RedisServer {
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly process: ManagedProcess,
    /** Port on 127.0.0.1. */
    readonly port: number,
    /** `redis://:password@127.0.0.1:port/0` */
    readonly url: string,
    private readonly options: { dir: string; ephemeral: boolean; stopTimeoutMs: number; logger: Logger },
  ) {}

  /** Starts a server; see {@link startRedis}. */
  static async start(options: RedisServerOptions): Promise<RedisServer> {
    const dir = path.resolve(options.dir);
    const ephemeral = options.ephemeral ?? false;
    const logger = options.logger ?? createLogger({ name: 'devstack', level: 'silent' });
    const redisServerPath = options.redisServerPath ?? findExecutable('redis-server');
    if (redisServerPath === undefined) {
      const command = formatAptInstallCommand(['redis-server']);
      throw new EnvironmentMissingError(`redis-server is not installed. Install it with:\n\n    ${command}`, {
        packages: ['redis-server'],
        installCommand: command,
      });
    }
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const password = readOrCreateSecret(path.join(dir, 'password'));
    const configFile = path.join(dir, 'redis.conf');

    await stopLeftoverRedis(dir, logger);

    const urlFor = (port: number): string => `redis://:${encodeURIComponent(password)}@${LOOPBACK_HOST}:${port}/0`;
    const launched = await launchServer({
      name: 'Redis',
      command: redisServerPath,
      argsForPort: (port) => {
        fs.writeFileSync(configFile, renderRedisConfig({ dir, port, password, ephemeral }), { mode: 0o600 });
        return [configFile];
      },
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      logFile: path.join(dir, 'redis.log'),
      preferredPort: options.port ?? 0,
      ownProcessGroup: options.ownProcessGroup ?? true,
      isReady: async (port) => (await probeRedis(urlFor(port), 1_000)).reachable,
      isPortConflict: (log) => /Address already in use|Could not create server TCP listening socket/i.test(log),
      readyTimeoutMs: options.readyTimeoutMs ?? SERVER_READY_TIMEOUT_MS,
    });
    const server = new RedisServer(launched.process, launched.port, urlFor(launched.port), {
      dir,
      ephemeral,
      stopTimeoutMs: options.stopTimeoutMs ?? SERVER_STOP_TIMEOUT_MS,
      logger,
    });
    void launched.process.exited.then((exit) => {
      if (!launched.process.isStopping) options.onUnexpectedExit?.(exit);
    });
    logger.info({ port: launched.port, dir, pid: launched.process.pid }, `Redis is listening on ${LOOPBACK_HOST}:${launched.port}`);
    return server;
  }

  /** Process id of the server. */
  get pid(): number | undefined {
    return this.process.pid;
  }

  /**
   * Stops the server (SIGTERM: it flushes the append-only file and exits), killing it if that
   * takes longer than `stopTimeoutMs`; an ephemeral server's directory is then deleted. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= this.runStop();
    return this.stopping;
  }

  private async runStop(): Promise<void> {
    const result = await this.process.stop([{ signal: 'SIGTERM', waitMs: this.options.stopTimeoutMs }]);
    if (result.forced) this.options.logger.warn({ signal: result.lastSignalSent }, 'Redis did not stop in time and was killed');
    else this.options.logger.info('Redis stopped');
    if (this.options.ephemeral) fs.rmSync(this.options.dir, { recursive: true, force: true });
  }
}

/**
 * Starts a Redis server from the system's `redis-server` with its files under `options.dir`.
 * A non-ephemeral server keeps its data in an append-only file, so a later start on the same
 * directory finds it. A server left running on the same directory by a crashed run is stopped first.
 *
 * @example
 * const redis = await startRedis({ dir: '.assay/dev/redis', port: 56379 });
 * console.log(redis.url);
 * await redis.stop();
 */
export function startRedis(options: RedisServerOptions): Promise<RedisServer> {
  return RedisServer.start(options);
}
