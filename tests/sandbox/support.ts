import { chmod, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalSandboxBackend, type LocalSandboxBackendOptions, type Sandbox } from '@assay/sandbox';

/** A fresh, uniquely named host directory for one test (in `parent`); remove it with {@link removeDir}. */
export function makeTempDir(prefix: string, parent: string = tmpdir()): Promise<string> {
  return mkdtemp(join(parent, `assay-test-${prefix}-`));
}

/**
 * A fresh socketRoot for one test. mkdtemp makes it 0700; the kernel, which runs as nobody when
 * tests run as root, must be able to pass through it.
 */
export async function makeSocketRoot(): Promise<string> {
  const dir = await mkdtemp('/tmp/assay-sock-');
  await chmod(dir, 0o711);
  return dir;
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
}

/** A backend with a short interrupt grace, so timeout tests stay quick. */
export function testBackend(options: LocalSandboxBackendOptions = {}): LocalSandboxBackend {
  return new LocalSandboxBackend({ interruptGraceMs: 2_000, ...options });
}

/**
 * Runs `body` with a sandbox on a fresh workspace and always closes both, as E2B's
 * `sandboxTest` fixture does.
 */
export async function withSandbox(
  body: (sandbox: Sandbox, workspaceDir: string) => Promise<void>,
  backend: LocalSandboxBackend = testBackend(),
): Promise<void> {
  const workspaceDir = await makeTempDir('ws');
  let sandbox: Sandbox | undefined;
  try {
    sandbox = await backend.create({ workspaceDir });
    await body(sandbox, workspaceDir);
  } finally {
    await sandbox?.close();
    await removeDir(workspaceDir);
  }
}

/** A promise with its resolve function, for waiting on callbacks and events. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Live (not zombie) processes whose command line contains `text`, and all their descendants. */
export async function processTree(text: string): Promise<number[]> {
  const entries = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  const processes: { pid: number; ppid: number; cmdline: string }[] = [];
  for (const name of entries) {
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      const cmdline = (await readFile(`/proc/${name}/cmdline`, 'utf8')).replaceAll('\0', ' ');
      processes.push({ pid: Number(name), ppid: Number(fields[1]), cmdline });
    } catch {
      // The process ended while we looked.
    }
  }
  const found = new Set(processes.filter((p) => p.cmdline.includes(text)).map((p) => p.pid));
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of processes) {
      if (found.has(p.ppid) && !found.has(p.pid)) {
        found.add(p.pid);
        grew = true;
      }
    }
  }
  return [...found];
}

/** True if a process is running (exists and is not a zombie). */
export async function isRunning(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Polls `condition` until it holds or `timeoutMs` passes; returns its last value. */
export async function eventually(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
