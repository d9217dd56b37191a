import { describe, expect, it } from '@jest/globals';
import { withSandbox } from './support';

describe('cell timeout', () => {
  it('interrupts a cell that runs too long; the kernel answers and keeps its variables', async () => {
    await withSandbox(async (sandbox) => {
      await sandbox.runCode('kept = "before the long cell"');
      const execution = await sandbox.runCode('import time\nfor _ in range(600):\n    time.sleep(0.1)', { timeoutMs: 500 });

      expect(execution.error?.name).toBe('TimeoutError');
      expect(execution.error?.value).toContain('longer than 0.5 s and was interrupted');
      expect(execution.error?.value).toContain('timeoutMs');
      // What the kernel reported (where the cell was stopped), then the timeout itself.
      expect(execution.outputs.map((output) => output.output_type === 'error' && output.ename)).toEqual([
        'KeyboardInterrupt',
        'TimeoutError',
      ]);

      const after = await sandbox.runCode('kept');
      expect(after.error).toBeUndefined();
      expect(after.text).toBe("'before the long cell'");
    });
  });

  it('restarts a kernel that ignores the interrupt, and says so', async () => {
    await withSandbox(async (sandbox) => {
      await sandbox.runCode('lost = 1');
      const execution = await sandbox.runCode(
        'import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass',
        { timeoutMs: 500 },
      );

      expect(execution.error?.name).toBe('TimeoutError');
      expect(execution.error?.value).toContain('did not stop when interrupted, so the kernel was restarted');
      expect(sandbox.isAlive).toBe(true);

      const after = await sandbox.runCode('lost');
      expect(after.error?.name).toBe('NameError');
      expect((await sandbox.runCode('1+1')).text).toBe('2');
    });
  });

  it('rejects a timeout that is not a positive number', async () => {
    await withSandbox(async (sandbox) => {
      await expect(sandbox.runCode('1', { timeoutMs: 0 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      expect((await sandbox.runCode('1')).text).toBe('1');
    });
  });
});
