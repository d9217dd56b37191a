import { describe, expect, it } from '@jest/globals';
import { type HeaderCell, pandasColumnNames, stringCell } from './pandas-headers';

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
      { empty: false, key: 'n:2021', text: '2021' },
      { empty: false, key: 's:2021', text: '2021' },
      { empty: false, key: 'n:2021', text: '2021' },
    ];
    expect(pandasColumnNames(cells)).toEqual(['2021', '2021', '2021.1']);
  });
});
