import { describe, expect, it } from '@jest/globals';
import { isDateFormat } from './number-formats';

// Expected values are openpyxl 3.0.9's is_date_format on the same strings.
describe('isDateFormat', () => {
  it.each([
    ['yyyy-mm-dd hh:mm:ss', true],
    ['mm-dd-yy', true],
    ['[h]:mm:ss', true],
    ['h:mm AM/PM', true],
    ['dd/mm/yyyy;@', true],
    ['[$-409]d-mmm-yy', true],
    ['General', false],
    ['0.00', false],
    ['#,##0 "days"', false],
    ['[Red]0.00', false],
    ['d', false],
    ['\\d0', false],
    ['0.00;[Red]dd', false],
  ])('%s -> %p', (format, expected) => {
    expect(isDateFormat(format)).toBe(expected);
  });
});
