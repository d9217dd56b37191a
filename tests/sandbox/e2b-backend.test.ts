import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { CellOutput } from '@assay/contracts';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { E2bSandbox, KernelExit } from '@assay/sandbox';
import { E2bTestServer } from '../support/e2b/e2b-test-server';
import { e2bTestBackend } from '../support/e2b/e2b-test-backend';
import { deferred, makeTempDir, removeDir } from './support';

// The real @e2b/code-interpreter SDK against a local E2B (control plane, envd, code-interpreter
// server) whose kernels are real ipykernels. One server for the file; each test makes its own
// sandboxes and workspaces and removes them.
let server: E2bTestServer;
const workspaces: string[] = [];

beforeAll(async () => {
  server = await E2bTestServer.start();
});

afterAll(async () => {
  await server?.close();
  for (const dir of workspaces) await removeDir(dir);
});

async function workspace(): Promise<string> {
  const dir = await makeTempDir('e2b');
  workspaces.push(dir);
  return dir;
}

/** Runs `body` with a new E2B sandbox on an empty workspace and always closes it. */
async function withE2bSandbox(body: (sandbox: E2bSandbox) => Promise<void>, sandboxTimeoutMs?: number): Promise<void> {
  const sandbox = await e2bTestBackend(server, sandboxTimeoutMs === undefined ? {} : { sandboxTimeoutMs }).create({
    workspaceDir: await workspace(),
  });
  try {
    await body(sandbox);
  } finally {
    await sandbox.close();
  }
}

function isPng(base64: string | undefined): boolean {
  return Buffer.from(base64 ?? '', 'base64').subarray(1, 4).toString() === 'PNG';
}

