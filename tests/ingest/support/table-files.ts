import { writeFile } from 'node:fs/promises';
import ExcelJS from 'exceljs';
import { runPython } from './python';

/** One cell to write: a value, a date (ISO, no zone), a formula, or a styled cell without value. */
export type CellSpec =
  | string
  | number
  | boolean
  | null
  | { date: string }
  | { formula: string; result?: number }
  | { styledEmpty: true };

/** A sheet to write; `rows[0]` is spreadsheet row 1, `null` cells are left out. */
export interface SheetSpec {
  name: string;
  rows: CellSpec[][];
}

const OPENPYXL_WRITER = String.raw`
import datetime, json, sys, openpyxl
path, spec = sys.argv[1], json.load(sys.stdin)
book = openpyxl.Workbook()
book.remove(book.active)
for sheet in spec:
    ws = book.create_sheet(sheet["name"])
    for r, row in enumerate(sheet["rows"], start=1):
        for c, value in enumerate(row, start=1):
            if value is None:
                continue
            cell = ws.cell(row=r, column=c)
            if isinstance(value, dict):
                if "date" in value:
                    cell.value = datetime.datetime.fromisoformat(value["date"])
                    cell.number_format = "yyyy-mm-dd hh:mm:ss"
                elif "formula" in value:
                    cell.value = value["formula"]
                else:
                    cell.number_format = "0.00"
            else:
                cell.value = value
book.save(path)
`;

const XLWT_WRITER = String.raw`
import datetime, json, sys, xlwt
path, spec = sys.argv[1], json.load(sys.stdin)
book = xlwt.Workbook(encoding="utf-8")
date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD HH:MM:SS")
number_style = xlwt.easyxf(num_format_str="0.00")
for sheet in spec:
    ws = book.add_sheet(sheet["name"])
    for r, row in enumerate(sheet["rows"]):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, dict):
                if "date" in value:
                    ws.write(r, c, datetime.datetime.fromisoformat(value["date"]), date_style)
                elif "formula" in value:
                    ws.write(r, c, xlwt.Formula(value["formula"].lstrip("=")))
                else:
                    ws.write(r, c, None, number_style)
            else:
                ws.write(r, c, value)
book.save(path)
`;

const ZIP_WRITER = String.raw`
import json, sys, zipfile
path, entries = sys.argv[1], json.load(sys.stdin)
with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
    for entry in entries:
        data = entry["text"].encode("utf-8") if "text" in entry else bytes(entry["zeroBytes"])
        archive.writestr(entry["name"], data)
`;

const PART_SWAPPER = String.raw`
import sys, zipfile
source, target, first, second = sys.argv[1:5]
swap = {first: second, second: first}
rels = "xl/_rels/workbook.xml.rels"
with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as dst:
    for info in src.infolist():
        data = src.read(info.filename)
        name = swap.get(info.filename, info.filename)
        if info.filename == rels:
            text = data.decode("utf-8")
            a, b = first.split("/")[-1], second.split("/")[-1]
            text = text.replace(a, "\0").replace(b, a).replace("\0", b)
            data = text.encode("utf-8")
        dst.writestr(name, data)
`;

const ZIP_REORDERER = String.raw`
import json, sys, zipfile
source, target = sys.argv[1:3]
first, last = json.load(sys.stdin)
with zipfile.ZipFile(source) as src:
    names = [info.filename for info in src.infolist()]
    middle = [name for name in names if name not in first and name not in last]
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for name in [n for n in first if n in names] + middle + [n for n in last if n in names]:
            dst.writestr(name, src.read(name))
`;

const ZIPS_WRITER = String.raw`
import json, sys, zipfile
for item in json.load(sys.stdin):
    with zipfile.ZipFile(item["path"], "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for entry in item["entries"]:
            if "text" in entry:
                archive.writestr(entry["name"], entry["text"].encode("utf-8"))
                continue
            block = entry["repeat"].encode("utf-8") * max(1, (1 << 20) // max(1, len(entry["repeat"].encode("utf-8"))))
            per_block = len(block) // len(entry["repeat"].encode("utf-8"))
            with archive.open(entry["name"], "w", force_zip64=True) as out:
                out.write(entry["prefix"].encode("utf-8"))
                left = entry["times"]
                while left > 0:
                    n = min(left, per_block)
                    out.write(block if n == per_block else entry["repeat"].encode("utf-8") * n)
                    left -= n
                out.write(entry["suffix"].encode("utf-8"))
`;

/** An entry of a zip: UTF-8 text, or `prefix + repeat * times + suffix`, streamed (for large parts). */
export type ZipEntrySpec = { name: string; text: string } | { name: string; prefix: string; repeat: string; times: number; suffix: string };

/** A zip to write with {@link writeZips}: its path and its entries, in order. */
export interface ZipSpec {
  path: string;
  entries: ZipEntrySpec[];
}

/** Writes many deflated zips in one Python process (randomised tests write hundreds). */
export async function writeZips(zips: readonly ZipSpec[]): Promise<void> {
  await runPython(ZIPS_WRITER, [], JSON.stringify(zips));
}

/** Copies a zip with some entries moved to the front and some to the end (writers differ in order). */
export async function reorderZipEntries(source: string, target: string, first: string[], last: string[]): Promise<void> {
  await runPython(ZIP_REORDERER, [source, target], JSON.stringify([first, last]));
}

