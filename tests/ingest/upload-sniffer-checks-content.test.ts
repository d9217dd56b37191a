import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { ErrorCode, isAssayError } from '@assay/errors';
import { UploadSniffer } from '@assay/ingest';
import { craftEncryptedOoxml } from './support/crafted-files';
import { pipeThrough } from './support/streams';
import { type SheetSpec, writeXlsWithXlwt, writeXlsxWithExceljs, writeXlsxWithOpenpyxl, writeZip } from './support/table-files';
import { useTempDir } from './support/temp-dir';

const SHEETS: SheetSpec[] = [
  { name: 'Data', rows: [['a', 'b'], [1, 2]] },
  { name: 'More', rows: [['x'], ['y']] },
];

const PDF = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n', 'latin1');
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 0)]);

/** Deterministic pseudo-random bytes (binary data without a known magic number). */
function noise(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = 12345;
  for (let i = 0; i < length; i += 1) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    bytes[i] = state >> 16 === 0x25 ? 0 : (state >> 16) & 0xff;
  }
  return bytes;
}

describe('UploadSniffer', () => {
  const dir = useTempDir('assay-ingest-sniff');

  async function fixture(kind: 'xlsx-exceljs' | 'xlsx-openpyxl' | 'xls' | 'zip' | 'docx' | 'encrypted'): Promise<Buffer> {
    const path = join(dir(), `${kind}.bin`);
    switch (kind) {
      case 'xlsx-exceljs':
        await writeXlsxWithExceljs(path, SHEETS);
        break;
      case 'xlsx-openpyxl':
        await writeXlsxWithOpenpyxl(path, SHEETS);
        break;
      case 'xls':
        await writeXlsWithXlwt(path, SHEETS);
        break;
      case 'zip':
        await writeZip(path, [
          { name: 'notes.txt', text: 'hello' },
          { name: 'data/table.csv', text: 'a,b\n1,2\n' },
        ]);
        break;
      case 'docx':
        await writeZip(path, [
          { name: '[Content_Types].xml', text: '<Types/>' },
          { name: 'word/document.xml', text: '<w:document/>' },
        ]);
        break;
      case 'encrypted':
        await writeXlsWithXlwt(path, SHEETS);
        return craftEncryptedOoxml(path);
    }
    return readFile(path);
  }

  describe('accepts content that matches the extension and passes it through unchanged', () => {
    const accepted: Array<{ title: string; fileName: string; bytes: () => Promise<Buffer>; content: string }> = [
      { title: 'UTF-8 CSV', fileName: 'data.csv', bytes: async () => Buffer.from('id,name\n1,Zoë\n2,"a, b"\n'), content: 'text' },
      { title: 'Windows-1252 CSV', fileName: 'data.csv', bytes: async () => Buffer.from('caf\xe9;\x80\n1;2\n', 'latin1'), content: 'text' },
      {
        title: 'UTF-16 CSV with a byte order mark (NUL bytes allowed)',
        fileName: 'wide.csv',
        bytes: async () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b\n1,2\n', 'utf16le')]),
        content: 'utf16-text',
      },
      { title: 'TSV', fileName: 'data.TSV', bytes: async () => Buffer.from('a\tb\n1\t2\n'), content: 'text' },
      { title: 'large CSV (beyond the 64 KiB sample)', fileName: 'big.csv', bytes: async () => Buffer.from('x,y\n'.repeat(100_000)), content: 'text' },
      { title: 'XLSX written by exceljs', fileName: 'book.xlsx', bytes: () => fixture('xlsx-exceljs'), content: 'xlsx' },
      { title: 'XLSX written by openpyxl', fileName: 'book.xlsx', bytes: () => fixture('xlsx-openpyxl'), content: 'xlsx' },
      { title: 'XLS written by xlwt', fileName: 'book.xls', bytes: () => fixture('xls'), content: 'xls' },
    ];

    it.each(accepted)('$title', async ({ fileName, bytes, content }) => {
      const input = await bytes();
      for (const chunkSize of [1, 7, 4096, input.length]) {
        if (chunkSize === 1 && input.length > 20_000) continue;
        const sniffer = new UploadSniffer({ fileName });
        const result = await pipeThrough(input, sniffer, chunkSize);
        expect(result.error).toBeUndefined();
        expect(result.output.equals(input)).toBe(true);
        await expect(sniffer.verdict).resolves.toEqual({
          fileName,
          format: fileName.toLowerCase().split('.').pop(),
          sizeBytes: input.length,
          content,
        });
      }
    });
  });

  describe('rejects content that does not match, saying what it looks like', () => {
    const rejected: Array<{ title: string; fileName: string; bytes: () => Promise<Buffer>; says: string[] }> = [
      { title: 'a PDF renamed .xlsx', fileName: 'report.xlsx', bytes: async () => PDF, says: ['report.xlsx is not an Excel workbook (.xlsx)', 'a PDF document'] },
      {
        title: 'a CSV renamed .xlsx',
        fileName: 'table.xlsx',
        bytes: async () => Buffer.from('a,b\n1,2\n'),
        says: ['table.xlsx is not an Excel workbook (.xlsx)', 'text (CSV or TSV)', 'Rename it to end in .csv'],
      },
      { title: 'a ZIP without workbook parts renamed .xlsx', fileName: 'archive.xlsx', bytes: () => fixture('zip'), says: ['a ZIP archive'] },
      { title: 'a Word document renamed .xlsx', fileName: 'letter.xlsx', bytes: () => fixture('docx'), says: ['a Word document (.docx)'] },
      { title: 'an .xls renamed .xlsx', fileName: 'old.xlsx', bytes: () => fixture('xls'), says: ['an Excel 97-2003 workbook (.xls)', 'Rename it to end in .xls'] },
      { title: 'a password-protected workbook', fileName: 'secret.xlsx', bytes: () => fixture('encrypted'), says: ['password-protected', 'Remove the password'] },
      { title: 'a PNG renamed .csv', fileName: 'chart.csv', bytes: async () => PNG, says: ['chart.csv is not a CSV text file', 'a PNG image'] },
      {
        title: 'an .xlsx renamed .csv (exceljs)',
        fileName: 'sheet.csv',
        bytes: () => fixture('xlsx-exceljs'),
        says: ['sheet.csv is not a CSV text file', 'an Excel workbook (.xlsx)', 'Rename it to end in .xlsx'],
      },
      {
        title: 'an .xlsx renamed .csv (openpyxl)',
        fileName: 'sheet.csv',
        bytes: () => fixture('xlsx-openpyxl'),
        says: ['an Excel workbook (.xlsx)', 'Rename it to end in .xlsx'],
      },
      { title: 'an .xlsx renamed .tsv', fileName: 'sheet.tsv', bytes: () => fixture('xlsx-exceljs'), says: ['not a TSV text file', 'an Excel workbook (.xlsx)'] },
      { title: 'an .xlsx renamed .xls', fileName: 'sheet.xls', bytes: () => fixture('xlsx-exceljs'), says: ['not an Excel 97-2003 workbook (.xls)', 'an Excel workbook (.xlsx)'] },
      { title: 'binary data without a known magic number', fileName: 'blob.csv', bytes: async () => noise(100_000), says: ['binary data, not text'] },
      { title: 'UTF-16 text without a byte order mark', fileName: 'wide.csv', bytes: async () => Buffer.from('a,b\n1,2\n', 'utf16le'), says: ['binary data'] },
      { title: 'an empty .csv', fileName: 'empty.csv', bytes: async () => Buffer.alloc(0), says: ['empty.csv is empty'] },
      { title: 'an empty .xlsx', fileName: 'empty.xlsx', bytes: async () => Buffer.alloc(0), says: ['empty.xlsx is empty'] },
    ];

    it.each(rejected)('$title', async ({ fileName, bytes, says }) => {
      const input = await bytes();
      const sniffer = new UploadSniffer({ fileName });
      const result = await pipeThrough(input, sniffer, 1024);
      expect(isAssayError(result.error)).toBe(true);
      if (!isAssayError(result.error)) return;
      expect(result.error.code).toBe(ErrorCode.FILE_CONTENT_MISMATCH);
      expect(result.error.status).toBe(415);
      for (const text of says) expect(result.error.message).toContain(text);
      await expect(sniffer.verdict).rejects.toBe(result.error);
    });
  });

  it('aborts a mismatched upload after the sample, without reading the rest', async () => {
    const input = Buffer.concat([PDF, Buffer.alloc(20 * 1024 * 1024, 0x20)]);
    const sniffer = new UploadSniffer({ fileName: 'huge.xlsx' });
    const result = await pipeThrough(input, sniffer, 16 * 1024);
    expect(isAssayError(result.error) && result.error.code).toBe(ErrorCode.FILE_CONTENT_MISMATCH);
    expect(result.bytesRead).toBeLessThan(1024 * 1024);
    // Bytes already passed on are a prefix of the upload; the caller discards them.
    expect(input.subarray(0, result.output.length).equals(result.output)).toBe(true);
  });

  it('refuses an unsupported extension when constructed', () => {
    let caught: unknown;
    try {
      new UploadSniffer({ fileName: 'slides.pptx' });
    } catch (error) {
      caught = error;
    }
    expect(isAssayError(caught) && caught.code).toBe(ErrorCode.UNSUPPORTED_FILE_TYPE);
  });

  it('rejects the verdict when the upload is cut off', async () => {
    const sniffer = new UploadSniffer({ fileName: 'data.csv' });
    const source = new Readable({ read() {} });
    // The gateway observes errors through pipeline(); here the stream's own listener stands in.
    sniffer.on('error', () => undefined);
    source.pipe(sniffer);
    source.push(Buffer.from('a,b\n'));
    sniffer.destroy(new Error('client went away'));
    await expect(sniffer.verdict).rejects.toThrow('client went away');
  });
});
