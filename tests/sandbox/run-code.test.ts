import type { CellOutput } from '@assay/contracts';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Sandbox } from '@assay/sandbox';
import { makeTempDir, removeDir, testBackend } from './support';

const ANSI = /\u001b\[/;

// One kernel for the whole file: these behaviours do not depend on a fresh state.
let workspaceDir: string;
let sandbox: Sandbox;

beforeAll(async () => {
  workspaceDir = await makeTempDir('run-code');
  sandbox = await testBackend().create({ workspaceDir });
});

afterAll(async () => {
  await sandbox?.close();
  await removeDir(workspaceDir);
});

describe('runCode', () => {
  it('keeps variables between cells', async () => {
    await sandbox.runCode('counter = 20');
    await sandbox.runCode('counter += 1');
    const execution = await sandbox.runCode('counter * 2');
    expect(execution.text).toBe('42');
  });

  it('increments the execution count by one per cell', async () => {
    const first = await sandbox.runCode('pass');
    const second = await sandbox.runCode('pass');
    expect(first.executionCount).toEqual(expect.any(Number));
    expect(second.executionCount).toBe((first.executionCount ?? 0) + 1);
  });

  it('returns the last expression as the main result', async () => {
    const execution = await sandbox.runCode('1+1');
    expect(execution.text).toBe('2');
    expect(execution.results).toHaveLength(1);
    expect(execution.results[0]?.isMainResult).toBe(true);
    expect(execution.error).toBeUndefined();
    expect(execution.outputs).toEqual([
      { output_type: 'execute_result', execution_count: execution.executionCount, data: { 'text/plain': '2' }, metadata: {} },
    ]);
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
    expect(events).toEqual([
      'stdout:out 0\n',
      'stderr:err 0\n',
      'stdout:out 1\n',
      'stderr:err 1\n',
      'stdout:out 2\n',
      'stderr:err 2\n',
    ]);
    expect(execution.logs).toEqual({ stdout: ['out 0\n', 'out 1\n', 'out 2\n'], stderr: ['err 0\n', 'err 1\n', 'err 2\n'] });
    expect(streamed.map((output) => output.output_type === 'stream' && `${output.name}:${output.text}`)).toEqual(events);
    expect(execution.outputs).toEqual(streamed);
  });

  it('gives a DataFrame as text/html and text/plain', async () => {
    const execution = await sandbox.runCode(
      'import pandas as pd\npd.DataFrame({"city": ["Oslo", "Lima"], "sales": [3, 5]})',
    );
    expect(execution.error).toBeUndefined();
    const [result] = execution.results;
    expect(result?.isMainResult).toBe(true);
    expect(result?.html).toContain('<table');
    expect(result?.html).toContain('Oslo');
    expect(result?.text).toContain('Lima');
    expect(result?.formats()).toEqual(['text', 'html']);
  });

  it('sends each open matplotlib figure as display_data with image/png', async () => {
    const outputs: CellOutput[] = [];
    const execution = await sandbox.runCode(
      [
        'import matplotlib.pyplot as plt',
        'plt.figure(); plt.plot([1, 3, 2])',
        'plt.figure(); _ = plt.bar(["a", "b"], [1, 2])',
      ].join('\n'),
      { onOutput: (output) => outputs.push(output) },
    );
    expect(execution.error).toBeUndefined();
    expect(execution.results).toHaveLength(2);
    for (const result of execution.results) {
      expect(result.isMainResult).toBe(false);
      expect(Buffer.from(result.png ?? '', 'base64').subarray(1, 4).toString()).toBe('PNG');
    }
    expect(execution.outputs.map((output) => output.output_type)).toEqual(['display_data', 'display_data']);
    expect(outputs).toHaveLength(2);
  });

  it('gives application/json as a JSON value', async () => {
    const execution = await sandbox.runCode('from IPython.display import JSON, display\ndisplay(JSON({"rows": [1, 2]}))');
    expect(execution.results[0]?.json).toEqual({ rows: [1, 2] });
  });

  it('returns an exception as data without ANSI codes, and the next cell still runs', async () => {
    const failed = await sandbox.runCode('def divide(a, b):\n    return a / b\n\ndivide(1, 0)');
    expect(failed.error?.name).toBe('ZeroDivisionError');
    expect(failed.error?.value).toBe('division by zero');
    expect(failed.error?.traceback).toContain('divide(1, 0)');
    expect(failed.error?.traceback).toContain('return a / b');
    expect(failed.error?.traceback).not.toMatch(ANSI);
    const output = failed.outputs[0];
    expect(output?.output_type).toBe('error');
    if (output?.output_type === 'error') {
      expect(output.ename).toBe('ZeroDivisionError');
      expect(output.traceback.join('\n')).not.toMatch(ANSI);
    }

    const next = await sandbox.runCode('"still running"');
    expect(next.error).toBeUndefined();
    expect(next.text).toBe("'still running'");
  });

  it('round-trips unicode in code, output and results', async () => {
    const text = 'héllo ✓ 数据 🎉';
    const stdout: string[] = [];
    const execution = await sandbox.runCode(`s = ${JSON.stringify(text)}\nprint(s)\n[len(s), s]`, {
      onStdout: (chunk) => stdout.push(chunk),
    });
    expect(stdout.join('')).toBe(`${text}\n`);
    expect(execution.text).toBe(`[${[...text].length}, '${text}']`);
  });

  it('runs cells one after the other when called concurrently', async () => {
    const slow = sandbox.runCode('import time\ntime.sleep(0.3)\norder = ["first"]');
    const fast = sandbox.runCode('order.append("second")\norder');
    const [first, second] = await Promise.all([slow, fast]);
    expect(first.error).toBeUndefined();
    expect(second.text).toBe("['first', 'second']");
  });
});
