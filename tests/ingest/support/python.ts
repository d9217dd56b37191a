import { spawn } from 'node:child_process';

/** Debian's interpreter, which has pandas 1.5.3, openpyxl, xlrd and xlwt (the kernel environment). */
export const SYSTEM_PYTHON = '/usr/bin/python3';

/**
 * Runs a Python program with `/usr/bin/python3` and returns its stdout; fails with stderr when
 * it exits non-zero. Arguments are passed as argv (no shell), `stdin` (large specs) on stdin.
 */
export async function runPython(script: string, args: readonly string[], stdin = ''): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const child = spawn(SYSTEM_PYTHON, ['-c', script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end(stdin);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new Error(`python exited with ${String(code)}: ${Buffer.concat(err).toString('utf8')}`));
    });
  });
}
