import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { JupyterSandboxBackend, type KernelExit, type Sandbox } from '@assay/sandbox';
import { type JupyterServer, startJupyterServer } from './jupyter-server';
import { deferred, makeTempDir, removeDir } from './support';

/**
 * What only the Jupyter backend does: workspaces and files on the server's side, the REST
 * lifecycle of its kernels, and recovery from what the server reports (the shared behaviour is
 * in conformance-jupyter.test.ts).
 */
let rootDir: string;
let server: JupyterServer;
let backend: JupyterSandboxBackend;

beforeAll(async () => {
  rootDir = await makeTempDir('jupyter-root');
  server = await startJupyterServer(rootDir);
  backend = new JupyterSandboxBackend({
    baseUrl: server.baseUrl,
    token: server.token,
    workspaceRoot: rootDir,
    interruptGraceMs: 2_000,
  });
});

afterAll(async () => {
  await server?.stop();
  await removeDir(rootDir);
});

/**
 * Runs `body` with a sandbox on a fresh workspace inside the server's root; always closes both.
 * Then checks that whatever happened to the kernel (restarts, deaths, replacements), no kernel
 * of this sandbox is left on the server.
 */
async function withJupyterSandbox(body: (sandbox: Sandbox, workspaceDir: string) => Promise<void>): Promise<void> {
  const workspaceDir = await makeTempDir('ws', rootDir);
  const before = new Set(await server.kernelIds());
  let sandbox: Sandbox | undefined;
  try {
    sandbox = await backend.create({ workspaceDir });
    await body(sandbox, workspaceDir);
  } finally {
    await sandbox?.close();
    await removeDir(workspaceDir);
  }
  expect((await server.kernelIds()).filter((id) => !before.has(id))).toEqual([]);
}

/** The ids of kernels the server started while `action` ran (and still runs). */
async function kernelsStartedBy(action: () => Promise<void>): Promise<string[]> {
  const before = new Set(await server.kernelIds());
  await action();
  return (await server.kernelIds()).filter((id) => !before.has(id));
}