/** Writes an .xlsx with openpyxl (worksheets before workbook.xml in the zip, absolute part targets). */
export async function writeXlsxWithOpenpyxl(path: string, sheets: SheetSpec[]): Promise<void> {
  await runPython(OPENPYXL_WRITER, [path], JSON.stringify(sheets));
}

/** Writes an .xls (BIFF8) with xlwt (Debian package python3-xlwt). */
export async function writeXlsWithXlwt(path: string, sheets: SheetSpec[]): Promise<void> {
  await runPython(XLWT_WRITER, [path], JSON.stringify(sheets));
}

/** Writes a deflated zip; an entry holds UTF-8 text or a run of zero bytes. */
export async function writeZip(path: string, entries: Array<{ name: string; text: string } | { name: string; zeroBytes: number }>): Promise<void> {
  await runPython(ZIP_WRITER, [path], JSON.stringify(entries));
}

/**
 * Copies a workbook, exchanging the zip entry names of two worksheet parts and their targets in
 * the workbook relationships: the same workbook, but sheet N no longer lives in sheetN.xml.
 */
export async function swapWorksheetParts(source: string, target: string, first: string, second: string): Promise<void> {
  await runPython(PART_SWAPPER, [source, target, first, second]);
}

/** Writes an .xlsx with exceljs (shared strings, relative part targets). */
export async function writeXlsxWithExceljs(path: string, sheets: SheetSpec[]): Promise<void> {
  const workbook = new ExcelJS.Workbook();
  for (const sheet of sheets) {
    const worksheet = workbook.addWorksheet(sheet.name);
    sheet.rows.forEach((row, r) => {
      row.forEach((value, c) => {
        if (value === null) return;
        const cell = worksheet.getCell(r + 1, c + 1);
        if (typeof value !== 'object') {
          cell.value = value;
        } else if ('date' in value) {
          cell.value = new Date(`${value.date}Z`);
          cell.numFmt = 'yyyy-mm-dd hh:mm:ss';
        } else if ('formula' in value) {
          cell.value = value.result === undefined ? { formula: value.formula.replace(/^=/, '') } : { formula: value.formula.replace(/^=/, ''), result: value.result };
        } else {
          cell.numFmt = '0.00';
        }
      });
    });
  }
  await workbook.xlsx.writeFile(path);
}

/** Writes bytes to a file (CSV fixtures in a chosen encoding). */
export async function writeBytes(path: string, bytes: Buffer | string): Promise<void> {
  await writeFile(path, bytes);
}

/** The SpreadsheetML namespaces hand-written parts use. */
export const SPREADSHEET_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
export const RELATIONSHIPS_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';

/** A workbook written part by part, for cases no writer library produces. */
export interface HandWrittenWorkbook {
  /** Sheets in workbook order: the worksheet part's whole XML, or a relationship type other than worksheet. */
  sheets: Array<{ name: string; xml: string; state?: 'hidden' | 'veryHidden'; type?: string }>;
  /** The whole `xl/sharedStrings.xml`, if any. */
  sharedStrings?: string;
  /** The whole `xl/styles.xml`, if any. */
  styles?: string;
  date1904?: boolean;
}

/** The zip entries of a hand-written workbook (manifest, relationships, workbook, parts). */
export function handWrittenWorkbookEntries(book: HandWrittenWorkbook): Array<{ name: string; text: string }> {
  const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
  const overrides = [
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>',
    ...book.sheets.map((_sheet, i) => `<Override PartName="/xl/worksheets/sheet${i + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`),
  ];
  if (book.sharedStrings !== undefined) {
    overrides.push('<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>');
  }
  const relationships = book.sheets.map(
    (sheet, i) => `<Relationship Id="rId${i + 1}" Type="${RELATIONSHIPS_NS}/${sheet.type ?? 'worksheet'}" Target="worksheets/sheet${i + 1}.xml"/>`,
  );
  if (book.sharedStrings !== undefined) relationships.push(`<Relationship Id="rIdS" Type="${RELATIONSHIPS_NS}/sharedStrings" Target="sharedStrings.xml"/>`);
  if (book.styles !== undefined) relationships.push(`<Relationship Id="rIdT" Type="${RELATIONSHIPS_NS}/styles" Target="styles.xml"/>`);
  const sheets = book.sheets
    .map((sheet, i) => `<sheet name="${escape(sheet.name)}" sheetId="${i + 1}"${sheet.state === undefined ? '' : ` state="${sheet.state}"`} r:id="rId${i + 1}"/>`)
    .join('');
  const entries = [
    {
      name: '[Content_Types].xml',
      text: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>${overrides.join('')}</Types>`,
    },
    {
      name: '_rels/.rels',
      text: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${RELATIONSHIPS_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    },
    {
      name: 'xl/workbook.xml',
      text: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="${SPREADSHEET_NS}" xmlns:r="${RELATIONSHIPS_NS}">${book.date1904 === true ? '<workbookPr date1904="1"/>' : ''}<sheets>${sheets}</sheets></workbook>`,
    },
    {
      name: 'xl/_rels/workbook.xml.rels',
      text: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${relationships.join('')}</Relationships>`,
    },
    ...book.sheets.map((sheet, i) => ({ name: `xl/worksheets/sheet${i + 1}.xml`, text: sheet.xml })),
  ];
  if (book.sharedStrings !== undefined) entries.push({ name: 'xl/sharedStrings.xml', text: book.sharedStrings });
  if (book.styles !== undefined) entries.push({ name: 'xl/styles.xml', text: book.styles });
  return entries;
}
