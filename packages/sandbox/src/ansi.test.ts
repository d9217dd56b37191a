import { describe, expect, it } from '@jest/globals';
import { stripAnsi } from './ansi';

describe('stripAnsi()', () => {
  it('removes colour and cursor sequences and OSC hyperlinks', () => {
    expect(stripAnsi('\u001b[0;31mZeroDivisionError\u001b[0m: division by zero')).toBe('ZeroDivisionError: division by zero');
    expect(stripAnsi('\u001b[1;32m----> 1\u001b[39m 1/0\u001b[2K')).toBe('----> 1 1/0');
    expect(stripAnsi('\u001b]8;;file:///x.py\u0007x.py\u001b]8;;\u0007')).toBe('x.py');
  });

  it('leaves plain text, including non-ASCII, untouched', () => {
    expect(stripAnsi('ValueError: ünïcode [1] ✓')).toBe('ValueError: ünïcode [1] ✓');
  });
});
