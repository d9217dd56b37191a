import type { CellOutput } from '@assay/contracts';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Sandbox } from '@assay/sandbox';
import { deferred, makeTempDir, removeDir } from './support';

/**
 * What the conformance suite needs of a backend. Kept small so that every backend (local,
 * Jupyter, E2B…) can offer it.
 */
export interface BackendFactory {
  /** Shown in the suite's name. */
  name: string;
  /**
   * Directory in which the suite creates each workspace directory, for backends that only reach
   * workspaces below a root (a Jupyter server's root_dir). @defaultValue `os.tmpdir()`
   */
  workspaceParent?: string;
  /** A sandbox whose workspace is `workspaceDir` (an existing, empty directory). */
  create(workspaceDir: string): Promise<Sandbox>;
  /** Releases what the factory holds (servers, directories); called once, after the suite. */
  cleanup(): Promise<void>;
  /**
   * Documented ways this backend differs, each asserted as the backend documents it instead of
   * skipped: `interrupt: 'replaces-kernel'` — `interrupt()` stops a running cell by replacing
   * the kernel (KeyboardInterrupt, variables gone, kernelGeneration grows), as on E2B, which has
   * no interrupt call. `stringResult: 'unquoted'` — a string main result's text comes without
   * the quotes of its repr (E2B's server strips them). `timeoutOutputs: 'timeout-only'` — a cell
   * stopped at its timeout shows only the TimeoutError, not the kernel's KeyboardInterrupt
   * (E2B's server interrupts the cell after the request is gone, so that report reaches no one).
   * @defaultValue none: the behaviour of the local backend
   */
  knownDifferences?: {
    interrupt?: 'keeps-state' | 'replaces-kernel';
    stringResult?: 'quoted' | 'unquoted';
    timeoutOutputs?: 'interrupt-and-timeout' | 'timeout-only';
  };
}

