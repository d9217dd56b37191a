import { describe, expect, it } from '@jest/globals';
import { datetimeTextInTimestampRange, excelColumnNames, type HeaderCell, pandasColumnNames, stringCell } from './pandas-headers';

const strings = (...values: string[]): HeaderCell[] => values.map(stringCell);

// Expected values were taken from pandas 1.5.3 (`pd.read_csv(io.StringIO(...)).columns`);
// tests/ingest compares the same rules against a live pandas.
describe('pandasColumnNames', () => {
  it('names empty cells after their position', () => {
    expect(pandasColumnNames(strings('', 'b', ''))).toEqual(['Unnamed: 0', 'b', 'Unnamed: 2']);
  });

  it('numbers duplicates, skipping names that already exist', () => {
    expect(pandasColumnNames(strings('a', 'a', 'a.1', '', 'Unnamed: 3', 'a'))).toEqual([
      'a',
      'a.2',
      'a.1',
      'Unnamed: 3.1',
      'Unnamed: 3',
      'a.3',
    ]);
    expect(pandasColumnNames(strings('a', 'a.1', 'a'))).toEqual(['a', 'a.1', 'a.2']);
    expect(pandasColumnNames(strings('Unnamed: 1', '', ''))).toEqual(['Unnamed: 1', 'Unnamed: 1.1', 'Unnamed: 2']);
  });

  it('compares cells by value, not by their printed text', () => {
    const cells: HeaderCell[] = [
      { empty: false, key: 'n:2021', text: '2021', label: { type: 'int', value: 2021n } },
      { empty: false, key: 's:2021', text: '2021', label: { type: 'str' } },
      { empty: false, key: 'n:2021', text: '2021', label: { type: 'int', value: 2021n } },
    ];
    expect(pandasColumnNames(cells)).toEqual(['2021', '2021', '2021.1']);
  });
});

const int = (value: bigint): HeaderCell => ({ empty: false, key: `n:${value}`, text: value.toString(), label: { type: 'int', value } });
const float = (value: number, text: string): HeaderCell => ({ empty: false, key: `n:${value}`, text, label: { type: 'float', value } });
const nan: HeaderCell = { empty: false, key: 'nan', text: 'nan', label: { type: 'float', value: Number.NaN } };
const datetime = (text: string): HeaderCell => ({ empty: false, key: `datetime:${text}`, text, label: { type: 'datetime', inTimestampRange: datetimeTextInTimestampRange(text) } });
const bool: HeaderCell = { empty: false, key: 'n:1', text: 'True', label: { type: 'other' } };

// Expected values are `[str(c) for c in pd.Index(labels)]` in pandas 1.5.3.
describe('labels printed as the column Index holds them', () => {
  it.each([
    ['ints stay ints', [int(1n), int(2n)], ['1', '2']],
    ['ints and floats become floats', [int(1n), float(1.5, '1.5'), int(3n)], ['1.0', '1.5', '3.0']],
    ['an int and NaN become floats', [int(5n), nan], ['5.0', 'nan']],
    ['ints beyond int64 but within uint64, with a float', [int(2n ** 63n), float(0.5, '0.5')], ['9.223372036854776e+18', '0.5']],
    ['a negative int and one beyond int64 stay objects', [int(-1n), int(2n ** 63n), float(0.5, '0.5')], ['-1', '9223372036854775808', '0.5']],
    ['an int beyond uint64 keeps everything an object', [int(10n ** 20n), float(0.5, '0.5')], ['100000000000000000000', '0.5']],
    ['a bool keeps everything an object', [bool, float(1.5, '1.5')], ['True', '1.5']],
    ['a string keeps everything an object', [int(1n), float(1.5, '1.5'), stringCell('a')], ['1', '1.5', 'a']],
    ['datetimes and NaN: NaT', [datetime('2021-01-01 00:00:00'), nan], ['2021-01-01 00:00:00', 'NaT']],
    ['a datetime beyond pd.Timestamp keeps NaN', [datetime('2300-01-01 00:00:00'), nan], ['2300-01-01 00:00:00', 'nan']],
    ['a duplicate renamed to a string keeps the rest as they are', [int(1n), float(1, '1'), float(2.5, '2.5')], ['1', '1.1', '2.5']],
  ])('%s', (_title, cells, expected) => {
    expect(pandasColumnNames(cells)).toEqual(expected);
  });

  it('knows where pd.Timestamp ends, to the microsecond', () => {
    expect(datetimeTextInTimestampRange('1677-09-21 00:12:43.145224')).toBe(false);
    expect(datetimeTextInTimestampRange('1677-09-21 00:12:43.145225')).toBe(true);
    expect(datetimeTextInTimestampRange('2262-04-11 23:47:16.854775')).toBe(true);
    expect(datetimeTextInTimestampRange('2262-04-11 23:47:16.854776')).toBe(false);
  });
});

// Expected values are pandas 1.5.3's `read_excel` of a sheet whose first cell holds the text.
describe('excelColumnNames', () => {
  it.each([
    ['\ufeffName', 'Name'],
    ['\ufeff"ab"cd', 'abcd'],
    ['\ufeff', 'Unnamed: 0'],
    ['x\ufeff', 'x\ufeff'],
  ])('drops the byte order mark of %j', (text, expected) => {
    expect(excelColumnNames([stringCell(text), stringCell('b')])).toEqual([expected, 'b']);
  });

  it('refuses a byte order mark, a quote and no closing quote, as pandas does', () => {
    expect(() => excelColumnNames([stringCell('\ufeff"ab')])).toThrow('unclosed quote');
  });
});
