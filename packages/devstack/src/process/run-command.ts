import { spawn } from 'node:child_process';

/** Options of {@link runCommand}. */
export interface RunCommandOptions {
  /** Working directory. @defaultValue this process's */
  cwd?: string;
  /** Environment of the command. @defaultValue this process's */
  env?: NodeJS.ProcessEnv;
  /** The command is killed (SIGKILL) after this long. @defaultValue no limit */
  timeoutMs?: number;
  /** Run as this user id (only when this process is root). */
  uid?: number;
  /** Run with this group id (only when this process is root). */
  gid?: number;
  /** Show the command's output on this process's stdout/stderr instead of capturing it. @defaultValue false */
  inheritOutput?: boolean;
}

/** How a command ended, and what it printed (empty when the output was inherited). */
export interface CommandResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Captured output is cut to its last this many characters: enough for any error message. */
const MAX_CAPTURED_CHARS = 256_000;

function appendCapped(buffer: string, chunk: string): string {
  const joined = buffer + chunk;
  return joined.length > MAX_CAPTURED_CHARS ? joined.slice(joined.length - MAX_CAPTURED_CHARS) : joined;
}

/**
 * Runs a program with an argument array (never through a shell) and waits for it.
 * Resolves with the exit status whatever it is; rejects only when the program cannot be
 * started at all (e.g. ENOENT).
 */
export function runCommand(file: string, args: readonly string[], options: RunCommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      uid: options.uid,
      gid: options.gid,
      stdio: options.inheritOutput ? ['ignore', 'inherit', 'inherit'] : ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout = appendCapped(stdout, chunk);
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = appendCapped(stderr, chunk);
    });
    const timer =
      options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', (error) => {
      if (timer) clearTimeout(timer);
      reject(error);
    });
    child.once('close', (exitCode, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ exitCode, signal, stdout, stderr });
    });
  });
}
