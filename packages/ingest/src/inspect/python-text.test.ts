import { describe, expect, it } from '@jest/globals';
import { excelSerialText, isoDateText, pythonFloatRepr, pythonNumberText } from './python-text';

// Expected values are Python 3.11's str()/repr() of the same values.
describe('python text of spreadsheet values', () => {
  it.each([
    [2021, '2021'],
    [-3, '-3'],
    [1e20, '100000000000000000000'],
    [1.5, '1.5'],
    [0.1, '0.1'],
    [1e-7, '1e-07'],
    [1.5e-7, '1.5e-07'],
    [0.0001, '0.0001'],
    [0.00012345, '0.00012345'],
    [123456.789, '123456.789'],
    [1.2345678901234567e16 + 0.5, '12345678901234568'],
    [2.5e16 + 0.5, '25000000000000000'],
    [1.5e-300, '1.5e-300'],
    [-2.75, '-2.75'],
  ])('pythonNumberText(%p) is %p', (value, text) => {
    expect(pythonNumberText(value)).toBe(text);
  });

  it.each([
    [1e16, '1e+16'],
    [1.5e16, '1.5e+16'],
    [123.0, '123.0'],
    [1e15, '1000000000000000.0'],
    [1.5e300, '1.5e+300'],
  ])('pythonFloatRepr(%p) is %p', (value, text) => {
    expect(pythonFloatRepr(value)).toBe(text);
  });

  it.each([
    [44259.21258101852, false, '2021-03-04 05:06:07'],
    [0.25, false, '06:00:00'],
    [0.1278356481481482, false, '03:04:05'],
    [59.5, false, '1900-02-28 12:00:00'],
    [61, false, '1900-03-01 00:00:00'],
    [44259.123456789, false, '2021-03-04 02:57:46.667000'],
    [2958465.9999999, false, '9999-12-31 23:59:59.991000'],
    [0, true, '00:00:00'],
    [1, true, '1904-01-02 00:00:00'],
    [44259.5, true, '2025-03-05 12:00:00'],
    [1e7, false, undefined],
  ])('excelSerialText(%p, date1904=%p) is str(from_excel(...)) = %p', (serial, date1904, text) => {
    expect(excelSerialText(serial, date1904)).toBe(text);
  });

  it.each([
    ['2021-03-04T05:06:07Z', '2021-03-04 05:06:07'],
    ['2021-03-04', '2021-03-04'],
    ['05:06:07.25', '05:06:07.250000'],
    ['2021-03-04T05:06:07.123456', '2021-03-04 05:06:07.123000'],
    ['soon', undefined],
  ])('isoDateText(%p) is str(from_ISO8601(...)) = %p', (iso, text) => {
    expect(isoDateText(iso)).toBe(text);
  });
});
