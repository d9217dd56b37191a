import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { KernelExit } from '@assay/sandbox';
import { deferred, eventually, isRunning, makeSocketRoot, processTree, removeDir, testBackend, withSandbox } from './support';

// interrupt(), and restart() ending a running cell, are in backend-conformance.ts.
describe('restart()', () => {
  it('clears variables and the execution count, and keeps the workspace', async () => {
    await withSandbox(async (sandbox, workspaceDir) => {
      await sandbox.runCode('x = 1\nopen("/mnt/data/kept.txt", "w").write("kept")');
      await sandbox.restart();
      expect(sandbox.isAlive).toBe(true);

      const execution = await sandbox.runCode('x');
      expect(execution.error?.name).toBe('NameError');
      expect(execution.executionCount).toBe(1);
      expect((await sandbox.runCode('open("kept.txt").read()')).text).toBe("'kept'");
      expect(await readdir(workspaceDir)).toEqual(['kept.txt']);
    });
  });
});

describe('kernel death', () => {
  it('ends the cell with KernelDied, reports the exit, and runs the next cell in a fresh kernel', async () => {
    await withSandbox(async (sandbox) => {
      const exits: KernelExit[] = [];
      sandbox.on('exit', (exit) => exits.push(exit));
      await sandbox.runCode('z = 1');

      const execution = await sandbox.runCode('import os\nos._exit(3)');
      expect(execution.error?.name).toBe('KernelDied');
      expect(execution.error?.value).toContain('exit code 3');
      expect(execution.error?.value).toContain('fresh kernel');
      expect(exits).toEqual([{ exitCode: 3, signal: null, duringExecution: true }]);

      expect(sandbox.isAlive).toBe(true);
      expect((await sandbox.runCode('z')).error?.name).toBe('NameError');
      expect((await sandbox.runCode('1+1')).text).toBe('2');
    });
  });

  it('while idle: reports the exit, refuses runs with KERNEL_DIED until restart()', async () => {
    await withSandbox(async (sandbox, workspaceDir) => {
      const exited = deferred<KernelExit>();
      sandbox.on('exit', exited.resolve);
      // A thread that ends the process once the host says so, after the cell has finished.
      const cell = await sandbox.runCode(
        [
          'import os, threading, time',
          'def exit_when_told():',
          '    while not os.path.exists("/mnt/data/exit-now"):',
          '        time.sleep(0.02)',
          '    os._exit(4)',
          'threading.Thread(target=exit_when_told, daemon=True).start()',
        ].join('\n'),
      );
      expect(cell.error).toBeUndefined();
      await writeFile(join(workspaceDir, 'exit-now'), '');

      expect(await exited.promise).toEqual({ exitCode: 4, signal: null, duringExecution: false });
      expect(sandbox.isAlive).toBe(false);
      await expect(sandbox.runCode('1')).rejects.toMatchObject({ code: 'KERNEL_DIED' });

      await sandbox.restart();
      expect((await sandbox.runCode('1+1')).text).toBe('2');
    });
  });
});

describe('close()', () => {
  it('leaves no kernel process and removes the socket directory', async () => {
    const socketRoot = await makeSocketRoot();
    try {
      await withSandbox(async (sandbox) => {
        const [kernelDir] = await readdir(socketRoot);
        expect(kernelDir).toBeDefined();
        const kernelPath = join(socketRoot, kernelDir ?? '');
        expect((await readdir(kernelPath)).sort()).toEqual(['conn.json', 'k-1', 'k-2', 'k-3', 'k-4', 'k-5']);
        const pids = await processTree(kernelPath);
        expect(pids.length).toBeGreaterThanOrEqual(2); // bwrap and the Python kernel under it

        await sandbox.close();

        expect(sandbox.isAlive).toBe(false);
        const gone = await eventually(async () => (await Promise.all(pids.map(isRunning))).every((running) => !running));
        expect(gone).toBe(true);
        expect(await readdir(socketRoot)).toEqual([]);
      }, testBackend({ socketRoot }));
    } finally {
      await removeDir(socketRoot);
    }
  });

  it('replaces the socket directory of a restarted kernel', async () => {
    const socketRoot = await makeSocketRoot();
    try {
      await withSandbox(async (sandbox) => {
        const before = await readdir(socketRoot);
        await sandbox.restart();
        const after = await readdir(socketRoot);
        expect(after).toHaveLength(1);
        expect(after).not.toEqual(before);
      }, testBackend({ socketRoot }));
    } finally {
      await removeDir(socketRoot);
    }
  });

  it('is idempotent, refuses later runs, and ends a running cell with SandboxClosed', async () => {
    await withSandbox(async (sandbox, workspaceDir) => {
      await writeFile(join(workspaceDir, 'data.csv'), 'a\n1\n');
      const started = deferred();
      const running = sandbox.runCode('print("started", flush=True)\nimport time\ntime.sleep(30)', {
        onStdout: () => started.resolve(),
      });
      await started.promise;

      await Promise.all([sandbox.close(), sandbox.close()]);
      await sandbox.close();

      expect((await running).error?.name).toBe('SandboxClosed');
      await expect(sandbox.runCode('1')).rejects.toMatchObject({ code: 'SANDBOX_UNAVAILABLE' });
      await expect(sandbox.restart()).rejects.toMatchObject({ code: 'SANDBOX_UNAVAILABLE' });
      expect(await readdir(workspaceDir)).toEqual(['data.csv']);
    });
  });
});
