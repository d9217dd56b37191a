import type { CellOutput } from '@assay/contracts';
import { createLogger } from '@assay/logger';
import { describe, expect, it } from '@jest/globals';
import { ExecutionRecorder } from './execution-recorder';
import type { AnyKernelMessage } from './protocol/messages';
import { validateMessage } from './protocol/messages';

const logger = createLogger({ name: 'test', level: 'silent' });
const header = { session: 's', username: 'u', date: 'd', version: '5.3' };
let counter = 0;

/** An iopub message answering request `p1`, validated the way the client validates them. */
function iopub(msgType: string, content: unknown): AnyKernelMessage {
  counter += 1;
  const result = validateMessage('iopub', {
    header: { ...header, msg_id: `m${counter}`, msg_type: msgType },
    parent_header: { ...header, msg_id: 'p1', msg_type: 'execute_request' },
    metadata: {},
    content,
    buffers: [],
  });
  if (!result.ok) throw new Error(result.reason);
  return result.message;
}

describe('ExecutionRecorder', () => {
  it('reports chunks in arrival order and merges consecutive chunks of one stream in outputs', () => {
    const seen: string[] = [];
    const outputs: CellOutput[] = [];
    const recorder = new ExecutionRecorder(
      {
        onStdout: (text) => seen.push(`out:${text}`),
        onStderr: (text) => seen.push(`err:${text}`),
        onOutput: (output) => outputs.push(output),
      },
      logger,
    );
    recorder.handleIopub(iopub('execute_input', { code: 'x', execution_count: 5 }));
    recorder.handleIopub(iopub('stream', { name: 'stdout', text: 'a' }));
    recorder.handleIopub(iopub('stream', { name: 'stdout', text: 'b\n' }));
    recorder.handleIopub(iopub('stream', { name: 'stderr', text: 'warn\n' }));
    recorder.handleIopub(iopub('stream', { name: 'stdout', text: 'c\n' }));
    recorder.handleReply({ status: 'ok', execution_count: 5 });
    const execution = recorder.finish();

    expect(seen).toEqual(['out:a', 'out:b\n', 'err:warn\n', 'out:c\n']);
    expect(outputs).toHaveLength(4);
    expect(execution.logs).toEqual({ stdout: ['a', 'b\n', 'c\n'], stderr: ['warn\n'] });
    expect(execution.outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'ab\n' },
      { output_type: 'stream', name: 'stderr', text: 'warn\n' },
      { output_type: 'stream', name: 'stdout', text: 'c\n' },
    ]);
    expect(execution.executionCount).toBe(5);
    expect(execution.error).toBeUndefined();
  });

  it('maps display_data and execute_result to results and nbformat outputs', () => {
    const recorder = new ExecutionRecorder({}, logger);
    recorder.handleIopub(iopub('display_data', { data: { 'image/png': 'iVBO', 'text/plain': '<Figure>' }, metadata: {}, transient: {} }));
    recorder.handleIopub(iopub('execute_result', { execution_count: 2, data: { 'text/plain': '2' }, metadata: {} }));
    const execution = recorder.finish();
    expect(execution.results.map((result) => [result.isMainResult, result.formats()])).toEqual([
      [false, ['text', 'png']],
      [true, ['text']],
    ]);
    expect(execution.text).toBe('2');
    expect(execution.outputs).toEqual([
      { output_type: 'display_data', data: { 'image/png': 'iVBO', 'text/plain': '<Figure>' }, metadata: {} },
      { output_type: 'execute_result', execution_count: 2, data: { 'text/plain': '2' }, metadata: {} },
    ]);
  });

  it('records an exception without ANSI codes, as error and as an error output', () => {
    const recorder = new ExecutionRecorder({}, logger);
    recorder.handleIopub(
      iopub('error', {
        ename: 'ZeroDivisionError',
        evalue: 'division by zero',
        traceback: ['\u001b[0;31m----> 1\u001b[0m 1/0', '\u001b[0;31mZeroDivisionError\u001b[0m: division by zero'],
      }),
    );
    recorder.handleReply({ status: 'error', ename: 'ZeroDivisionError', evalue: 'division by zero', traceback: [], execution_count: 3 });
    const execution = recorder.finish();
    expect(execution.error?.toJSON()).toEqual({
      name: 'ZeroDivisionError',
      value: 'division by zero',
      traceback: '----> 1 1/0\nZeroDivisionError: division by zero',
    });
    expect(execution.outputs).toEqual([
      { output_type: 'error', ename: 'ZeroDivisionError', evalue: 'division by zero', traceback: ['----> 1 1/0', 'ZeroDivisionError: division by zero'] },
    ]);
    expect(execution.executionCount).toBe(3);
  });

  it('takes the error from an error reply when iopub carried none', () => {
    const recorder = new ExecutionRecorder({}, logger);
    recorder.handleReply({ status: 'error', ename: 'RuntimeError', evalue: 'x', traceback: ['RuntimeError: x'] });
    expect(recorder.finish().error?.name).toBe('RuntimeError');
  });

  it('appends a failure after what the cell produced and makes it the error', () => {
    const outputs: CellOutput[] = [];
    const recorder = new ExecutionRecorder({ onOutput: (output) => outputs.push(output) }, logger);
    recorder.handleIopub(iopub('error', { ename: 'KeyboardInterrupt', evalue: '', traceback: ['KeyboardInterrupt: '] }));
    recorder.fail('TimeoutError', 'The cell ran longer than 1 s and was interrupted.');
    const execution = recorder.finish();
    expect(execution.error?.name).toBe('TimeoutError');
    expect(execution.outputs.map((output) => output.output_type === 'error' && output.ename)).toEqual(['KeyboardInterrupt', 'TimeoutError']);
    expect(outputs).toEqual(execution.outputs);
  });

  it('goes on when a callback throws', () => {
    const recorder = new ExecutionRecorder(
      {
        onStdout: () => {
          throw new Error('consumer bug');
        },
      },
      logger,
    );
    recorder.handleIopub(iopub('stream', { name: 'stdout', text: 'one\n' }));
    recorder.handleIopub(iopub('stream', { name: 'stdout', text: 'two\n' }));
    expect(recorder.finish().logs.stdout).toEqual(['one\n', 'two\n']);
  });
});
