import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { FileFormat } from '@assay/contracts';
import { ErrorCode, isAssayError } from '@assay/errors';
import { type InspectFileOptions, inspectFile } from '@assay/ingest';
import { craftEncryptedOoxml, markXlsEncrypted } from './support/crafted-files';
import { type SheetSpec, writeXlsWithXlwt, writeXlsxWithExceljs, writeZip } from './support/table-files';
import { useTempDir } from './support/temp-dir';

const SHEETS: SheetSpec[] = [
  { name: 'First', rows: [['a', 'b', 'c'], [1, 2, 3]] },
  { name: 'Second', rows: [['x'], [1]] },
];

/** Runs inspectFile and returns the error it fails with (the test fails if it resolves). */
async function failure(options: InspectFileOptions): Promise<unknown> {
  try {
    const metadata = await inspectFile(options);
    throw new Error(`expected a failure, got ${JSON.stringify(metadata)}`);
  } catch (error) {
    return error;
  }
}

async function expectUnreadable(options: InspectFileOptions, ...says: string[]): Promise<void> {
  const error = await failure(options);
  expect(isAssayError(error)).toBe(true);
  if (!isAssayError(error)) throw error;
  expect(error.code).toBe(ErrorCode.FILE_UNREADABLE);
  expect(error.status).toBe(422);
  expect(error.message.startsWith(`${options.name} cannot be read: `)).toBe(true);
  for (const text of says) expect(error.message).toContain(text);
}

