import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { LocalSandboxBackend } from '@assay/sandbox';
import { eventually, makeSocketRoot, makeTempDir, processTree, removeDir } from './support';

describe('LocalSandboxBackend start failures', () => {
  it('says how to install bubblewrap when it is missing', async () => {
    const workspaceDir = await makeTempDir('ws');
    try {
      const backend = new LocalSandboxBackend({ bwrapPath: '/nonexistent/bwrap' });
      await expect(backend.create({ workspaceDir })).rejects.toMatchObject({
        code: 'SANDBOX_UNAVAILABLE',
        message: expect.stringContaining('apt-get install bubblewrap') as unknown,
      });
    } finally {
      await removeDir(workspaceDir);
    }
  });

  it('says which workspace directory is missing', async () => {
    const workspaceDir = await makeTempDir('ws');
    await removeDir(workspaceDir);
    const missing = join(workspaceDir, 'absent');
    await expect(new LocalSandboxBackend().create({ workspaceDir: missing })).rejects.toMatchObject({
      code: 'SANDBOX_UNAVAILABLE',
      message: expect.stringContaining(missing) as unknown,
    });
  });

  it('reports what the kernel printed when it exits during start-up, and cleans up', async () => {
    const workspaceDir = await makeTempDir('ws');
    const socketRoot = await makeSocketRoot();
    try {
      // perl is under /usr but does not understand Python's -X option.
      const backend = new LocalSandboxBackend({ pythonPath: '/usr/bin/perl', socketRoot });
      await expect(backend.create({ workspaceDir })).rejects.toMatchObject({
        code: 'SANDBOX_UNAVAILABLE',
        message: expect.stringMatching(/exited during start-up: exit code \d+\)\. Kernel output: .*Unrecognized switch/) as unknown,
      });
      expect(await readdir(socketRoot)).toEqual([]);
    } finally {
      await removeDir(workspaceDir);
      await removeDir(socketRoot);
    }
  });

  it('says to raise memoryLimitBytes when the kernel cannot even start within it', async () => {
    const workspaceDir = await makeTempDir('ws');
    try {
      const backend = new LocalSandboxBackend({ memoryLimitBytes: 50_000_000 });
      await expect(backend.create({ workspaceDir })).rejects.toMatchObject({
        code: 'SANDBOX_UNAVAILABLE',
        message: expect.stringContaining('raise memoryLimitBytes') as unknown,
      });
    } finally {
      await removeDir(workspaceDir);
    }
  });

  it('gives up on a kernel that does not answer within startTimeoutMs and leaves nothing behind', async () => {
    const workspaceDir = await makeTempDir('ws');
    const socketRoot = await makeSocketRoot();
    try {
      const backend = new LocalSandboxBackend({ startTimeoutMs: 1, socketRoot });
      await expect(backend.create({ workspaceDir })).rejects.toMatchObject({
        code: 'SANDBOX_UNAVAILABLE',
        retryable: true,
        message: expect.stringContaining('did not answer within 1 ms') as unknown,
      });
      expect(await readdir(socketRoot)).toEqual([]);
      // bwrap killed in its first milliseconds may still have a helper child being set up; it is
      // killed with the process group, and gone moments later.
      expect(await eventually(async () => (await processTree(socketRoot)).length === 0)).toBe(true);
    } finally {
      await removeDir(workspaceDir);
      await removeDir(socketRoot);
    }
  });

  it('rejects options it cannot honour', () => {
    expect(() => new LocalSandboxBackend({ pythonPath: '/opt/python/bin/python3' })).toThrow(/must be under \/usr/);
    expect(() => new LocalSandboxBackend({ socketRoot: `/tmp/${'x'.repeat(100)}` })).toThrow(/too long for unix socket paths/);
    expect(() => new LocalSandboxBackend({ memoryLimitBytes: 0 })).toThrow(/memoryLimitBytes must be a positive integer/);
  });
});
