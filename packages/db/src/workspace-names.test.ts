import { describe, expect, it } from '@jest/globals';
import { assignWorkspaceNames } from './workspace-names';

describe('assignWorkspaceNames', () => {
  it('keeps distinct names and gives later files with a taken name a numbered copy name', () => {
    const names = assignWorkspaceNames([
      { id: 'a', name: 'sales.csv' },
      { id: 'b', name: 'costs.xlsx' },
      { id: 'c', name: 'sales.csv' },
      { id: 'd', name: 'sales.csv' },
    ]);
    expect([...names]).toEqual([
      ['a', 'sales.csv'],
      ['b', 'costs.xlsx'],
      ['c', 'sales (2).csv'],
      ['d', 'sales (3).csv'],
    ]);
  });

  it('gives a file attached twice one name', () => {
    const names = assignWorkspaceNames([
      { id: 'a', name: 'x.csv' },
      { id: 'b', name: 'x.csv' },
      { id: 'a', name: 'x.csv' },
    ]);
    expect([...names]).toEqual([
      ['a', 'x.csv'],
      ['b', 'x (2).csv'],
    ]);
  });

  it('skips a numbered name that an uploaded file already uses', () => {
    const names = assignWorkspaceNames([
      { id: 'a', name: 'r.csv' },
      { id: 'b', name: 'r (2).csv' },
      { id: 'c', name: 'r.csv' },
    ]);
    expect(names.get('c')).toBe('r (3).csv');
  });

  it('numbers names without an extension, or that start with a dot, after the whole name', () => {
    const names = assignWorkspaceNames([
      { id: 'a', name: '.csv' },
      { id: 'b', name: '.csv' },
      { id: 'c', name: 'data' },
      { id: 'd', name: 'data' },
    ]);
    expect(names.get('b')).toBe('.csv (2)');
    expect(names.get('d')).toBe('data (2)');
  });

  it('is the same for the same attachment order', () => {
    const files = [
      { id: '1', name: 'a.csv' },
      { id: '2', name: 'a.csv' },
    ];
    expect([...assignWorkspaceNames(files)]).toEqual([...assignWorkspaceNames([...files])]);
  });
});