describe('inspectFile refuses files it cannot read, saying what to do', () => {
  const dir = useTempDir('assay-ingest-unreadable');
  const file = (name: string): string => join(dir(), name);
  const options = (name: string, format: FileFormat, extra: Partial<InspectFileOptions> = {}): InspectFileOptions => ({
    path: file(name),
    format,
    name,
    ...extra,
  });

  describe('.xlsx', () => {
    it('a truncated workbook', async () => {
      await writeXlsxWithExceljs(file('whole.xlsx'), SHEETS);
      const bytes = await readFile(file('whole.xlsx'));
      await writeFile(file('cut.xlsx'), bytes.subarray(0, Math.floor(bytes.length / 2)));
      await expectUnreadable(options('cut.xlsx', 'xlsx'), 'damaged', 'truncated');
    });

    it('a workbook whose compressed data is corrupt', async () => {
      await writeXlsxWithExceljs(file('whole.xlsx'), [{ name: 'Data', rows: Array.from({ length: 2000 }, (_, i) => [`row ${i}`, i, i * 2]) }]);
      const bytes = Buffer.from(await readFile(file('whole.xlsx')));
      const sheet = bytes.indexOf(Buffer.from('xl/worksheets/sheet1.xml'));
      // Overwrite compressed bytes well inside the worksheet entry's data.
      bytes.fill(0xff, sheet + 200, sheet + 400);
      await writeFile(file('corrupt.xlsx'), bytes);
      await expectUnreadable(options('corrupt.xlsx', 'xlsx'), 'damaged');
    });

    it('a zip without a workbook part', async () => {
      await writeZip(file('notes.xlsx'), [{ name: '[Content_Types].xml', text: '<Types/>' }]);
      await expectUnreadable(options('notes.xlsx', 'xlsx'), 'xl/workbook.xml', 'not an Excel workbook');
    });

    it('a zip bomb (a part compressed about 1000 times)', async () => {
      await writeZip(file('bomb.xlsx'), [
        { name: '[Content_Types].xml', text: '<Types/>' },
        { name: 'xl/workbook.xml', text: '<workbook/>' },
        { name: 'xl/worksheets/sheet1.xml', zeroBytes: 64 * 1024 * 1024 },
      ]);
      await expectUnreadable(options('bomb.xlsx', 'xlsx'), 'xl/worksheets/sheet1.xml', 'zip bombs');
    });

    it('more unpacked bytes than allowed', async () => {
      await writeXlsxWithExceljs(file('book.xlsx'), SHEETS);
      await expectUnreadable(options('book.xlsx', 'xlsx', { limits: { maxUncompressedBytes: 2_000 } }), 'unpacks to', 'at most 2 KiB');
    });

    it('more sheets than allowed', async () => {
      await writeXlsxWithExceljs(file('book.xlsx'), SHEETS);
      await expectUnreadable(options('book.xlsx', 'xlsx', { limits: { maxSheets: 1 } }), 'it has 2 sheets', 'at most 1');
    });

    it('more columns than allowed', async () => {
      await writeXlsxWithExceljs(file('book.xlsx'), SHEETS);
      await expectUnreadable(options('book.xlsx', 'xlsx', { limits: { maxColumns: 2 } }), 'at most 2');
    });

    it('a password-protected workbook', async () => {
      await writeXlsWithXlwt(file('plain.xls'), SHEETS);
      await writeFile(file('secret.xlsx'), await craftEncryptedOoxml(file('plain.xls')));
      await expectUnreadable(options('secret.xlsx', 'xlsx'), 'password-protected', 'remove the password');
    });

    it('an .xls named .xlsx', async () => {
      await writeXlsWithXlwt(file('legacy.xlsx'), SHEETS);
      await expectUnreadable(options('legacy.xlsx', 'xlsx'), 'Excel 97-2003', 'Rename it to end in .xls');
    });
  });

  describe('.xls', () => {
    it('a password-protected workbook', async () => {
      await writeXlsWithXlwt(file('plain.xls'), SHEETS);
      await writeFile(file('secret.xls'), await markXlsEncrypted(file('plain.xls')));
      await expectUnreadable(options('secret.xls', 'xls'), 'password-protected');
    });

    it('a damaged workbook', async () => {
      await writeXlsWithXlwt(file('plain.xls'), SHEETS);
      const bytes = await readFile(file('plain.xls'));
      await writeFile(file('broken.xls'), Buffer.concat([bytes.subarray(0, 600), Buffer.alloc(3000, 0xab)]));
      await expectUnreadable(options('broken.xls', 'xls'), 'damaged');
    });

    it('an .xlsx named .xls', async () => {
      await writeXlsxWithExceljs(file('modern.xls'), SHEETS);
      await expectUnreadable(options('modern.xls', 'xls'), 'is an .xlsx workbook');
    });

    it('more sheets than allowed', async () => {
      await writeXlsWithXlwt(file('book.xls'), SHEETS);
      await expectUnreadable(options('book.xls', 'xls', { limits: { maxSheets: 1 } }), 'it has 2 sheets');
    });

    it('a workbook that needs more memory than the cap', async () => {
      await writeXlsWithXlwt(file('big.xls'), [{ name: 'Big', rows: Array.from({ length: 30_000 }, (_, r) => Array.from({ length: 10 }, (_, c) => r * c + 0.5)) }]);
      await expectUnreadable(options('big.xls', 'xls', { limits: { xlsMemoryBytes: 25_000_000 } }), 'memory');
    });

    it('a reader slower than the timeout is killed', async () => {
      await writeXlsWithXlwt(file('book.xls'), SHEETS);
      const slowPython = file('slow-python');
      await writeFile(slowPython, '#!/bin/sh\nexec sleep 30\n');
      await chmod(slowPython, 0o755);
      await expectUnreadable(options('book.xls', 'xls', { pythonPath: slowPython, limits: { timeoutMs: 500 } }), 'took longer than');
    });

    it('a missing interpreter is an environment problem, not a bad file', async () => {
      await writeXlsWithXlwt(file('book.xls'), SHEETS);
      const error = await failure(options('book.xls', 'xls', { pythonPath: join(dir(), 'no-such-python') }));
      expect(isAssayError(error) && error.code).toBe(ErrorCode.ENVIRONMENT_MISSING);
    });
  });

  describe('CSV and TSV', () => {
    it.each([
      ['an empty file', 'empty.csv', '', ['the file is empty']],
      ['only blank lines', 'blank.csv', '\n \n\n', ['no header row']],
      ['a row with too many fields', 'ragged.csv', 'a,b\n1,2\n3,4,5\n', ['line 3 has 3 fields where the rows above have 2', '","']],
      ['a quote that is never closed', 'quote.csv', 'a,b\n1,"open\n2,3\n', ['line 2', 'never closed']],
      ['a TSV row with too many fields', 'ragged.tsv', 'a\tb\n1\t2\n\n3\t4\t5\t6\n', ['line 4 has 4 fields', '(tab)']],
    ])('%s', async (_title, name, text, says) => {
      await writeFile(file(name), text);
      await expectUnreadable(options(name, name.endsWith('.tsv') ? 'tsv' : 'csv'), ...says);
    });

    it('more columns than allowed', async () => {
      await writeFile(file('wide.csv'), 'a,b,c,d\n1,2,3,4\n');
      await expectUnreadable(options('wide.csv', 'csv', { limits: { maxColumns: 3 } }), 'it has 4 columns', 'at most 3');
    });
  });

  describe('cancellation and the caller’s mistakes', () => {
    it('rejects with the reason of an aborted signal', async () => {
      await writeFile(file('data.csv'), 'a\n1\n');
      const reason = new Error('worker shutting down');
      await expect(inspectFile({ ...options('data.csv', 'csv'), signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    });

    it('passes a missing path through as the file system error', async () => {
      const error = await failure(options('missing.csv', 'csv'));
      expect(isAssayError(error)).toBe(false);
      expect((error as NodeJS.ErrnoException).code).toBe('ENOENT');
    });

    it('refuses invalid limits', async () => {
      await writeFile(file('data.csv'), 'a\n1\n');
      const error = await failure(options('data.csv', 'csv', { limits: { maxSheets: 0 } }));
      expect(isAssayError(error) && error.code).toBe(ErrorCode.CONFIG_INVALID);
    });
  });
});
