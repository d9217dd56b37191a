import { describe, expect, it } from '@jest/globals';
import { ErrorCode, isAssayError } from '@assay/errors';
import { formatFromFileName } from './file-format';

describe('formatFromFileName', () => {
  it.each([
    ['data.csv', 'csv'],
    ['DATA.CSV', 'csv'],
    ['export.tsv', 'tsv'],
    ['Sales 2021.Xlsx', 'xlsx'],
    ['legacy.v2.XLS', 'xls'],
  ])('reads %s as %s', (name, format) => {
    expect(formatFromFileName(name)).toBe(format);
  });

  it.each(['report.pdf', 'archive.zip', 'table.xlsm', 'notes', 'csv', '.xlsx.txt'])(
    'rejects %s with UNSUPPORTED_FILE_TYPE and the accepted types',
    (name) => {
      let caught: unknown;
      try {
        formatFromFileName(name);
      } catch (error) {
        caught = error;
      }
      expect(isAssayError(caught)).toBe(true);
      if (!isAssayError(caught)) return;
      expect(caught.code).toBe(ErrorCode.UNSUPPORTED_FILE_TYPE);
      expect(caught.status).toBe(415);
      expect(caught.message).toContain(name);
      expect(caught.message).toContain('.csv, .tsv, .xlsx or .xls');
    },
  );
});
