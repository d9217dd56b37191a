import { spawn } from 'node:child_process';

/** Debian's Python with the analysis stack (pandas, matplotlib, openpyxl, xlrd, xlwt, IPython). */
export const SYSTEM_PYTHON = '/usr/bin/python3';

/** What a finished process printed. */
export interface ProcessOutput {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program to completion, killing it if it outlives `timeoutMs` (so a stuck child never
 * outlives its test).
 */
export function runProcess(command: string, args: string[], options: { timeoutMs: number; input?: string }): Promise<ProcessOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ exitCode, signal, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Runs a Python script with the system Python and fails loudly when it fails. */
export async function runPython(script: string, args: string[] = [], timeoutMs = 60_000): Promise<string> {
  const result = await runProcess(SYSTEM_PYTHON, ['-c', script, ...args], { timeoutMs });
  if (result.exitCode !== 0) {
    throw new Error(`python exited with ${result.exitCode ?? result.signal}:\n${result.stderr}`);
  }
  return result.stdout;
}
