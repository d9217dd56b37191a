import fs from 'node:fs';
import type { Logger } from '@assay/logger';

/**
 * True when a process with this pid exists and is not a zombie. A zombie counts as gone: on
 * machines whose pid 1 does not reap orphans, a dead server can linger as one.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ..." — comm may contain spaces and parentheses, the state follows the last ")".
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    // No /proc (or the process just vanished): trust kill(0).
    return true;
  }
}

/** The argument vector of a running process, or undefined when it cannot be read. */
export function readProcessArgv(pid: number): string[] | undefined {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((part) => part.length > 0);
  } catch {
    return undefined;
  }
}

/** Resolves true once the process is gone, false when `timeoutMs` passed first. */
export async function waitForProcessExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/** Options of {@link stopOrphanProcess}. */
export interface StopOrphanOptions {
  /** Only a process whose argv satisfies this is touched (guards against pid reuse). */
  matches: (argv: readonly string[]) => boolean;
  /** Signal asking for a clean shutdown. @defaultValue "SIGTERM" */
  signal?: NodeJS.Signals;
  /** Time allowed for the clean shutdown before SIGKILL. @defaultValue 10_000 */
  timeoutMs?: number;
  /** Names the process in log lines. */
  description: string;
  logger: Logger;
}

/**
 * Stops a process left behind by an earlier run that died without cleaning up (for example a
 * supervisor killed with SIGKILL), if it is still running and still the same program.
 *
 * @returns true when such a process was found and stopped
 */
export async function stopOrphanProcess(pid: number, options: StopOrphanOptions): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid || !isProcessAlive(pid)) return false;
  const argv = readProcessArgv(pid);
  if (argv === undefined || !options.matches(argv)) return false;
  options.logger.warn(`stopping ${options.description} (pid ${pid}) left running by an earlier run`);
  try {
    process.kill(pid, options.signal ?? 'SIGTERM');
  } catch {
    return false;
  }
  if (await waitForProcessExit(pid, options.timeoutMs ?? 10_000)) return true;
  options.logger.warn(`${options.description} (pid ${pid}) did not stop in time, killing it`);
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
  await waitForProcessExit(pid, 5_000);
  return true;
}
