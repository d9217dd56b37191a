import { describe, expect, it } from '@jest/globals';
import {
  VariableNamer,
  fileStem,
  formatBytes,
  groupDigits,
  identifierPart,
  markdownCode,
  pythonString,
} from './python-source';

describe('identifierPart()', () => {
  it.each([
    ['Sales 2024', 'sales_2024'],
    ['Données Q3 (final)', 'donnees_q3_final'],
    ['--Über__Größe--', 'uber_gro_e'],
    ['日本語', ''],
    ['   ', ''],
    ['a'.repeat(50), 'a'.repeat(30)],
    [`${'b'.repeat(29)}-x`, 'b'.repeat(29)],
  ])('%j -> %j', (name, expected) => {
    expect(identifierPart(name)).toBe(expected);
  });
});

describe('fileStem()', () => {
  it('drops only the last extension and keeps dot-files whole', () => {
    expect(fileStem('sales.2024.csv')).toBe('sales.2024');
    expect(fileStem('.hidden')).toBe('.hidden');
    expect(fileStem('noext')).toBe('noext');
  });
});

describe('VariableNamer', () => {
  it('prefixes df_, deduplicates in call order and never returns a bare df', () => {
    const namer = new VariableNamer();
    expect(namer.take(['sales'])).toBe('df_sales');
    expect(namer.take(['sales'])).toBe('df_sales_2');
    expect(namer.take(['sales'])).toBe('df_sales_3');
    expect(namer.take(['book', 'q1'])).toBe('df_book_q1');
    expect(namer.take([''])).toBe('df_data');
    expect(namer.take(['data'])).toBe('df_data_2');
  });

  it('only produces Python identifiers', () => {
    const namer = new VariableNamer();
    for (const name of ['class', '1st', 'import', 'x y', 'Ä']) {
      expect(namer.take([identifierPart(name)])).toMatch(/^df_[a-z0-9_]*$/);
    }
  });
});

describe('pythonString()', () => {
  it('writes a double-quoted literal with JSON escapes', () => {
    expect(pythonString('a "b"\\c\nd\u0000')).toBe('"a \\"b\\"\\\\c\\nd\\u0000"');
  });
});

describe('markdownCode()', () => {
  it('uses a fence longer than the backticks inside', () => {
    expect(markdownCode('sales.csv')).toBe('`sales.csv`');
    expect(markdownCode('a`b')).toBe('``a`b``');
    expect(markdownCode('`x`')).toBe('`` `x` ``');
    expect(markdownCode('two\nlines')).toBe('`two lines`');
  });
});

describe('groupDigits() and formatBytes()', () => {
  it('formats independent of locale', () => {
    expect(groupDigits(0)).toBe('0');
    expect(groupDigits(1234567)).toBe('1,234,567');
    expect(formatBytes(1)).toBe('1 byte');
    expect(formatBytes(1023)).toBe('1023 bytes');
    expect(formatBytes(48_213)).toBe('47.1 KB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MB');
  });
});
