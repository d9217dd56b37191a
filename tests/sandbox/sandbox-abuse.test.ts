import { readFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import { DEFAULT_KERNEL_UID_RANGE, type Sandbox } from '@assay/sandbox';
import { makeTempDir, processTree, removeDir, testBackend, withSandbox } from './support';

/**
 * Abuse attempts against the local sandbox, each contained with a clear error while the
 * sandbox (and other sandboxes) keep serving. Limits are set small so the attacks are quick.
 */

const MiB = 1024 * 1024;

function printed(execution: { logs: { stdout: string[] } }): string {
  return execution.logs.stdout.join('');
}

async function expectStillServing(sandbox: Sandbox): Promise<void> {
  const after = await sandbox.runCode('21 * 2');
  expect(after.error).toBeUndefined();
  expect(after.text).toBe('42');
}

describe('resource abuse is contained', () => {
  it('a fork bomb hits the per-kernel process limit, and another sandbox keeps answering meanwhile', async () => {
    const backend = testBackend({ processLimit: 64 });
    const otherDir = await makeTempDir('bystander');
    const bystander = await backend.create({ workspaceDir: otherDir });
    try {
      await withSandbox(async (sandbox) => {
        const bomb = sandbox.runCode(
          [
            'import os, time',
            'children, refused = [], None',
            'try:',
            '    for _ in range(1000):',
            '        pid = os.fork()',
            '        if pid == 0:',
            '            time.sleep(20)',
            '            os._exit(0)',
            '        children.append(pid)',
            'except OSError as error:',
            '    refused = type(error).__name__',
            'for pid in children:',
            '    os.kill(pid, 9)',
            '    os.waitpid(pid, 0)',
            'print(len(children) < 1000, refused)',
          ].join('\n'),
        );
        const meanwhile = await bystander.runCode('1 + 1');
        expect(meanwhile.text).toBe('2');
        const execution = await bomb;
        expect(execution.error).toBeUndefined();
        expect(printed(execution)).toBe('True BlockingIOError\n');
        await expectStillServing(sandbox);
      }, backend);
      await expectStillServing(bystander);
    } finally {
      await bystander.close();
      await removeDir(otherDir);
    }
  });

  it('a file larger than the file-size limit fails to write with EFBIG', async () => {
    await withSandbox(async (sandbox) => {
      const execution = await sandbox.runCode("open('big.bin', 'wb').write(b'0' * (3 * 1024 * 1024))");
      expect(execution.error).toMatchObject({ name: 'OSError' });
      expect(execution.error?.value).toContain('File too large');
      await expectStillServing(sandbox);
    }, testBackend({ fileSizeLimitBytes: 1 * MiB }));
  });

  it('filling the workspace with many files interrupts the cell with WorkspaceFull', async () => {
    await withSandbox(async (sandbox, workspaceDir) => {
      const execution = await sandbox.runCode(
        ['import time', 'i = 0', 'while True:', "    open(f'part-{i}.bin', 'wb').write(b'0' * 500_000)", '    i += 1', '    time.sleep(0.02)'].join('\n'),
        { timeoutMs: 30_000 },
      );
      expect(execution.error?.name).toBe('WorkspaceFull');
      expect(execution.error?.value).toContain('over its limit of 4 MiB');
      // A cell that deletes files still runs, and frees the space.
      const cleanup = await sandbox.runCode("import glob, os\nfor name in glob.glob('part-*.bin'):\n    os.remove(name)\nprint(len(glob.glob('*')))");
      expect(printed(cleanup)).toBe('0\n');
    }, testBackend({ workspaceLimitBytes: 4 * MiB, fileSizeLimitBytes: 1 * MiB }));
  });

  it('filling the private /tmp fails with ENOSPC', async () => {
    await withSandbox(async (sandbox) => {
      const execution = await sandbox.runCode("open('/tmp/fill.bin', 'wb').write(b'0' * (8 * 1024 * 1024))");
      expect(execution.error).toMatchObject({ name: 'OSError' });
      expect(execution.error?.value).toContain('No space left on device');
      await expectStillServing(sandbox);
    }, testBackend({ tmpSizeBytes: 4 * MiB }));
  });

  it('huge output is cut at the cap, and the cut is announced', async () => {
    await withSandbox(async (sandbox) => {
      const seen: string[] = [];
      const execution = await sandbox.runCode("for i in range(20_000):\n    print('x' * 99)", { onStdout: (text) => seen.push(text) });
      expect(execution.error).toBeUndefined();
      const stdout = printed(execution);
      expect(stdout.length).toBeLessThanOrEqual(64 * 1024);
      expect(seen.join('').length).toBe(stdout.length);
      const notice = execution.outputs.at(-1);
      expect(notice).toMatchObject({ output_type: 'stream', name: 'stderr' });
      expect(notice?.output_type === 'stream' ? notice.text : '').toContain('Output truncated');
      await expectStillServing(sandbox);
    }, testBackend({ maxOutputBytes: 64 * 1024 }));
  });
});

describe('kernels are strangers to each other and to the host', () => {
  it('gives each kernel a host uid of its own, outside the account range', async () => {
    const backend = testBackend();
    const dirs = [await makeTempDir('uid-a'), await makeTempDir('uid-b')];
    const sandboxes = await Promise.all(dirs.map((workspaceDir) => backend.create({ workspaceDir })));
    try {
      const uids = await Promise.all(
        dirs.map(async (dir) => {
          const pids = await processTree(dir);
          const statuses = await Promise.all(pids.map((pid) => readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')));
          const kernel = statuses.find((status) => /^Name:\s+python3/m.test(status));
          return Number(/^Uid:\s+(\d+)/m.exec(kernel ?? '')?.[1]);
        }),
      );
      expect(uids[0]).not.toBe(uids[1]);
      for (const uid of uids) {
        expect(uid).toBeGreaterThanOrEqual(DEFAULT_KERNEL_UID_RANGE.first);
        expect(uid).toBeLessThan(DEFAULT_KERNEL_UID_RANGE.first + DEFAULT_KERNEL_UID_RANGE.size);
      }
    } finally {
      await Promise.all(sandboxes.map((sandbox) => sandbox.close()));
      await Promise.all(dirs.map(removeDir));
    }
  });

  it('sees only its own processes in /proc, none of the host', async () => {
    await withSandbox(async (sandbox) => {
      const execution = await sandbox.runCode(
        [
          'import os',
          "pids = [p for p in os.listdir('/proc') if p.isdigit()]",
          "names = sorted({open(f'/proc/{p}/comm').read().strip() for p in pids})",
          'print(names)',
        ].join('\n'),
      );
      expect(execution.error).toBeUndefined();
      const names = printed(execution);
      expect(names).not.toMatch(/node|postgres|redis|jest/);
      expect(names).toMatch(/python3/);
    });
  });
});
