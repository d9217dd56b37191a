import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { findFreePort } from '../net/ports';
import { fileSize, readFileTail } from './files';
import { ManagedProcess } from './managed-process';

/** What {@link launchServer} needs to know about one kind of server. */
export interface LaunchServerOptions {
  /** Names the server in messages ("PostgreSQL"). */
  name: string;
  /** Program to run. */
  command: string;
  /** Its arguments for a given port. */
  argsForPort: (port: number) => string[];
  /** Its environment (keep it minimal: servers do not need the user's secrets). */
  env: NodeJS.ProcessEnv;
  /** Run as this user and group (root only). */
  runAs?: { uid: number; gid: number };
  /** The server's stdout and stderr are appended to this file. */
  logFile: string;
  /** Port to try first; 0 means any free port. */
  preferredPort: number;
  /** Give the server its own process group (see {@link ManagedProcess}). */
  ownProcessGroup: boolean;
  /** Resolves true once the server answers on the port. */
  isReady: (port: number) => Promise<boolean>;
  /** True when the log text says the port was taken (another port is then tried). */
  isPortConflict: (logText: string) => boolean;
  /** Give up after this long. */
  readyTimeoutMs: number;
}

/** A server that answered on `port`. */
export interface LaunchedServer {
  process: ManagedProcess;
  port: number;
}

/** Tries with another free port this many times when a port is taken between check and bind. */
const PORT_ATTEMPTS = 3;

/** Log files bigger than this are moved aside (`.1`) before a start, so logs do not grow forever. */
const MAX_LOG_BYTES = 10_000_000;

function rotateLog(file: string): void {
  if (fileSize(file) > MAX_LOG_BYTES) fs.renameSync(file, `${file}.1`);
}

function startOnce(options: LaunchServerOptions, port: number): ManagedProcess {
  const logFd = fs.openSync(options.logFile, 'a', 0o600);
  try {
    const child = spawn(options.command, options.argsForPort(port), {
      env: options.env,
      uid: options.runAs?.uid,
      gid: options.runAs?.gid,
      detached: options.ownProcessGroup,
      stdio: ['ignore', logFd, logFd],
    });
    // The pipe-less child must not keep this process alive on its own.
    child.unref();
    return new ManagedProcess(child, options.ownProcessGroup);
  } finally {
    fs.closeSync(logFd);
  }
}

/**
 * Starts a server process on a free port and waits until it answers. On failure it stops what
 * it started and throws an error quoting the server's log.
 */
export async function launchServer(options: LaunchServerOptions): Promise<LaunchedServer> {
  rotateLog(options.logFile);
  let port = await findFreePort(options.preferredPort);
  for (let attempt = 1; ; attempt += 1) {
    const logOffset = fileSize(options.logFile);
    const server = startOnce(options, port);
    const deadline = Date.now() + options.readyTimeoutMs;
    let failure: string | undefined;
    while (failure === undefined) {
      if (!server.running) {
        const exit = await server.exited;
        failure = `exited during start-up (code ${String(exit.code)}, signal ${String(exit.signal)})`;
        break;
      }
      if (await options.isReady(port)) return { process: server, port };
      if (Date.now() >= deadline) {
        failure = `did not answer on port ${port} within ${options.readyTimeoutMs} ms`;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await server.stop([{ signal: 'SIGTERM', waitMs: 5_000 }]);
    const log = readFileTail(options.logFile, logOffset);
    if (attempt < PORT_ATTEMPTS && options.isPortConflict(log)) {
      port = await findFreePort(0);
      continue;
    }
    throw new Error(`${options.name} ${failure}. Its log (${options.logFile}) ends with:\n${log.trimEnd() || '(nothing)'}`);
  }
}