describe('E2bSandboxBackend.create', () => {
  it('starts a code-interpreter sandbox with the caller metadata, no internet access and the configured lifetime', async () => {
    const backend = e2bTestBackend(server, { sandboxTimeoutMs: 600_000, metadata: { deployment: 'test' } });
    const sandbox = await backend.create({ workspaceDir: await workspace(), sandboxId: 'chat-1', metadata: { chatId: 'c1' } });
    try {
      const record = server.sandbox(sandbox.id);
      expect(record?.init).toMatchObject({
        templateID: 'code-interpreter-v1',
        metadata: { deployment: 'test', chatId: 'c1', assaySandboxId: 'chat-1' },
        allowInternetAccess: false,
        lifetimeMs: 600_000,
      });
      expect(sandbox.isAlive).toBe(true);
      // The kernel works in the workspace, in a context of its own.
      const cwd = await sandbox.runCode('import os\nos.getcwd()');
      expect(cwd.text).toBe('/mnt/data');
      expect([...(record?.contexts.values() ?? [])].map((context) => context.cwd)).toEqual(['/mnt/data']);
    } finally {
      await sandbox.close();
    }
  });

  it('is refused with CONFIG_INVALID when E2B rejects the API key', async () => {
    const backend = e2bTestBackend(server, { apiKey: 'e2b_not_the_key' });
    await expect(backend.create({ workspaceDir: await workspace() })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('checks its options', () => {
    expect(() => e2bTestBackend(server, { apiKey: ' ' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => e2bTestBackend(server, { workspacePath: 'data' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => e2bTestBackend(server, { sandboxTimeoutMs: 0 })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => e2bTestBackend(server, { apiUrl: 'ftp://example.com' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});

describe('E2B cells', () => {
  // One sandbox for the behaviours that do not depend on a fresh state.
  let sandbox: E2bSandbox;

  beforeAll(async () => {
    sandbox = await e2bTestBackend(server).create({ workspaceDir: await workspace() });
  });

  afterAll(async () => {
    await sandbox?.close();
  });

  it('keeps variables between cells', async () => {
    await sandbox.runCode('counter = 20');
    await sandbox.runCode('counter += 1');
    expect((await sandbox.runCode('counter * 2')).text).toBe('42');
  });

  it('counts executions one per cell, and streams the main result with the count it ends with', async () => {
    const first = await sandbox.runCode('pass');
    const streamed: CellOutput[] = [];
    const second = await sandbox.runCode('6 * 7', { onOutput: (output) => streamed.push(output) });
    expect(second.executionCount).toBe((first.executionCount ?? 0) + 1);
    expect(second.outputs).toEqual([
      { output_type: 'execute_result', execution_count: second.executionCount, data: { 'text/plain': '42' }, metadata: {} },
    ]);
    expect(streamed).toEqual(second.outputs);
  });

  it('streams stdout and stderr through the callbacks in the order they were written', async () => {
    const events: string[] = [];
    const streamed: CellOutput[] = [];
    const execution = await sandbox.runCode(
      [
        'import sys, time',
        'for i in range(3):',
        '    print(f"out {i}", flush=True)',
        '    time.sleep(0.05)',
        '    print(f"err {i}", file=sys.stderr, flush=True)',
        '    time.sleep(0.05)',
      ].join('\n'),
      {
        onStdout: (text) => events.push(`stdout:${text}`),
        onStderr: (text) => events.push(`stderr:${text}`),
        onOutput: (output) => streamed.push(output),
      },
    );
    expect(events).toEqual(['stdout:out 0\n', 'stderr:err 0\n', 'stdout:out 1\n', 'stderr:err 1\n', 'stdout:out 2\n', 'stderr:err 2\n']);
    expect(execution.logs).toEqual({ stdout: ['out 0\n', 'out 1\n', 'out 2\n'], stderr: ['err 0\n', 'err 1\n', 'err 2\n'] });
    expect(execution.outputs).toEqual(streamed);
  });

  it('gives each figure as display_data with image/png, in order with the text around it', async () => {
    const execution = await sandbox.runCode(
      [
        'import matplotlib.pyplot as plt',
        'print("before", flush=True)',
        'plt.figure(); plt.plot([1, 3, 2]); plt.show()',
        'print("between", flush=True)',
        'plt.figure(); _ = plt.bar(["a", "b"], [1, 2]); plt.show()',
        '"done"',
      ].join('\n'),
    );
    expect(execution.error).toBeUndefined();
    const figures = execution.results.filter((result) => !result.isMainResult);
    expect(figures).toHaveLength(2);
    for (const figure of figures) {
      expect(isPng(figure.png)).toBe(true);
      expect(figure.formats()).toEqual(['text', 'png']);
    }
    expect(figures[0]?.png).not.toBe(figures[1]?.png);
    expect(execution.outputs.map((output) => output.output_type)).toEqual([
      'stream',
      'display_data',
      'stream',
      'display_data',
      'execute_result',
    ]);
  });

  it('gives a DataFrame as text/html and text/plain', async () => {
    const execution = await sandbox.runCode('import pandas as pd\npd.DataFrame({"city": ["Oslo", "Lima"], "sales": [3, 5]})');
    const [result] = execution.results;
    expect(execution.results).toHaveLength(1);
    expect(result?.isMainResult).toBe(true);
    expect(result?.html).toContain('<table');
    expect(result?.html).toContain('Oslo');
    expect(result?.text).toContain('Lima');
    // E2B's template also sends the whole frame as e2b/data; the backend leaves it out.
    const sent = server.sandbox(sandbox.id)?.lastExecution.find((line) => line.type === 'result');
    expect(sent?.data).toEqual({ city: ['Oslo', 'Lima'], sales: [3, 5] });
    expect(Object.keys(result?.raw ?? {}).sort()).toEqual(['text/html', 'text/plain']);
  });

  it('returns an exception as data with its traceback; the next cell runs', async () => {
    const failed = await sandbox.runCode('def divide(a, b):\n    return a / b\n\ndivide(1, 0)');
    expect(failed.error?.name).toBe('ZeroDivisionError');
    expect(failed.error?.value).toBe('division by zero');
    expect(failed.error?.traceback).toContain('divide(1, 0)');
    expect(failed.error?.traceback).toContain('return a / b');
    expect(failed.error?.traceback).not.toMatch(/\u001b\[/);
    const [output] = failed.outputs;
    expect(output).toMatchObject({ output_type: 'error', ename: 'ZeroDivisionError', evalue: 'division by zero' });
    if (output?.output_type === 'error') expect(output.traceback.at(-1)).toBe('ZeroDivisionError: division by zero');

    expect((await sandbox.runCode('1 + 1')).text).toBe('2');
  });

  it("loses the quotes of a string's text/plain, as E2B's server drops them", async () => {
    const execution = await sandbox.runCode('"quoted"');
    expect(execution.text).toBe('quoted');
    // A list keeps its repr; E2B's template also gives it as application/json.
    const list = await sandbox.runCode('["a"]');
    expect(list.text).toBe("['a']");
    expect(list.results[0]?.json).toEqual(['a']);
  });

  it('runs cells one after the other when called concurrently', async () => {
    const slow = sandbox.runCode('import time\ntime.sleep(0.3)\norder = [1]');
    const fast = sandbox.runCode('order.append(2)\norder');
    const [first, second] = await Promise.all([slow, fast]);
    expect(first.error).toBeUndefined();
    expect(second.text).toBe('[1, 2]');
  });

  it('rejects a timeout that is not a positive number', async () => {
    await expect(sandbox.runCode('1', { timeoutMs: -1 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  // A running cell's interrupt (the kernel is replaced: E2B has no interrupt call) is asserted by
  // the conformance suite as a known difference (conformance-e2b.test.ts).
  it('interrupt() is harmless when no cell runs: the kernel and its variables stay', async () => {
    await sandbox.runCode('idle_value = 7');
    const generation = sandbox.kernelGeneration;
    await sandbox.interrupt();
    expect(sandbox.kernelGeneration).toBe(generation);
    expect((await sandbox.runCode('idle_value')).text).toBe('7');
  });
});

describe('E2B reconnection', () => {
  it('reaches a detached sandbox by id from another backend instance, with its variables and execution count', async () => {
    const first = await e2bTestBackend(server).create({ workspaceDir: await workspace() });
    await first.runCode('shared = 41');
    const before = await first.runCode('shared += 1');
    await first.detach();
    expect(first.isAlive).toBe(false);
    expect(server.sandbox(first.id)).toBeDefined();

    const second = await e2bTestBackend(server).connect(first.id);
    try {
      expect(second.id).toBe(first.id);
      const streamed: CellOutput[] = [];
      const execution = await second.runCode('shared', { onOutput: (output) => streamed.push(output) });
      expect(execution.text).toBe('42');
      expect(execution.executionCount).toBe((before.executionCount ?? 0) + 1);
      // A reconnected sandbox does not know the count before the first cell ends.
      expect(streamed).toEqual([{ ...execution.outputs[0], execution_count: null }]);
      expect(server.sandbox(first.id)?.contexts.size).toBe(1);
    } finally {
      await second.close();
    }
    expect(server.sandbox(first.id)).toBeUndefined();
  });

  it('lets two replicas share a sandbox; a restart by one shows up at the other as KernelRestarted', async () => {
    // The SDK leaves its request timer running when /execute answers an error status (here 404
    // for the replaced context); a shorter request timeout keeps that from holding jest open.
    const backend = e2bTestBackend(server, { requestTimeoutMs: 10_000 });
    const one = await backend.create({ workspaceDir: await workspace() });
    const two = await e2bTestBackend(server).connect(one.id);
    try {
      await one.runCode('value = "from one"');
      expect((await two.runCode('value.upper()')).text).toBe('FROM ONE');
      await two.restart();
      const cut = await one.runCode('value');
      expect(cut.error?.name).toBe('KernelRestarted');
      const fresh = await one.runCode('"value" in globals()');
      expect(fresh.text).toBe('False');
      expect(server.sandbox(one.id)?.contexts.size).toBe(1);
    } finally {
      await two.detach();
      await one.close();
    }
  });

  it('fails with SANDBOX_UNAVAILABLE for a sandbox that does not exist', async () => {
    await expect(e2bTestBackend(server).connect('i0000000000000000000')).rejects.toMatchObject({ code: 'SANDBOX_UNAVAILABLE' });
  });
});

describe('E2B timeouts', () => {
  it('interrupts a cell past its timeout; the kernel then answers and keeps its variables', async () => {
    await withE2bSandbox(async (sandbox) => {
      await sandbox.runCode('kept = 7');
      const execution = await sandbox.runCode('import time\nfor _ in range(600):\n    time.sleep(0.1)', { timeoutMs: 500 });
      expect(execution.error?.name).toBe('TimeoutError');
      expect(execution.error?.value).toContain('longer than 0.5 s and was interrupted');
      expect(execution.error?.value).toContain('timeoutMs');
      expect(execution.outputs.at(-1)).toMatchObject({ output_type: 'error', ename: 'TimeoutError' });

      const after = await sandbox.runCode('kept * 6');
      expect(after.error).toBeUndefined();
      expect(after.text).toBe('42');
      expect(after.executionCount).toBe(3);
    });
  });

  it('replaces the kernel when a timed-out cell ignores the interrupt; the workspace stays', async () => {
    await withE2bSandbox(async (sandbox) => {
      await sandbox.runCode('lost = 1\nopen("kept.txt", "w").write("file")');
      const stubborn = ['import time', 'while True:', '    try:', '        time.sleep(0.1)', '    except KeyboardInterrupt:', '        pass'];
      const execution = await sandbox.runCode(stubborn.join('\n'), { timeoutMs: 500 });
      expect(execution.error?.name).toBe('TimeoutError');
      expect(execution.error?.value).toContain('kernel was restarted');

      const after = await sandbox.runCode('import os\nos.getcwd(), open("kept.txt").read(), "lost" in globals()');
      expect(after.text).toBe("('/mnt/data', 'file', False)");
      expect(after.executionCount).toBe(1);
      expect(sandbox.isAlive).toBe(true);
    });
  });
});

describe('E2B restarts and kernel deaths', () => {
  it('restart() clears variables and the execution count, keeps files and the working directory, and ends a running cell', async () => {
    await withE2bSandbox(async (sandbox) => {
      await sandbox.runCode('x = 1\nopen("notes.txt", "w").write("kept")');
      const started = deferred();
      const running = sandbox.runCode('print("started", flush=True)\nimport time\ntime.sleep(30)', {
        onStdout: () => started.resolve(),
      });
      await started.promise;
      await sandbox.restart();
      expect((await running).error?.name).toBe('KernelRestarted');

      const missing = await sandbox.runCode('x');
      expect(missing.error?.name).toBe('NameError');
      expect(missing.executionCount).toBe(1);
      const files = await sandbox.runCode('import os\nopen("notes.txt", "a").write(" and changed")\nos.getcwd(), open("notes.txt").read()');
      expect(files.text).toBe("('/mnt/data', 'kept and changed')");
      expect(server.sandbox(sandbox.id)?.contexts.size).toBe(1);
    });
  });

  it('reports a kernel that died during a cell as KernelDied and an exit event, then runs in a fresh kernel', async () => {
    await withE2bSandbox(async (sandbox) => {
      const exits: KernelExit[] = [];
      sandbox.on('exit', (exit) => exits.push(exit));
      await sandbox.runCode('x = 1');
      const execution = await sandbox.runCode('import os\nos._exit(1)');
      expect(execution.error?.name).toBe('KernelDied');
      expect(execution.error?.value).toContain('variables and imports from earlier cells are gone');
      expect(exits).toEqual([{ exitCode: null, signal: null, duringExecution: true }]);

      const after = await sandbox.runCode('import os\nos.getcwd(), "x" in globals()');
      expect(after.text).toBe("('/mnt/data', False)");
      expect(sandbox.isAlive).toBe(true);
    });
  });
});

describe('E2B files', () => {
  it('copies the workspace (and links into read-only binds) into the sandbox when it is created', async () => {
    const workspaceDir = await workspace();
    const inputsDir = await workspace();
    await writeFile(join(workspaceDir, 'sales.csv'), 'city,sales\nOslo,3\nLima,5\n');
    await mkdir(join(workspaceDir, 'notes'));
    await writeFile(join(workspaceDir, 'notes', 'readme.txt'), 'nested');
    await mkdir(join(inputsDir, 'file-1'));
    await writeFile(join(inputsDir, 'file-1', 'upload.csv'), 'a\n1\n2\n');
    await symlink('/mnt/inputs/file-1/upload.csv', join(workspaceDir, 'upload.csv'));

    const sandbox = await e2bTestBackend(server).create({
      workspaceDir,
      readOnlyBinds: [{ hostPath: inputsDir, sandboxPath: '/mnt/inputs' }],
    });
    try {
      const execution = await sandbox.runCode(
        [
          'import pandas as pd',
          'print(int(pd.read_csv("sales.csv").sales.sum()))',
          'print(open("notes/readme.txt").read())',
          'print(int(pd.read_csv("upload.csv").a.sum()), int(pd.read_csv("/mnt/inputs/file-1/upload.csv").a.sum()))',
        ].join('\n'),
      );
      expect(execution.error).toBeUndefined();
      expect(execution.logs.stdout.join('')).toBe('8\nnested\n3 3\n');
    } finally {
      await sandbox.close();
    }
  });

  it('uploads each input file once per sandbox, also for another replica, and leaves files the code wrote alone', async () => {
    await withE2bSandbox(async (sandbox) => {
      const input = { name: 'input.csv', key: 'file-1', open: async () => Buffer.from('a,b\n1,2\n') };
      await sandbox.provideFiles([input]);
      await sandbox.provideFiles([input]);
      const replica = await e2bTestBackend(server).connect(sandbox.id);
      try {
        await replica.provideFiles([input]);
        const writes = () => server.sandbox(sandbox.id)?.fileWrites.filter((path) => path === '/mnt/data/input.csv').length;
        expect(writes()).toBe(1);
        expect((await sandbox.runCode('import pandas as pd\nint(pd.read_csv("input.csv").b.sum())')).text).toBe('2');

        // Another upload under the same name (a new key) replaces it, streamed.
        await replica.provideFiles([{ name: 'input.csv', key: 'file-2', open: async () => Readable.from([Buffer.from('a,b\n5,6\n')]) }]);
        expect(writes()).toBe(2);
        expect((await sandbox.runCode('int(pd.read_csv("input.csv").b.sum())')).text).toBe('6');

        await sandbox.runCode('open("mine.txt", "w").write("by the code")');
        await sandbox.provideFiles([{ name: 'mine.txt', key: 'file-3', open: async () => Buffer.from('upload') }]);
        expect((await sandbox.runCode('open("mine.txt").read()')).text).toBe('by the code');
        await expect(sandbox.provideFiles([{ ...input, name: '../etc/passwd' }])).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      } finally {
        await replica.detach();
      }
    });
  });
});

describe('E2B sandbox lifetime', () => {
  it('extends the sandbox lifetime only when a cell could outlive it', async () => {
    await withE2bSandbox(async (sandbox) => {
      const timeoutCalls = () => server.requests.filter((request) => request.path === `/sandboxes/${sandbox.id}/timeout`).length;
      await sandbox.runCode('1', { timeoutMs: 1_000 });
      expect(timeoutCalls()).toBe(0);
      await sandbox.runCode('1', { timeoutMs: 90_000 });
      expect(timeoutCalls()).toBe(1);
      const record = server.sandbox(sandbox.id);
      expect((record?.endAt.getTime() ?? 0) - (record?.startedAt.getTime() ?? 0)).toBeGreaterThan(100_000);
      await sandbox.runCode('1', { timeoutMs: 60_000 });
      expect(timeoutCalls()).toBe(1);
    }, 100_000);
  });

  it('close() kills the sandbox at E2B, is idempotent, ends a running cell and refuses later calls', async () => {
    const sandbox = await e2bTestBackend(server).create({ workspaceDir: await workspace() });
    const started = deferred();
    const running = sandbox.runCode('print("started", flush=True)\nimport time\ntime.sleep(30)', { onStdout: () => started.resolve() });
    await started.promise;
    await Promise.all([sandbox.close(), sandbox.close()]);
    await sandbox.close();
    expect((await running).error?.name).toBe('SandboxClosed');
    expect(sandbox.isAlive).toBe(false);
    expect(server.sandbox(sandbox.id)).toBeUndefined();
    await expect(sandbox.runCode('1')).rejects.toMatchObject({ code: 'SANDBOX_UNAVAILABLE' });
    await expect(sandbox.restart()).rejects.toMatchObject({ code: 'SANDBOX_UNAVAILABLE' });
  });

  it('reports a sandbox E2B killed during a cell (its timeout) as KernelDied and an exit event, then refuses cells', async () => {
    await withE2bSandbox(async (sandbox) => {
      const exits: KernelExit[] = [];
      sandbox.on('exit', (exit) => exits.push(exit));
      const started = deferred();
      const running = sandbox.runCode('print("started", flush=True)\nimport time\ntime.sleep(30)', { onStdout: () => started.resolve() });
      await started.promise;
      await server.killSandbox(sandbox.id);
      const execution = await running;
      expect(execution.error?.name).toBe('KernelDied');
      expect(execution.error?.value).toContain('Create a new sandbox');
      expect(execution.logs.stdout).toEqual(['started\n']);
      expect(exits).toEqual([{ exitCode: null, signal: null, duringExecution: true }]);
      expect(sandbox.isAlive).toBe(false);
      await expect(sandbox.runCode('1')).rejects.toMatchObject({ code: 'SANDBOX_UNAVAILABLE' });
    });
  });
});
