import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { FileMetadata as FileMetadataSchema } from '@assay/contracts';
import { inspectFile } from '@assay/ingest';
import ExcelJS from 'exceljs';
import { readWithPandas } from './support/pandas-oracle';
import { runPython } from './support/python';
import { handWrittenWorkbookEntries, type HandWrittenWorkbook, SPREADSHEET_NS, writeZip } from './support/table-files';
import { useTempDir } from './support/temp-dir';

/**
 * Differential cases for workbooks: each file is read by inspectFile and by the kernel
 * environment's pandas 1.5.3 (`read_excel(sheet_name=None)`, openpyxl 3.0.9 or xlrd 1.2.0), and
 * both must report the same sheet names, column names (`str()` of each label) and row counts.
 * Files come from openpyxl and exceljs (what users upload) and from hand-written XML (what no
 * library writes but a file may hold).
 */
describe('workbook metadata matches pandas', () => {
  const dir = useTempDir('assay-ingest-workbooks');

  async function compare(fileName: string): Promise<Array<{ name: string; headers: string[]; rowCount: number }>> {
    const path = join(dir(), fileName);
    const format = fileName.endsWith('.xls') ? 'xls' : 'xlsx';
    const metadata = await inspectFile({ path, format, name: fileName });
    expect(FileMetadataSchema.safeParse(metadata).success).toBe(true);
    expect(metadata.sheets).toEqual(await readWithPandas(path, format));
    return metadata.sheets;
  }

  /** Runs an openpyxl program with `path` as argv[1] (`openpyxl`, `datetime` imported). */
  async function openpyxl(fileName: string, program: string): Promise<void> {
    await runPython(`import datetime, sys, openpyxl\npath = sys.argv[1]\n${program}`, [join(dir(), fileName)]);
  }

  async function handWritten(fileName: string, book: HandWrittenWorkbook): Promise<void> {
    await writeZip(join(dir(), fileName), handWrittenWorkbookEntries(book));
  }

  const sheetXml = (rows: string, before = ''): string => `<worksheet xmlns="${SPREADSHEET_NS}">${before}<sheetData>${rows}</sheetData></worksheet>`;

  describe('header labels', () => {
    it('numbers only: pandas makes a float Index of ints and floats together (1 -> "1.0")', async () => {
      await openpyxl(
        'numbers.xlsx',
        `book = openpyxl.Workbook()
ws = book.active; ws.title = "floats"; ws.append([1, 1.5, 3]); ws.append([1, 2, 3])
ws = book.create_sheet("ints"); ws.append([1, 2, 2**63]); ws.append([1])
ws = book.create_sheet("uint and float"); ws.append([2**63, 0.5]); ws.append([1])
ws = book.create_sheet("int and error"); ws.append([5, 1]); ws["B1"] = "#DIV/0!"; ws["B1"].data_type = "e"; ws.append([1, 2])
ws = book.create_sheet("huge and float"); ws.append([10**20, 0.5]); ws.append([1, 2])
ws = book.create_sheet("negative and uint"); ws.append([-1, 2**63, 0.5]); ws.append([1])
ws = book.create_sheet("float duplicates"); ws.append([1, 1.0, 2.5]); ws.append([1, 2, 3])
ws = book.create_sheet("bool and float"); ws.append([True, 1.5]); ws.append([1, 2])
book.save(path)`,
      );
      const sheets = await compare('numbers.xlsx');
      expect(sheets[0]?.headers).toEqual(['1.0', '1.5', '3.0']);
    });

    it('dates only: a DatetimeIndex prints an error cell as NaT, unless a date is beyond pd.Timestamp', async () => {
      await openpyxl(
        'dates.xlsx',
        `book = openpyxl.Workbook()
ws = book.active; ws.title = "dates"; ws.append([datetime.datetime(2021, 1, 1), datetime.datetime(2021, 1, 2, 3, 4, 5, 250000)]); ws.append([1, 2])
ws = book.create_sheet("date and error"); ws.append([datetime.datetime(2021, 1, 1), 1]); ws["B1"] = "#N/A"; ws["B1"].data_type = "e"; ws.append([1, 2])
ws = book.create_sheet("far date and error"); ws.append([datetime.datetime(2300, 1, 1), 1]); ws["B1"] = "#N/A"; ws["B1"].data_type = "e"; ws.append([1, 2])
ws = book.create_sheet("time and error"); ws.append([datetime.time(1, 2, 3), 1]); ws["B1"] = "#N/A"; ws["B1"].data_type = "e"; ws.append([1, 2])
book.save(path)`,
      );
      const sheets = await compare('dates.xlsx');
      expect(sheets[1]?.headers).toEqual(['2021-01-01 00:00:00', 'NaT']);
    });

    it('a byte order mark at the start of the first header cell is dropped, with quotes right after it', async () => {
      await openpyxl(
        'bom.xlsx',
        `book = openpyxl.Workbook()
ws = book.active; ws.title = "bom"; ws.append(["\\ufeffName", "x"]); ws.append([1, 2])
ws = book.create_sheet("quoted"); ws.append(['\\ufeff"ab"cd', "x"]); ws.append([1, 2])
ws = book.create_sheet("only a bom"); ws.append(["\\ufeff", "x"]); ws.append([1, 2])
ws = book.create_sheet("not first"); ws.append(["x", "\\ufeffy"]); ws.append([1, 2])
book.save(path)`,
      );
      const sheets = await compare('bom.xlsx');
      expect(sheets.map((sheet) => sheet.headers[0])).toEqual(['Name', 'abcd', 'Unnamed: 0', 'x']);
    });
  });

  describe('dates', () => {
    it.each([
      { system: '1900', epoch: '' },
      { system: '1904', epoch: 'book.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904' },
    ])('dates and times in the header and the body, $system date system', async ({ epoch }) => {
      await openpyxl(
        'dates.xlsx',
        `book = openpyxl.Workbook()
${epoch}
ws = book.active; ws.title = "D"
ws.append([datetime.datetime(2021, 3, 4, 5, 6, 7), datetime.date(1900, 2, 28), datetime.datetime(1900, 3, 1), datetime.time(3, 4, 5), datetime.datetime(2021, 3, 4, 5, 6, 7, 500000), "x"])
ws.append([datetime.datetime(2020, 1, 1), datetime.date(2020, 1, 2), None, None, None, None])
ws.append([None, None, None, None, None, datetime.datetime(2020, 1, 1)])
book.save(path)`,
      );
      await compare('dates.xlsx');
    });

    it('dates written as ISO text (t="d"), durations and serials beyond the calendar', async () => {
      await handWritten('iso.xlsx', {
        styles: `<styleSheet xmlns="${SPREADSHEET_NS}"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs></styleSheet>`,
        sheets: [
          {
            name: 'ISO',
            xml: sheetXml(
              '<row r="1"><c r="A1" t="d"><v>2021-03-04T05:06:07.25</v></c><c r="B1" t="d"><v>2021-03-04</v></c><c r="C1" t="d"><v>05:06</v></c><c r="D1" t="d"><v>PT36H5M</v></c><c r="E1" s="1"><v>9999999</v></c><c r="F1" s="1"><v>-1</v></c><c r="G1" s="1"><v>0.5</v></c></row>' +
                '<row r="2"><c r="A2" t="d"><v>2021-01-01</v></c></row><row r="3"><c r="A3" t="d"><v></v></c></row>',
            ),
          },
        ],
      });
      await compare('iso.xlsx');
    });
  });

  describe('strings', () => {
    it('shared and inline strings side by side, rich text, phonetic runs, escapes and empty ones', async () => {
      const strings = ['<si><t>shared</t></si>', '<si><r><t>ri</t></r><r><t>ch</t></r></si>', '<si><t>x005F_</t></si>', '<si><t>ph</t><rPh sb="0" eb="1"><t>ignored</t></rPh></si>', '<si/>', '<si><t>a&amp;b &lt;c&gt; &#233;&#x1F600;</t></si>'];
      await handWritten('strings.xlsx', {
        sharedStrings: `<sst xmlns="${SPREADSHEET_NS}">${strings.join('')}</sst>`,
        sheets: [
          {
            name: 'Strings',
            xml: sheetXml(
              '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>inline</t></is></c><c r="C1" t="s"><v>1</v></c><c r="D1" t="inlineStr"><is><r><t>in</t></r><r><t>rich</t></r></is></c><c r="E1" t="s"><v>2</v></c><c r="F1" t="s"><v>3</v></c><c r="G1" t="inlineStr"><is><t>x005F_</t></is></c><c r="H1" t="s"><v>5</v></c><c r="I1" t="inlineStr"><is><t xml:space="preserve"> line\r\nbreak </t></is></c></row>' +
                '<row r="2"><c r="A2" t="s"><v>4</v></c></row>' +
                '<row r="3"><c r="A3" t="inlineStr"><is><t></t></is></c><c r="B3" t="s"><v>2</v></c></row>' +
                '<row r="4"><c r="A4" t="inlineStr"><is><t>last</t></is></c></row>' +
                '<row r="5"><c r="J5" t="s"><v>4</v></c><c r="K5" t="inlineStr"/></row>',
            ),
          },
        ],
      });
      const sheets = await compare('strings.xlsx');
      expect(sheets[0]?.rowCount).toBe(3);
    });
  });

  describe('layout', () => {
    it('merged cells: a header merged across columns and merged body cells (openpyxl)', async () => {
      await openpyxl(
        'merged.xlsx',
        `book = openpyxl.Workbook()
ws = book.active; ws.title = "Merged"
ws.append(["Group", None, None, "Other"]); ws.merge_cells("A1:C1")
ws.append(["a", "b", "c", "d"]); ws.append([1, 2, 3, 4]); ws.append([5]); ws.merge_cells("A4:D6")
book.save(path)`,
      );
      const sheets = await compare('merged.xlsx');
      expect(sheets[0]?.headers).toEqual(['Group', 'Unnamed: 1', 'Unnamed: 2', 'Other']);
    });

    it('merged cells written by exceljs (styled cells left in the merged range)', async () => {
      const workbook = new ExcelJS.Workbook();
      const sheet = workbook.addWorksheet('Merged');
      sheet.getRow(1).values = ['Wide header', null, null, 'x'];
      sheet.mergeCells('A1:C1');
      sheet.getRow(2).values = [1, 2, 3, 4];
      sheet.getCell('A3').value = 'tall';
      sheet.mergeCells('A3:A8');
      await workbook.xlsx.writeFile(join(dir(), 'merged-exceljs.xlsx'));
      await compare('merged-exceljs.xlsx');
    });

    it('empty leading rows and columns, whatever the dimension says', async () => {
      await handWritten('offset.xlsx', {
        sheets: [
          { name: 'Offset', xml: sheetXml('<row r="3"><c r="C3" t="inlineStr"><is><t>h1</t></is></c><c r="D3"><v>2</v></c></row><row r="4"><c r="C4"><v>1</v></c></row>', '<dimension ref="C3:D4"/>') },
          { name: 'Column offset', xml: sheetXml('<row r="1"><c r="B1" t="inlineStr"><is><t>h</t></is></c></row><row r="2"><c r="B2"><v>1</v></c></row>', '<dimension ref="B1:B2"/>') },
          { name: 'Lying dimension', xml: sheetXml('<row r="1"><c r="A1"><v>1</v></c><c r="E1"><v>5</v></c></row><row r="9"><c r="A9"><v>1</v></c></row>', '<dimension ref="A1:B2"/>') },
          { name: 'Big dimension', xml: sheetXml('<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="A2"><v>2</v></c></row>', '<dimension ref="A1:Z1000"/>') },
        ],
      });
      await compare('offset.xlsx');
    });

    it('trailing empty rows, rows and cells with only styles, empty strings and formulas without values', async () => {
      await openpyxl(
        'trailing.xlsx',
        `book = openpyxl.Workbook()
ws = book.active; ws.title = "Trailing"
ws.append(["a", "b"]); ws.append([1, 2]); ws.append([None, None]); ws.append([3])
ws["C10"].number_format = "0.00"; ws["A12"] = ""; ws["B14"] = "=A1"; ws.row_dimensions[20].height = 30
ws = book.create_sheet("Only styles"); ws["A1"].number_format = "0.00"; ws["B5"].number_format = "0.00"
ws = book.create_sheet("Styled header only"); ws["A1"] = "h"; ws["B1"].number_format = "0.00"; ws["C3"].number_format = "0.00"
book.save(path)`,
      );
      const sheets = await compare('trailing.xlsx');
      expect(sheets[0]?.rowCount).toBe(3);
    });

    it('a sheet 1,500 columns wide, with references well beyond Z and AZ', async () => {
      await openpyxl(
        'wide.xlsx',
        `book = openpyxl.Workbook()
ws = book.active; ws.title = "Wide"
ws.append([f"c{i}" for i in range(1500)]); ws.append(list(range(1500)))
ws = book.create_sheet("Far"); ws["A1"] = "a"; ws["ZZ1"] = "zz"; ws["AAB2"] = 1; ws["BZZ3"] = None; ws["CA3"].number_format = "0.00"
book.save(path)`,
      );
      const sheets = await compare('wide.xlsx');
      expect(sheets[0]?.headers).toHaveLength(1500);
      expect(sheets[1]?.headers).toHaveLength(704);
    });
  });

  describe('sheets', () => {
    it('150 sheets with unicode, spaces, quotes, & and < in their names, hidden ones, and a chart sheet (left out)', async () => {
      await openpyxl(
        'many.xlsx',
        `from openpyxl.chart import BarChart, Reference
book = openpyxl.Workbook(); book.remove(book.active)
names = ["Sales 2021", "Région 'Ouest'", "“Quoted” & <tag>", "日本語シート", "emoji 📊", "  spaces  ", "a'b", "Hidden", "Very hidden"]
for i in range(150):
    ws = book.create_sheet(names[i] if i < len(names) else f"S{i}")
    ws.append(["k", i]); ws.append([i, i])
book["Hidden"].sheet_state = "hidden"; book["Very hidden"].sheet_state = "veryHidden"
chart = BarChart(); chart.add_data(Reference(book["Sales 2021"], min_col=2, min_row=1, max_row=2))
book.create_chartsheet("Chart", 3).add_chart(chart)
book.save(path)`,
      );
      const sheets = await compare('many.xlsx');
      expect(sheets).toHaveLength(150);
      expect(sheets.map((sheet) => sheet.name)).not.toContain('Chart');
    });

    it('sheets without cells, without sheetData, a dialog sheet, and a <sheet> with no relationship id', async () => {
      const book: HandWrittenWorkbook = {
        sheets: [
          { name: 'No cells', xml: sheetXml('') },
          { name: 'No sheetData', xml: `<worksheet xmlns="${SPREADSHEET_NS}"><dimension ref="A1"/></worksheet>` },
          { name: 'Empty rows', xml: sheetXml('<row r="1"/><row r="2" spans="1:3"></row>') },
          { name: 'Dialog', type: 'dialogsheet', xml: `<dialogsheet xmlns="${SPREADSHEET_NS}"><sheetPr/></dialogsheet>` },
          { name: 'Data', xml: sheetXml('<row r="1"><c r="A1"><v>1</v></c></row>') },
        ],
      };
      const entries = handWrittenWorkbookEntries(book).map((entry) =>
        entry.name === 'xl/workbook.xml' ? { ...entry, text: entry.text.replace('</sheets>', '<sheet name="Orphan" sheetId="99"/></sheets>') } : entry,
      );
      await writeZip(join(dir(), 'sparse.xlsx'), entries);
      const sheets = await compare('sparse.xlsx');
      expect(sheets.map((sheet) => sheet.name)).toEqual(['No cells', 'No sheetData', 'Empty rows', 'Dialog', 'Data']);
    });
  });

  describe('.xls', () => {
    it('number and date labels, and a byte order mark, through xlrd', async () => {
      await runPython(
        String.raw`
import datetime, sys, xlwt
book = xlwt.Workbook(encoding="utf-8")
date = xlwt.easyxf(num_format_str="YYYY-MM-DD HH:MM:SS")
ws = book.add_sheet("floats")
for c, v in enumerate([1, 1.5, 3]): ws.write(0, c, v)
ws.write(1, 0, 1)
ws = book.add_sheet("date and error")
ws.write(0, 0, datetime.datetime(2021, 1, 1), date); ws.write(0, 1, xlwt.Formula("1/0")); ws.write(1, 0, 1)
ws = book.add_sheet("bom")
ws.write(0, 0, "\ufeffName"); ws.write(0, 1, "x"); ws.write(1, 0, 1)
book.save(sys.argv[1])
`,
        [join(dir(), 'labels.xls')],
      );
      const sheets = await compare('labels.xls');
      expect(sheets[0]?.headers).toEqual(['1.0', '1.5', '3.0']);
      expect(sheets[2]?.headers[0]).toBe('Name');
    });
  });
});
