import { chmod, mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Sandbox } from '@assay/sandbox';
import { makeTempDir, removeDir, testBackend, withSandbox } from './support';

let workspaceDir: string;
let sandbox: Sandbox;

beforeAll(async () => {
  workspaceDir = await makeTempDir('isolation');
  sandbox = await testBackend().create({ workspaceDir });
});

afterAll(async () => {
  await sandbox?.close();
  await removeDir(workspaceDir);
});

/** Runs code that prints one JSON value and returns it parsed. */
async function pythonJson(code: string): Promise<unknown> {
  const execution = await sandbox.runCode(`import json\n${code}`);
  expect(execution.error).toBeUndefined();
  return JSON.parse(execution.logs.stdout.join(''));
}

describe('workspace', () => {
  it('shows a file the host wrote at /mnt/data, the working directory', async () => {
    await writeFile(join(workspaceDir, 'sales.csv'), 'city,sales\nOslo,3\nLima,5\n');
    const execution = await sandbox.runCode('import os, pandas as pd\nprint(os.getcwd())\nint(pd.read_csv("/mnt/data/sales.csv")["sales"].sum())');
    expect(execution.logs.stdout.join('')).toBe('/mnt/data\n');
    expect(execution.text).toBe('8');
  });

  it('makes a file the kernel wrote to /mnt/data appear in the workspace directory', async () => {
    await sandbox.runCode('import pandas as pd\npd.DataFrame({"n": [1, 2]}).to_csv("/mnt/data/out.csv", index=False)');
    expect(await readFile(join(workspaceDir, 'out.csv'), 'utf8')).toBe('n\n1\n2\n');
  });

  it('is not visible to another sandbox', async () => {
    await writeFile(join(workspaceDir, 'private.txt'), 'first sandbox only');
    await withSandbox(async (other, otherWorkspace) => {
      await other.runCode('open("/mnt/data/other.txt", "w").write("second sandbox only")');
      const seen = await other.runCode('import os\nsorted(os.listdir("/mnt/data"))');
      expect(seen.text).toBe("['other.txt']");
      expect(await readdir(otherWorkspace)).toEqual(['other.txt']);
    });
    expect(await readdir(workspaceDir)).not.toContain('other.txt');
  });
});

describe('read-only binds', () => {
  it('shows host files read-only at their sandbox path, also through a link in the workspace', async () => {
    const inputsDir = await makeTempDir('inputs');
    const ownWorkspace = await makeTempDir('ws');
    let other: Sandbox | undefined;
    try {
      await mkdir(join(inputsDir, 'f1'), { mode: 0o755 });
      await writeFile(join(inputsDir, 'f1', 'sales.csv'), 'n\n1\n');
      // Writable by anyone on the host: only the read-only mount can stop the kernel.
      await chmod(join(inputsDir, 'f1', 'sales.csv'), 0o666);
      // The directory mkdtemp made is 0700; the kernel's user must be able to enter it.
      await chmod(inputsDir, 0o755);
      await symlink('/mnt/inputs/f1/sales.csv', join(ownWorkspace, 'sales.csv'));
      other = await testBackend().create({
        workspaceDir: ownWorkspace,
        readOnlyBinds: [{ hostPath: inputsDir, sandboxPath: '/mnt/inputs' }],
      });
      const execution = await other.runCode(
        [
          'import errno, json',
          'result = {"viaLink": open("/mnt/data/sales.csv").read()}',
          'try:',
          '    open("/mnt/inputs/f1/sales.csv", "a").write("2\\n")',
          '    result["write"] = "allowed"',
          'except OSError as error:',
          '    result["write"] = errno.errorcode[error.errno]',
          'print(json.dumps(result))',
        ].join('\n'),
      );
      expect(JSON.parse(execution.logs.stdout.join(''))).toEqual({ viaLink: 'n\n1\n', write: 'EROFS' });
      expect(await readFile(join(inputsDir, 'f1', 'sales.csv'), 'utf8')).toBe('n\n1\n');
    } finally {
      await other?.close();
      await removeDir(ownWorkspace);
      await removeDir(inputsDir);
    }
  });

  it('refuses sandbox paths outside /mnt or inside /mnt/data', async () => {
    for (const sandboxPath of ['/etc/inputs', '/mnt/data/inputs', '/mnt/', '/mnt/../etc']) {
      await expect(
        testBackend().create({ workspaceDir, readOnlyBinds: [{ hostPath: workspaceDir, sandboxPath }] }),
      ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    }
  });
});

describe('isolation from the host', () => {
  it('has no network: no TCP to a port listening on the host loopback, no DNS', async () => {
    let connections = 0;
    const server = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const result = await pythonJson(
        [
          'import socket',
          'result = {}',
          'try:',
          `    socket.create_connection(("127.0.0.1", ${port}), timeout=3).close()`,
          '    result["tcp"] = "connected"',
          'except OSError as error:',
          '    result["tcp"] = type(error).__name__',
          'try:',
          '    socket.getaddrinfo("registry.npmjs.org", 443)',
          '    result["dns"] = "resolved"',
          'except OSError as error:',
          '    result["dns"] = type(error).__name__',
          'print(json.dumps(result))',
        ].join('\n'),
      );
      expect(result).toEqual({ tcp: 'ConnectionRefusedError', dns: 'gaierror' });
      expect(connections).toBe(0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('does not show host paths, runs as uid 1000, and cannot write the OS or read root-only files', async () => {
    const result = await pythonJson(
      [
        'import os',
        'def attempt(action):',
        '    try:',
        '        action()',
        '        return "allowed"',
        '    except OSError as error:',
        '        return type(error).__name__',
        `paths = ["/root", "/work", "/home", ${JSON.stringify(workspaceDir)}]`,
        'print(json.dumps({',
        '    "present": [p for p in paths if os.path.exists(p)],',
        '    "uid": os.getuid(),',
        '    "writeUsr": attempt(lambda: open("/usr/assay-test", "w")),',
        '    "readShadow": attempt(lambda: open("/etc/shadow").read()),',
        '    "env": sorted(os.environ),',
        '}))',
      ].join('\n'),
    );
    expect(result).toEqual({
      present: [],
      uid: 1000,
      writeUsr: 'OSError',
      readShadow: 'PermissionError',
      env: expect.not.arrayContaining(['JEST_WORKER_ID', 'NODE_OPTIONS']) as unknown,
    });
    expect((result as { env: string[] }).env).toEqual(expect.arrayContaining(['HOME', 'MPLCONFIGDIR', 'PATH']));
  });

  it('turns an allocation over the memory limit into MemoryError; the kernel survives', async () => {
    const execution = await sandbox.runCode('big = bytearray(3 * 1024**3)');
    expect(execution.error?.name).toBe('MemoryError');
    expect((await sandbox.runCode('1+1')).text).toBe('2');
  });
});
