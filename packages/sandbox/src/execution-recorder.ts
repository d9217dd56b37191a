import type { CellOutput } from '@assay/contracts';
import type { Logger } from '@assay/logger';
import { stripAnsi } from './ansi';
import { z } from 'zod';
import { Execution, ExecutionError, Result, type UserExpressionResult } from './execution';
import type { AnyKernelMessage, ExecuteReplyContent } from './protocol/messages';
import { isMessageType } from './protocol/messages';
import type { RunCodeOptions } from './types';

/** The streaming callbacks of {@link RunCodeOptions}. */
export type OutputCallbacks = Pick<RunCodeOptions, 'onOutput' | 'onStdout' | 'onStderr'>;

/** Output one cell may keep (text and rich data together) unless the backend sets another cap. */
export const DEFAULT_MAX_OUTPUT_BYTES = 8 * 1024 * 1024;

/**
 * Builds one {@link Execution} from the iopub messages and the execute_reply of one request,
 * calling the streaming callbacks as each output arrives.
 *
 * `clear_output` and `update_display_data` are not applied: outputs are an append-only record,
 * the same as what the callbacks saw.
 */
export class ExecutionRecorder {
  private readonly results: Result[] = [];
  private readonly stdout: string[] = [];
  private readonly stderr: string[] = [];
  private readonly outputs: CellOutput[] = [];
  private error: ExecutionError | undefined;
  private executionCount: number | undefined;
  private userExpressions: Record<string, UserExpressionResult> = {};
  private keptBytes = 0;
  private droppedBytes = 0;

  /**
   * @param maxOutputBytes - output kept per cell; past it, outputs are dropped (not stored, not
   *   reported) and one notice says so, so that a cell printing in a loop cannot fill the
   *   database, the event log or a client's screen. Errors are always kept.
   */
  constructor(
    private readonly callbacks: OutputCallbacks,
    private readonly logger: Logger,
    private readonly maxOutputBytes: number = DEFAULT_MAX_OUTPUT_BYTES,
  ) {}

  /** Records one iopub message whose parent is this request. */
  handleIopub(msg: AnyKernelMessage): void {
    if (isMessageType(msg, 'stream')) {
      const { name, text } = msg.content;
      if (!this.admit(text.length)) return;
      (name === 'stdout' ? this.stdout : this.stderr).push(text);
      this.append({ output_type: 'stream', name, text });
      this.call(name === 'stdout' ? this.callbacks.onStdout : this.callbacks.onStderr, text);
    } else if (isMessageType(msg, 'display_data')) {
      if (!this.admit(bundleSize(msg.content.data))) return;
      this.results.push(new Result(msg.content.data, false));
      this.append({ output_type: 'display_data', data: msg.content.data, metadata: msg.content.metadata });
    } else if (isMessageType(msg, 'execute_result')) {
      this.executionCount = msg.content.execution_count;
      if (!this.admit(bundleSize(msg.content.data))) return;
      this.results.push(new Result(msg.content.data, true));
      this.append({
        output_type: 'execute_result',
        execution_count: msg.content.execution_count,
        data: msg.content.data,
        metadata: msg.content.metadata,
      });
    } else if (isMessageType(msg, 'error')) {
      this.recordError(msg.content.ename, msg.content.evalue, msg.content.traceback);
    } else if (isMessageType(msg, 'execute_input')) {
      this.executionCount = msg.content.execution_count;
    }
  }

  /** Records the execute_reply; an error reply without an error message on iopub becomes the error. */
  handleReply(reply: ExecuteReplyContent): void {
    if (reply.status === 'ok') {
      this.executionCount = reply.execution_count;
      this.userExpressions = parseUserExpressions(reply.user_expressions, this.logger);
    } else if (reply.status === 'error') {
      if (typeof reply.execution_count === 'number') this.executionCount = reply.execution_count;
      if (this.error === undefined) this.recordError(reply.ename, reply.evalue, reply.traceback);
    } else {
      this.fail('Aborted', 'The kernel skipped this cell because an earlier request failed.');
    }
  }

  /**
   * Ends the cell with a failure that is not a Python exception (timeout, dead kernel): appended
   * as an error output and set as the error, replacing an earlier one.
   */
  fail(name: string, value: string): void {
    this.recordError(name, value, [`${name}: ${value}`]);
  }

  /** The execution as recorded so far. */
  finish(): Execution {
    if (this.droppedBytes > 0) {
      this.append({
        output_type: 'stream',
        name: 'stderr',
        text: `\n[Output truncated: this cell produced more than ${formatMiB(this.maxOutputBytes)} of output; ${formatMiB(this.droppedBytes)} more were not kept. Print less, or write large results to a file under /mnt/data.]\n`,
      });
    }
    return new Execution({
      results: [...this.results],
      logs: { stdout: [...this.stdout], stderr: [...this.stderr] },
      error: this.error,
      executionCount: this.executionCount,
      outputs: this.outputs.map((output) => ({ ...output })),
      userExpressions: this.userExpressions,
    });
  }

  private recordError(ename: string, evalue: string, traceback: string[]): void {
    const lines = traceback.map(stripAnsi);
    this.error = new ExecutionError(ename, stripAnsi(evalue), lines.join('\n'));
    this.append({ output_type: 'error', ename, evalue: stripAnsi(evalue), traceback: lines });
  }

  /** Whether an output of this size still fits under the cap; counts what is dropped. */
  private admit(bytes: number): boolean {
    if (this.droppedBytes === 0 && this.keptBytes + bytes <= this.maxOutputBytes) {
      this.keptBytes += bytes;
      return true;
    }
    if (this.droppedBytes === 0) this.logger.info({ maxOutputBytes: this.maxOutputBytes }, 'cell output over the cap; dropping the rest');
    this.droppedBytes += bytes;
    return false;
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

  /** A throwing callback is the caller's bug: it is logged and must not break the kernel's message loop. */
  private call<A>(callback: ((arg: A) => void) | undefined, arg: A): void {
    if (callback === undefined) return;
    try {
      callback(arg);
    } catch (error) {
      this.logger.warn({ err: error }, 'a runCode output callback threw; the cell goes on');
    }
  }
}

/** Approximate size of a MIME bundle: its string values (base64 images, HTML, text) dominate. */
function bundleSize(data: Readonly<Record<string, unknown>>): number {
  let size = 0;
  for (const value of Object.values(data)) size += typeof value === 'string' ? value.length : JSON.stringify(value ?? null).length;
  return size;
}

function formatMiB(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}

/** The user_expressions of an execute_reply, as the Jupyter protocol shapes them. */
const UserExpressionsReply = z.record(
  z.string(),
  z.union([
    z.object({ status: z.literal('ok'), data: z.record(z.string(), z.unknown()) }),
    z.object({ status: z.literal('error'), ename: z.string(), evalue: z.string() }),
  ]),
);

function parseUserExpressions(raw: unknown, logger: Logger): Record<string, UserExpressionResult> {
  if (raw === undefined) return {};
  const parsed = UserExpressionsReply.safeParse(raw);
  if (parsed.success) return parsed.data;
  logger.warn({ issues: parsed.error.issues.slice(0, 3) }, 'ignoring malformed user_expressions in an execute_reply');
  return {};
}
