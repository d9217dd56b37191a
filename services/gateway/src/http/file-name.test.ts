import { describe, expect, it } from '@jest/globals';
import { displayName } from './file-name';

describe('displayName', () => {
  it.each([
    ['sales.csv', 'sales.csv'],
    ['../../etc/passwd.csv', 'passwd.csv'],
    ['C:\\Users\\ada\\Q3 results.xlsx', 'Q3 results.xlsx'],
    ['  padded.tsv  ', 'padded.tsv'],
    ['bell\u0007and\nnewline.csv', 'bellandnewline.csv'],
    ['Région & "Notes".xlsx', 'Région & "Notes".xlsx'],
    ['Re\u0301gion.csv', 'Région.csv'],
    ['invoice\u202Excslx.csv', 'invoicexcslx.csv'],
    ['c1\u0085control\u2028.tsv', 'c1control.tsv'],
  ])('%j -> %j', (sent, expected) => {
    expect(displayName(sent)).toBe(expected);
  });

  it.each(['', '   ', 'dir/', '..', '\u0001\u0002'])('refuses %j, which leaves no name', (sent) => {
    expect(() => displayName(sent)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  it('refuses names over 255 bytes', () => {
    expect(() => displayName(`${'é'.repeat(130)}.csv`)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});
