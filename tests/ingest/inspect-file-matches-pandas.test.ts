import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { FileFormat, FileMetadata } from '@assay/contracts';
import { FileMetadata as FileMetadataSchema } from '@assay/contracts';
import { inspectFile } from '@assay/ingest';
import ExcelJS from 'exceljs';
import { readWithPandas } from './support/pandas-oracle';
import {
  reorderZipEntries,
  type SheetSpec,
  swapWorksheetParts,
  writeBytes,
  writeXlsWithXlwt,
  writeXlsxWithExceljs,
  writeXlsxWithOpenpyxl,
  writeZip,
} from './support/table-files';
import { useTempDir } from './support/temp-dir';

/**
 * Differential test: for every generated file, what inspectFile reports must equal what the
 * kernel environment's pandas 1.5.3 returns for the same file (column names as str(), row
 * counts), reading CSV/TSV with the delimiter and encoding inspectFile detected.
 */
describe('inspectFile reports what pandas reads', () => {
  const dir = useTempDir('assay-ingest-diff');

  async function inspectAndCompare(fileName: string, format: FileFormat): Promise<FileMetadata> {
    const path = join(dir(), fileName);
    const metadata = await inspectFile({ path, format, name: fileName });
    expect(FileMetadataSchema.safeParse(metadata).success).toBe(true);
    expect(metadata.format).toBe(format);
    const pandas = await readWithPandas(path, format, {
      delimiter: metadata.delimiter,
      encoding: metadata.encoding,
      name: metadata.sheets[0]?.name,
    });
    expect(metadata.sheets).toEqual(pandas);
    return metadata;
  }

  describe('CSV and TSV', () => {
    const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');
    const cp1252Euro = Buffer.from([0x80]);
    const cases: Array<{ title: string; file: string; bytes: () => Buffer | string; encoding: string; delimiter: string }> = [
      {
        title: 'comma, quoted newlines, blank and whitespace-only lines, trailing blank lines',
        file: 'basic.csv',
        bytes: () => 'id,name,comment\n1,Ann,"line one\nline two"\n\n2,Bob,plain\n   \n""\n3,"Cy, Jr.","say ""hi"""\n,,\n\n\n',
        encoding: 'utf-8',
        delimiter: ',',
      },
      {
        title: 'semicolons with decimal commas and CRLF line ends',
        file: 'european.csv',
        bytes: () => 'Artikel;Preis;Menge\r\nÄpfel;1,50;3\r\nBirnen;2,25;4\r\n',
        encoding: 'utf-8',
        delimiter: ';',
      },
      {
        title: 'tabs in a .csv file',
        file: 'tabbed.csv',
        bytes: () => 'a\tb\tc\n1\t2\t3\n4\t5\t6\n',
        encoding: 'utf-8',
        delimiter: '\t',
      },
      {
        title: 'a .tsv file with a line of only tabs',
        file: 'export.tsv',
        bytes: () => 'x\ty\n1\t2\n\t\n3\t4\n',
        encoding: 'utf-8',
        delimiter: '\t',
      },
      {
        title: 'pipes',
        file: 'piped.csv',
        bytes: () => 'a|b\n1|2\n',
        encoding: 'utf-8',
        delimiter: '|',
      },
      {
        title: 'a UTF-8 byte order mark',
        file: 'bom.csv',
        bytes: () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('Größe,Wert\n1,2\n')]),
        encoding: 'utf-8-sig',
        delimiter: ',',
      },
      {
        title: 'Windows-1252 text (é, €)',
        file: 'windows.csv',
        bytes: () => Buffer.concat([latin1('café;prix '), cp1252Euro, latin1('\nthé;2\n')]),
        encoding: 'cp1252',
        delimiter: ';',
      },
      {
        title: 'Latin-1 text with a byte cp1252 does not define',
        file: 'latin.csv',
        bytes: () => Buffer.concat([latin1('naïve,x'), Buffer.from([0x81]), latin1('\n1,2\n')]),
        encoding: 'latin-1',
        delimiter: ',',
      },
      {
        title: 'duplicate and empty headers',
        file: 'dupes.csv',
        bytes: () => 'a,a,a.1,,Unnamed: 3,a,\n1,2,3,4,5,6,7\n',
        encoding: 'utf-8',
        delimiter: ',',
      },
      {
        title: 'blank lines before the header',
        file: 'leading.csv',
        bytes: () => '\n\n  \nh1,h2\n1,2\n',
        encoding: 'utf-8',
        delimiter: ',',
      },
      {
        title: 'a first data row one field longer (pandas makes it the index)',
        file: 'index.csv',
        bytes: () => 'a,b\nx,1,2\ny,3,4\nz,5\n',
        encoding: 'utf-8',
        delimiter: ',',
      },
      {
        title: 'UTF-16 with a byte order mark',
        file: 'utf16.csv',
        bytes: () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Name,Ort\nJürgen,Köln\n', 'utf16le')]),
        encoding: 'utf-16',
        delimiter: ',',
      },
      {
        title: 'mixed line ends, including a lone CR',
        file: 'mixed.csv',
        bytes: () => 'a,b\r\n1,2\r3,4\n5,6\r\n\r\n7,8',
        encoding: 'utf-8',
        delimiter: ',',
      },
      {
        title: 'only a header row',
        file: 'header-only.csv',
        bytes: () => 'only,headers',
        encoding: 'utf-8',
        delimiter: ',',
      },
      {
        title: 'a large file: multi-line fields and multi-byte characters across read chunks',
        file: 'large.csv',
        bytes: () => {
          const lines = ['id,text,amount'];
          for (let i = 0; i < 30_000; i += 1) {
            lines.push(i % 7 === 0 ? `${i},"Zeile ${i}\nmit Umbruch, und €",${i * 1.5}` : `${i},Straße ${i} — ok,${i}`);
            if (i % 1000 === 0) lines.push('');
          }
          return `${lines.join('\n')}\n`;
        },
        encoding: 'utf-8',
        delimiter: ',',
      },
      {
        title: 'invalid UTF-8 only after the first 64 KiB (restart as cp1252)',
        file: 'late-invalid.csv',
        bytes: () => {
          const rows = ['k,v'];
          for (let i = 0; i < 8_000; i += 1) rows.push(`${i},value ${i}`);
          return Buffer.concat([Buffer.from(`${rows.join('\n')}\n`), latin1('8000,caf\xe9\n')]);
        },
        encoding: 'cp1252',
        delimiter: ',',
      },
      {
        title: 'a UTF-8 byte order mark on text that is not UTF-8',
        file: 'bom-latin.csv',
        bytes: () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), latin1('a,b\n\xe9,1\n')]),
        encoding: 'cp1252',
        delimiter: ',',
      },
    ];

    it.each(cases)('$title', async ({ file, bytes, encoding, delimiter }) => {
      await writeBytes(join(dir(), file), bytes());
      const format: FileFormat = file.endsWith('.tsv') ? 'tsv' : 'csv';
      const metadata = await inspectAndCompare(file, format);
      expect(metadata.encoding).toBe(encoding);
      expect(metadata.delimiter).toBe(delimiter);
      expect(metadata.sheets).toHaveLength(1);
      expect(metadata.sheets[0]?.name).toBe(file.replace(/\.[^.]+$/, ''));
    });
  });

  describe('workbooks', () => {
    const twoSheets: SheetSpec[] = [
      {
        name: 'Sales 2021',
        rows: [
          ['Region', 2021, 'Region', null, { date: '2021-03-04T05:06:07' }, 1.5, true],
          ['North', 10, 'x', null, 1, 2, 3],
          [null, null, null, null, null, null, null],
          ['South', 12, 'y', 7, 1, 2, 3],
          [{ styledEmpty: true }],
        ],
      },
      {
        name: 'Région & "Notes"',
        rows: [[null, null], [null, 'late header', 'x'], [1, 2, 3], [null], [4]],
      },
      { name: 'Empty', rows: [] },
      { name: 'One column', rows: [['h'], [1], [null], [3]] },
    ];

    it('an .xlsx written by exceljs (shared strings, relative targets)', async () => {
      await writeXlsxWithExceljs(join(dir(), 'exceljs.xlsx'), twoSheets);
      const metadata = await inspectAndCompare('exceljs.xlsx', 'xlsx');
      expect(metadata.sheets.map((sheet) => sheet.name)).toEqual(['Sales 2021', 'Région & "Notes"', 'Empty', 'One column']);
      expect(metadata.encoding).toBeUndefined();
    });

    it('an .xlsx written by openpyxl (worksheets before workbook.xml, absolute targets)', async () => {
      await writeXlsxWithOpenpyxl(join(dir(), 'openpyxl.xlsx'), twoSheets);
      const metadata = await inspectAndCompare('openpyxl.xlsx', 'xlsx');
      expect(metadata.sheets.map((sheet) => sheet.name)).toEqual(['Sales 2021', 'Région & "Notes"', 'Empty', 'One column']);
    });

    it('an .xlsx whose sheets are not stored in sheetN.xml order', async () => {
      await writeXlsxWithOpenpyxl(join(dir(), 'ordered.xlsx'), twoSheets);
      await swapWorksheetParts(join(dir(), 'ordered.xlsx'), join(dir(), 'swapped.xlsx'), 'xl/worksheets/sheet1.xml', 'xl/worksheets/sheet2.xml');
      const metadata = await inspectAndCompare('swapped.xlsx', 'xlsx');
      expect(metadata.sheets[0]?.name).toBe('Sales 2021');
      expect(metadata.sheets[0]?.headers[0]).toBe('Region');
    });

    it.each([
      { order: 'shared strings and relationships first, workbook part last', first: ['xl/_rels/workbook.xml.rels', 'xl/sharedStrings.xml', 'xl/styles.xml'], last: ['xl/workbook.xml'] },
      { order: 'worksheets first, shared strings last', first: ['xl/worksheets/sheet2.xml', 'xl/worksheets/sheet1.xml'], last: ['xl/sharedStrings.xml'] },
    ])('an .xlsx with zip entries in another order: $order', async ({ first, last }) => {
      await writeXlsxWithExceljs(join(dir(), 'plain.xlsx'), twoSheets);
      await reorderZipEntries(join(dir(), 'plain.xlsx'), join(dir(), 'reordered.xlsx'), first, last);
      const metadata = await inspectAndCompare('reordered.xlsx', 'xlsx');
      expect(metadata.sheets.map((sheet) => sheet.name)).toEqual(['Sales 2021', 'Région & "Notes"', 'Empty', 'One column']);
    });

    it('an .xlsx with value types in the header: numbers, booleans, dates, times, formulas, duplicates', async () => {
      await writeXlsxWithExceljs(join(dir(), 'types.xlsx'), [
        {
          name: 'Types',
          rows: [
            ['a', 1.5, true, { date: '2021-03-04T05:06:07' }, null, 'a', 1e20, 1e-7, { date: '1899-12-30T03:04:05' }, 2021, '2021', 2021, { formula: '=1+1', result: 2 }, { formula: '=A1' }, 0.1, false, 'Unnamed: 4'],
            [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
          ],
        },
      ]);
      await inspectAndCompare('types.xlsx', 'xlsx');
    });

    it('an .xlsx with rich text, hyperlinks, errors, empty strings and the 1904 date system (exceljs)', async () => {
      const path = join(dir(), 'rich.xlsx');
      const workbook = new ExcelJS.Workbook();
      workbook.properties.date1904 = true;
      const sheet = workbook.addWorksheet('Rich');
      sheet.getRow(1).values = [
        { richText: [{ text: 'Ri', font: { bold: true } }, { text: 'ch' }] },
        { text: 'Link', hyperlink: 'https://example.com' },
        { error: '#N/A' },
        new Date(Date.UTC(2021, 2, 4, 5, 6, 7)),
        '',
        'tail',
      ];
      sheet.getCell('D1').numFmt = 'dd/mm/yyyy hh:mm';
      sheet.getRow(2).values = [1, 2, 3, 4, 5, 6];
      sheet.getRow(3).values = ['', ''];
      sheet.getRow(4).values = [null, { richText: [{ text: '' }] }];
      await workbook.xlsx.writeFile(path);
      await inspectAndCompare('rich.xlsx', 'xlsx');
    });

    it('a hand-written .xlsx: prefixed elements, no cell references, odd part names, out-of-order rows', async () => {
      const main = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
      const rel = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
      await writeZip(join(dir(), 'hand.xlsx'), [
        {
          name: '[Content_Types].xml',
          text: '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/data.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        },
        {
          name: '_rels/.rels',
          text: `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
        },
        {
          name: 'xl/workbook.xml',
          text: `<x:workbook xmlns:x="${main}" xmlns:rel="${rel}"><x:sheets><x:sheet name="Hand &amp; made" sheetId="7" rel:id="rIdA"/></x:sheets></x:workbook>`,
        },
        {
          name: 'xl/_rels/workbook.xml.rels',
          text: `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rIdA" Type="${rel}/worksheet" Target="worksheets/data.xml"/></Relationships>`,
        },
        {
          name: 'xl/worksheets/data.xml',
          text:
            `<x:worksheet xmlns:x="${main}"><x:sheetData>` +
            '<x:row><x:c t="inlineStr"><x:is><x:r><x:t>Ri</x:t></x:r><x:r><x:t>ch</x:t></x:r></x:is></x:c><x:c t="d"><x:v>2021-03-04T05:06:07</x:v></x:c><x:c><x:v>2021</x:v></x:c><x:c t="str"><x:f>A1</x:f><x:v>calc</x:v></x:c><x:c t="e"><x:v>#N/A</x:v></x:c><x:c t="b"><x:v>0</x:v></x:c><x:c><x:v>2.50</x:v></x:c><x:c><x:f>1+1</x:f></x:c><x:c><x:v>1E+3</x:v></x:c></x:row>' +
            '<x:row><x:c><x:v>1</x:v></x:c></x:row>' +
            '<x:row r="5"><x:c r="C5"><x:v>3</x:v></x:c><x:c r="B5"><x:v>4</x:v></x:c></x:row>' +
            '<x:row r="4"><x:c r="A4"><x:v>9</x:v></x:c></x:row>' +
            '<x:row r="7"><x:c r="B7" t="inlineStr"><x:is><x:t></x:t></x:is></x:c><x:c r="C7"><x:v></x:v></x:c></x:row>' +
            '</x:sheetData></x:worksheet>',
        },
      ]);
      const metadata = await inspectAndCompare('hand.xlsx', 'xlsx');
      expect(metadata.sheets[0]?.name).toBe('Hand & made');
    });

    it('an .xls written by xlwt', async () => {
      await writeXlsWithXlwt(join(dir(), 'legacy.xls'), [
        ...twoSheets.slice(0, 2),
        { name: 'Empty', rows: [] },
        { name: 'Types', rows: [['a', 2021, 2021.5, true, { date: '2021-03-04T05:06:07' }, null, 'a', '2021', { formula: '=1+1' }], [1, 2, 3]] },
      ]);
      const metadata = await inspectAndCompare('legacy.xls', 'xls');
      expect(metadata.sheets.map((sheet) => sheet.name)).toEqual(['Sales 2021', 'Région & "Notes"', 'Empty', 'Types']);
    });
  });
});