const ANSI = /\u001b\[/;

/** The first PNG bytes (`\x89PNG`) of a base64 image. */
function isPng(base64: string | undefined): boolean {
  return Buffer.from(base64 ?? '', 'base64').subarray(1, 4).toString() === 'PNG';
}

/**
 * The behaviour every {@link Sandbox} must show, whatever runs the kernel: state across cells,
 * execution counts, streaming, rich results, errors as data, timeouts, interrupt, restart, close.
 * Call it at the top level of a test file, once per backend.
 */
export function describeBackendConformance(factory: BackendFactory): void {
  const workspaces: string[] = [];

  /** A sandbox on a fresh workspace; the workspace is removed after the suite. */
  async function freshSandbox(): Promise<Sandbox> {
    const workspaceDir = await makeTempDir('conformance', factory.workspaceParent);
    workspaces.push(workspaceDir);
    return factory.create(workspaceDir);
  }

  /** Runs `body` with a sandbox of its own and always closes it. */
  async function withOwnSandbox(body: (sandbox: Sandbox) => Promise<void>): Promise<void> {
    const sandbox = await freshSandbox();
    try {
      await body(sandbox);
    } finally {
      await sandbox.close();
    }
  }

  describe(`Sandbox conformance: ${factory.name}`, () => {
    // One kernel for the behaviours that do not depend on a fresh state.
    let shared: Sandbox | undefined;

    beforeAll(async () => {
      shared = await freshSandbox();
    });

    afterAll(async () => {
      try {
        await shared?.close();
      } finally {
        for (const dir of workspaces) await removeDir(dir);
        await factory.cleanup();
      }
    });

    function sandbox(): Sandbox {
      if (shared === undefined) throw new Error('the shared sandbox did not start');
      return shared;
    }

    describe('cells', () => {
      it('keeps variables between cells', async () => {
        await sandbox().runCode('counter = 20');
        await sandbox().runCode('counter += 1');
        const execution = await sandbox().runCode('counter * 2');
        expect(execution.text).toBe('42');
      });

      it('increments the execution count by one per cell', async () => {
        const first = await sandbox().runCode('pass');
        const second = await sandbox().runCode('pass');
        expect(first.executionCount).toEqual(expect.any(Number));
        expect(second.executionCount).toBe((first.executionCount ?? 0) + 1);
      });

      it('returns the last expression as the main result, also as an nbformat output', async () => {
        const execution = await sandbox().runCode('1+1');
        expect(execution.text).toBe('2');
        expect(execution.results).toHaveLength(1);
        expect(execution.results[0]?.isMainResult).toBe(true);
        expect(execution.error).toBeUndefined();
        expect(execution.outputs).toEqual([
          { output_type: 'execute_result', execution_count: execution.executionCount, data: { 'text/plain': '2' }, metadata: {} },
        ]);
      });

      it('runs cells one after the other when called concurrently', async () => {
        const slow = sandbox().runCode('import time\ntime.sleep(0.3)\norder = ["first"]');
        const fast = sandbox().runCode('order.append("second")\norder');
        const [first, second] = await Promise.all([slow, fast]);
        expect(first.error).toBeUndefined();
        expect(second.text).toBe("['first', 'second']");
      });
    });

    describe('output', () => {
      it('streams stdout and stderr through the callbacks in the order they were written', async () => {
        const events: string[] = [];
        const streamed: CellOutput[] = [];
        const execution = await sandbox().runCode(
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

      it('gives a DataFrame as the main result with text/html and text/plain', async () => {
        const execution = await sandbox().runCode(
          'import pandas as pd\npd.DataFrame({"city": ["Oslo", "Lima"], "sales": [3, 5]})',
        );
        expect(execution.error).toBeUndefined();
        expect(execution.results).toHaveLength(1);
        const [result] = execution.results;
        expect(result?.isMainResult).toBe(true);
        expect(result?.html).toContain('<table');
        expect(result?.html).toContain('Oslo');
        expect(result?.text).toContain('Lima');
        expect(result?.formats()).toEqual(['text', 'html']);
        expect(execution.outputs.map((output) => output.output_type)).toEqual(['execute_result']);
      });

      it('sends each figure of a cell as its own display_data with image/png', async () => {
        const streamed: CellOutput[] = [];
        const execution = await sandbox().runCode(
          [
            'import matplotlib.pyplot as plt',
            'plt.figure(); plt.plot([1, 3, 2])',
            'plt.figure(); _ = plt.bar(["a", "b"], [1, 2])',
            'plt.figure(); _ = plt.scatter([1, 2, 3], [3, 1, 2])',
          ].join('\n'),
          { onOutput: (output) => streamed.push(output) },
        );
        expect(execution.error).toBeUndefined();
        expect(execution.results).toHaveLength(3);
        for (const result of execution.results) {
          expect(result.isMainResult).toBe(false);
          expect(isPng(result.png)).toBe(true);
        }
        // Three different pictures, not one sent three times.
        expect(new Set(execution.results.map((result) => result.png)).size).toBe(3);
        expect(execution.outputs.map((output) => output.output_type)).toEqual(['display_data', 'display_data', 'display_data']);
        expect(streamed).toEqual(execution.outputs);
      });

      it('gives JSON, Markdown, SVG and LaTeX displayed with IPython.display in their own fields', async () => {
        const execution = await sandbox().runCode(
          [
            'from IPython.display import JSON, Latex, Markdown, SVG, display',
            'display(JSON({"rows": [1, 2], "ok": True}))',
            'display(Markdown("# Title\\n*emphasis*"))',
            'display(SVG(\'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>\'))',
            'display(Latex(r"$\\alpha^2$"))',
          ].join('\n'),
        );
        expect(execution.error).toBeUndefined();
        const [json, markdown, svg, latex] = execution.results;
        expect(execution.results).toHaveLength(4);
        expect(json?.json).toEqual({ rows: [1, 2], ok: true });
        expect(markdown?.markdown).toBe('# Title\n*emphasis*');
        expect(svg?.svg).toContain('<rect width="4" height="4"');
        expect(latex?.latex).toBe('$\\alpha^2$');
        expect(execution.results.every((result) => !result.isMainResult)).toBe(true);
      });

      it('round-trips unicode in code, output and results', async () => {
        const text = 'héllo ✓ 数据 🎉';
        const stdout: string[] = [];
        const execution = await sandbox().runCode(`s = ${JSON.stringify(text)}\nprint(s)\n[len(s), s]`, {
          onStdout: (chunk) => stdout.push(chunk),
        });
        expect(stdout.join('')).toBe(`${text}\n`);
        expect(execution.text).toBe(`[${[...text].length}, '${text}']`);
      });
    });

    describe('errors', () => {
      it('returns an exception as data with name, value and traceback without ANSI codes; the next cell runs', async () => {
        const failed = await sandbox().runCode('def divide(a, b):\n    return a / b\n\ndivide(1, 0)');
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

        const next = await sandbox().runCode('"still running"');
        expect(next.error).toBeUndefined();
        expect(next.text).toBe(factory.knownDifferences?.stringResult === 'unquoted' ? 'still running' : "'still running'");
      });

      it('rejects a timeout that is not a positive number', async () => {
        await expect(sandbox().runCode('1', { timeoutMs: 0 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
        expect((await sandbox().runCode('1')).text).toBe('1');
      });
    });

    describe('control', () => {
      it('interrupts a cell past its timeout; the kernel then answers and keeps its variables', async () => {
        await withOwnSandbox(async (own) => {
          await own.runCode('kept = "before the long cell"');
          const execution = await own.runCode('import time\nfor _ in range(600):\n    time.sleep(0.1)', { timeoutMs: 500 });

          expect(execution.error?.name).toBe('TimeoutError');
          expect(execution.error?.value).toContain('longer than 0.5 s and was interrupted');
          expect(execution.error?.value).toContain('timeoutMs');
          // What the kernel reported (where the cell was stopped), then the timeout itself.
          expect(execution.outputs.map((output) => output.output_type === 'error' && output.ename)).toEqual(
            factory.knownDifferences?.timeoutOutputs === 'timeout-only' ? ['TimeoutError'] : ['KeyboardInterrupt', 'TimeoutError'],
          );

          const after = await own.runCode('kept');
          expect(after.error).toBeUndefined();
          expect(after.text).toBe(factory.knownDifferences?.stringResult === 'unquoted' ? 'before the long cell' : "'before the long cell'");
        });
      });

      const interrupt = factory.knownDifferences?.interrupt ?? 'keeps-state';
      it(`interrupt() stops the running cell with KeyboardInterrupt and ${interrupt === 'keeps-state' ? 'keeps the state' : 'replaces the kernel (known difference)'}`, async () => {
        await withOwnSandbox(async (own) => {
          const started = deferred();
          const running = own.runCode('y = 5\nprint("started", flush=True)\nimport time\ntime.sleep(30)', {
            onStdout: () => started.resolve(),
          });
          await started.promise;
          const generation = own.kernelGeneration;
          await own.interrupt();
          const execution = await running;
          expect(execution.error?.name).toBe('KeyboardInterrupt');
          if (interrupt === 'keeps-state') {
            expect((await own.runCode('y')).text).toBe('5');
          } else {
            expect(own.kernelGeneration).toBe((generation ?? Number.NaN) + 1);
            expect((await own.runCode('y')).error?.name).toBe('NameError');
            expect((await own.runCode('1+1')).text).toBe('2');
          }
        });
      });

      it('restart() clears variables and the execution count, and ends a running cell with KernelRestarted', async () => {
        await withOwnSandbox(async (own) => {
          await own.runCode('x = 1');
          await own.runCode('x += 1');
          const generation = own.kernelGeneration;
          const started = deferred();
          const running = own.runCode('print("started", flush=True)\nimport time\ntime.sleep(30)', {
            onStdout: () => started.resolve(),
          });
          await started.promise;
          await own.restart();
          expect((await running).error?.name).toBe('KernelRestarted');
          expect(own.isAlive).toBe(true);
          if (generation !== undefined) expect(own.kernelGeneration).toBe(generation + 1);

          const execution = await own.runCode('x');
          expect(execution.error?.name).toBe('NameError');
          expect(execution.executionCount).toBe(1);
          expect((await own.runCode('1+1')).text).toBe('2');
        });
      });

      it('close() is idempotent, ends a running cell with SandboxClosed and refuses later calls', async () => {
        const own = await freshSandbox();
        const started = deferred();
        const running = own.runCode('print("started", flush=True)\nimport time\ntime.sleep(30)', {
          onStdout: () => started.resolve(),
        });
        await started.promise;

        await Promise.all([own.close(), own.close()]);
        await own.close();

        expect((await running).error?.name).toBe('SandboxClosed');
        expect(own.isAlive).toBe(false);
        await expect(own.runCode('1')).rejects.toMatchObject({ code: 'SANDBOX_UNAVAILABLE' });
        await expect(own.restart()).rejects.toMatchObject({ code: 'SANDBOX_UNAVAILABLE' });
      });
    });
  });
}