describe('workspace', () => {
  it('runs the kernel in the workspace directory: files go both ways by relative path', async () => {
    await withJupyterSandbox(async (sandbox, workspaceDir) => {
      await writeFile(join(workspaceDir, 'sales.csv'), 'city,sales\nOslo,3\nLima,5\n');
      const execution = await sandbox.runCode(
        [
          'import os, pandas as pd',
          'print(os.getcwd())',
          'pd.DataFrame({"n": [1, 2]}).to_csv("out.csv", index=False)',
          'int(pd.read_csv("sales.csv")["sales"].sum())',
        ].join('\n'),
      );
      expect(execution.error).toBeUndefined();
      expect(execution.logs.stdout.join('')).toBe(`${workspaceDir}\n`);
      expect(execution.text).toBe('8');
      expect(await readFile(join(workspaceDir, 'out.csv'), 'utf8')).toBe('n\n1\n2\n');
    });
  });

  it('creates a workspace and uploads files through the Contents API, bytes intact', async () => {
    const workspaceDir = join(rootDir, `uploads-${Date.now()}`, 'chat-1');
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, index) => index));
    let sandbox: Sandbox | undefined;
    try {
      await backend.ensureWorkspace(workspaceDir);
      await backend.ensureWorkspace(workspaceDir);
      await backend.uploadFile(workspaceDir, 'inputs/all-bytes.bin', bytes);
      await backend.uploadFile(workspaceDir, 'notes.txt', Buffer.from('héllo ✓\n'));
      expect(await readFile(join(workspaceDir, 'inputs', 'all-bytes.bin'))).toEqual(bytes);

      sandbox = await backend.create({ workspaceDir });
      const execution = await sandbox.runCode(
        'data = open("inputs/all-bytes.bin", "rb").read()\nprint(open("notes.txt", encoding="utf-8").read(), end="")\n[len(data), data == bytes(range(256))]',
      );
      expect(execution.logs.stdout.join('')).toBe('héllo ✓\n');
      expect(execution.text).toBe('[256, True]');
    } finally {
      await sandbox?.close();
      await removeDir(join(workspaceDir, '..'));
    }
  });

  it('refuses upload paths that leave the workspace', async () => {
    for (const path of ['../escape.txt', '/etc/passwd', '', 'dir/']) {
      await expect(backend.uploadFile(rootDir, path, Buffer.from('x'))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    }
  });

  it('refuses a workspace outside the root, a missing one, and read-only binds', async () => {
    await expect(backend.create({ workspaceDir: '/etc' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(backend.create({ workspaceDir: 'relative/dir' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const missing = join(rootDir, 'never-created');
    await expect(backend.create({ workspaceDir: missing })).rejects.toMatchObject({
      code: 'SANDBOX_UNAVAILABLE',
      message: expect.stringContaining(missing) as unknown,
    });
    await expect(
      backend.create({ workspaceDir: rootDir, readOnlyBinds: [{ hostPath: rootDir, sandboxPath: '/mnt/inputs' }] }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});

describe('server and options', () => {
  it('says the token was refused, without starting anything', async () => {
    const wrongToken = new JupyterSandboxBackend({ baseUrl: server.baseUrl, token: 'not-the-token', workspaceRoot: rootDir });
    const started = await kernelsStartedBy(async () => {
      await expect(wrongToken.create({ workspaceDir: rootDir })).rejects.toMatchObject({
        code: 'SANDBOX_UNAVAILABLE',
        message: expect.stringContaining('refused the token') as unknown,
      });
    });
    expect(started).toEqual([]);
  });

  it('reports an unreachable server as retryable', async () => {
    const closedPort = new JupyterSandboxBackend({ baseUrl: 'http://127.0.0.1:9/', token: 't', workspaceRoot: rootDir });
    await expect(closedPort.create({ workspaceDir: rootDir })).rejects.toMatchObject({
      code: 'SANDBOX_UNAVAILABLE',
      retryable: true,
      message: expect.stringContaining('Could not reach the Jupyter server') as unknown,
    });
  });

  it('rejects options it cannot use', () => {
    const base = { baseUrl: server.baseUrl, workspaceRoot: rootDir };
    expect(() => new JupyterSandboxBackend({ ...base, baseUrl: 'not a url' })).toThrow(/baseUrl must be an http\(s\) URL/);
    expect(() => new JupyterSandboxBackend({ ...base, baseUrl: 'ftp://host/' })).toThrow(/baseUrl must be an http\(s\) URL/);
    expect(() => new JupyterSandboxBackend({ ...base, baseUrl: 'http://user:pw@host/' })).toThrow(/must not contain credentials/);
    expect(() => new JupyterSandboxBackend({ ...base, workspaceRoot: 'relative' })).toThrow(/workspaceRoot must be an absolute path/);
    expect(() => new JupyterSandboxBackend({ ...base, startTimeoutMs: 0 })).toThrow(/startTimeoutMs must be a positive integer/);
    const noContents = new JupyterSandboxBackend({ ...base, contentsApi: false });
    return expect(noContents.uploadFile(rootDir, 'a.txt', Buffer.from('a'))).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});

describe('user expressions', () => {
  it('evaluates them after a successful cell in the same request, and reports their errors', async () => {
    await withJupyterSandbox(async (sandbox) => {
      const execution = await sandbox.runCode('items = [1, 2, 3]', {
        userExpressions: { count: 'len(items)', missing: 'undefined_name' },
      });
      expect(execution.error).toBeUndefined();
      expect(execution.userExpressions.count).toEqual({ status: 'ok', data: { 'text/plain': '3' } });
      expect(execution.userExpressions.missing).toMatchObject({ status: 'error', ename: 'NameError' });
      // They are not cells: the next cell's count follows directly.
      const next = await sandbox.runCode('pass');
      expect(next.executionCount).toBe((execution.executionCount ?? 0) + 1);
    });
  });
});

describe('kernel lifecycle on the server', () => {
  it('restarts the kernel in place (same id) and deletes it on close()', async () => {
    const workspaceDir = await makeTempDir('ws', rootDir);
    const before = new Set(await server.kernelIds());
    const startedByThisTest = async (): Promise<string[]> => (await server.kernelIds()).filter((id) => !before.has(id));
    const sandbox = await backend.create({ workspaceDir });
    let started: string[] = [];
    try {
      started = await startedByThisTest();
      expect(started).toHaveLength(1);
      await sandbox.runCode('x = 1');
      await sandbox.restart();
      expect((await sandbox.runCode('x')).error?.name).toBe('NameError');
      expect(await startedByThisTest()).toEqual(started);
    } finally {
      await sandbox.close();
      await removeDir(workspaceDir);
    }
    expect(await startedByThisTest()).toEqual([]);
  });

  it('restarts a kernel that ignores the interrupt after a timeout, and says so', async () => {
    await withJupyterSandbox(async (sandbox) => {
      await sandbox.runCode('lost = 1');
      const execution = await sandbox.runCode(
        'import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass',
        { timeoutMs: 500 },
      );
      expect(execution.error?.name).toBe('TimeoutError');
      expect(execution.error?.value).toContain('did not stop when interrupted, so the kernel was restarted');
      expect(sandbox.isAlive).toBe(true);
      expect((await sandbox.runCode('lost')).error?.name).toBe('NameError');
      expect((await sandbox.runCode('1+1')).text).toBe('2');
    });
  });
});

describe('kernel death', () => {
  it('ends the cell with KernelDied, reports the exit, and runs the next cell in a fresh kernel', async () => {
    await withJupyterSandbox(async (sandbox) => {
      const exits: KernelExit[] = [];
      sandbox.on('exit', (exit) => exits.push(exit));
      await sandbox.runCode('z = 1');
      const generation = sandbox.kernelGeneration ?? 0;

      const execution = await sandbox.runCode('import os\nos._exit(3)');
      expect(execution.error?.name).toBe('KernelDied');
      expect(execution.error?.value).toContain('the Jupyter server found the kernel process dead');
      expect(execution.error?.value).toContain('fresh kernel');
      expect(exits).toEqual([{ exitCode: null, signal: null, duringExecution: true }]);
      expect(sandbox.kernelGeneration).toBe(generation + 1);

      expect(sandbox.isAlive).toBe(true);
      expect((await sandbox.runCode('z')).error?.name).toBe('NameError');
      expect((await sandbox.runCode('1+1')).text).toBe('2');
    });
  });

  it('while idle: reports the exit, refuses runs with KERNEL_DIED until restart()', async () => {
    await withJupyterSandbox(async (sandbox, workspaceDir) => {
      const exited = deferred<KernelExit>();
      sandbox.on('exit', exited.resolve);
      // A thread that ends the process once the host says so, after the cell has finished.
      const cell = await sandbox.runCode(
        [
          'import os, threading, time',
          'def exit_when_told():',
          '    while not os.path.exists("exit-now"):',
          '        time.sleep(0.02)',
          '    os._exit(4)',
          'threading.Thread(target=exit_when_told, daemon=True).start()',
        ].join('\n'),
      );
      expect(cell.error).toBeUndefined();
      await writeFile(join(workspaceDir, 'exit-now'), '');

      expect(await exited.promise).toEqual({ exitCode: null, signal: null, duringExecution: false });
      expect(sandbox.isAlive).toBe(false);
      await expect(sandbox.runCode('1')).rejects.toMatchObject({ code: 'KERNEL_DIED' });

      await sandbox.restart();
      expect(sandbox.isAlive).toBe(true);
      expect((await sandbox.runCode('1+1')).text).toBe('2');
    });
  });
});
