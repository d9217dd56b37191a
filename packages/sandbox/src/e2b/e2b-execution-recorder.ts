import type { CellOutput } from '@assay/contracts';
import type { Logger } from '@assay/logger';
import type { ExecutionError as E2bExecutionError, Result as E2bResult } from '@e2b/code-interpreter';
import { stripAnsi } from '../ansi';
import { Execution, ExecutionError, Result } from '../execution';
import type { OutputCallbacks } from '../execution-recorder';
import { mimeBundleOf, tracebackLines } from './e2b-results';

/**
 * Builds one {@link Execution} from the callbacks of one E2B `runCode`, in the order the server
 * streamed them, and passes each output on to the caller's callbacks as it arrives.
 *
 * E2B's own `Execution` keeps results and logs in separate lists; the callbacks are the only
 * place where their relative order (needed for nbformat outputs) is visible. The execution
 * count is not among the callbacks: an `execute_result` is streamed with the count the sandbox
 * expects (null when it does not know) and carries the kernel's count once the cell is done.
 */
export class E2bExecutionRecorder {
  private readonly results: Result[] = [];
  private readonly stdout: string[] = [];
  private readonly stderr: string[] = [];
  private readonly outputs: CellOutput[] = [];
  private error: ExecutionError | undefined;

  constructor(
    private readonly callbacks: OutputCallbacks,
    private readonly expectedCount: number | undefined,
    private readonly logger: Logger,
  ) {}

  /** A chunk the cell wrote to stdout or stderr. */
  stream(name: 'stdout' | 'stderr', text: string): void {
    (name === 'stdout' ? this.stdout : this.stderr).push(text);
    this.append({ output_type: 'stream', name, text });
    this.call(name === 'stdout' ? this.callbacks.onStdout : this.callbacks.onStderr, text);
  }

  /** A displayed value or the cell's main result. */
  result(e2bResult: E2bResult): void {
    const data = mimeBundleOf(e2bResult);
    this.results.push(new Result(data, e2bResult.isMainResult));
    this.append(
      e2bResult.isMainResult
        ? { output_type: 'execute_result', execution_count: this.expectedCount ?? null, data, metadata: {} }
        : { output_type: 'display_data', data, metadata: {} },
    );
  }

  /** A Python exception of the cell. */
  pythonError(error: E2bExecutionError): void {
    this.recordError(error.name, error.value, tracebackLines(error.traceback));
  }

  /**
   * Ends the cell with a failure that is not a Python exception (timeout, dead kernel, closed
   * sandbox), replacing an earlier error as the execution's error.
   */
  fail(name: string, value: string): void {
    this.recordError(name, value, [`${name}: ${value}`]);
  }

  /** The execution as recorded; `executionCount` is the kernel's count when E2B reported it. */
  finish(executionCount: number | undefined): Execution {
    const count = executionCount ?? this.expectedCount;
    return new Execution({
      results: [...this.results],
      logs: { stdout: [...this.stdout], stderr: [...this.stderr] },
      error: this.error,
      executionCount: count,
      outputs: this.outputs.map((output) =>
        output.output_type === 'execute_result' && count !== undefined
          ? { ...output, execution_count: count }
          : { ...output },
      ),
    });
  }

  private recordError(name: string, value: string, traceback: string[]): void {
    const lines = traceback.map(stripAnsi);
    this.error = new ExecutionError(name, stripAnsi(value), lines.join('\n'));
    this.append({ output_type: 'error', ename: name, evalue: stripAnsi(value), traceback: lines });
  }

  /** Stores an output (merging a stream chunk into the previous chunk of the same stream) and reports it. */
  private append(output: CellOutput): void {
    const last = this.outputs[this.outputs.length - 1];
    if (output.output_type === 'stream' && last?.output_type === 'stream' && last.name === output.name) {
      this.outputs[this.outputs.length - 1] = { ...last, text: last.text + output.text };
    } else {
      this.outputs.push(output);
    }
    this.call(this.callbacks.onOutput, output);
  }

  /** A throwing callback is the caller's bug: it is logged and must not break the stream. */
  private call<A>(callback: ((arg: A) => void) | undefined, arg: A): void {
    if (callback === undefined) return;
    try {
      callback(arg);
    } catch (error) {
      this.logger.warn({ err: error }, 'a runCode output callback threw; the cell goes on');
    }
  }
}
