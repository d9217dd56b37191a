import { describe, expect, it } from '@jest/globals';
import { withSandbox } from './support';

// Interrupting a cell past its timeout, and refusing a bad timeoutMs, are in backend-conformance.ts.
describe('cell timeout', () => {
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
});
