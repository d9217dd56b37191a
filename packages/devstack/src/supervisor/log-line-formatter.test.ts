import { describe, expect, it } from '@jest/globals';
import { createLogLineFormatter } from './log-line-formatter';

describe('createLogLineFormatter', () => {
  const format = createLogLineFormatter({ colorize: false, sourceWidth: 8 });

  it('shows a pino line as one readable line with its fields', () => {
    const line = JSON.stringify({ level: 'info', time: '2026-01-02T03:04:05.678Z', service: 'gateway', pid: 7, msg: 'listening', port: 8080 });
    const shown = format('gateway', line);
    expect(shown).toMatch(/^gateway  \| \[\d\d:\d\d:\d\d\.678\] INFO: listening \{"port":8080\}\n$/);
    expect(shown).not.toContain('"pid"');
  });

  it('keeps an error stack readable, each line prefixed', () => {
    const line = JSON.stringify({
      level: 'error',
      time: '2026-01-02T03:04:05.678Z',
      msg: 'failed',
      err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at main (main.js:1:1)' },
    });
    const lines = format('worker', line).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^worker   \| .*ERROR: failed/);
    expect(lines.some((shown) => shown.startsWith('worker   | ') && shown.includes('at main (main.js:1:1)'))).toBe(true);
  });

  it('passes other output through unchanged', () => {
    expect(format('gateway', 'TypeError: x is not a function')).toBe('gateway  | TypeError: x is not a function\n');
    expect(format('gateway', '{"not":"a log line"}')).toBe('gateway  | {"not":"a log line"}\n');
  });

  it('colours only when asked', () => {
    const colored = createLogLineFormatter({ colorize: true })('gateway', JSON.stringify({ level: 'warn', time: 0, msg: 'w' }));
    expect(colored).toContain('\u001b[');
    expect(format('gateway', JSON.stringify({ level: 'warn', time: 0, msg: 'w' }))).not.toContain('\u001b[');
  });
});
