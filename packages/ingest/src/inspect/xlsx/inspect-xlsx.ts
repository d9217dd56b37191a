import type { SheetMetadata } from '@assay/contracts';
import { isAssayError } from '@assay/errors';
import { OLE2_MAGIC, ZIP_MAGIC } from '../../content/content-kind';
import { unreadableError } from '../../errors';
import { readHead, scanFileForMarkers } from '../file-bytes';
import type { InspectContext } from '../inspect-context';
import type { HeaderCell } from '../pandas-headers';
import { DateStyleCollector } from './number-formats';
import { type CellContext, openpyxlHeaderCell } from './openpyxl-cell';
import { EmptyStringFlags, scanSharedStrings } from './shared-strings';
import { parseWorkbookStructure, WORKBOOK_PART, WORKBOOK_RELS_PART, type WorkbookSheet, type WorkbookStructure } from './workbook-structure';
import { scanWorksheet, type WorksheetScan } from './worksheet-scan';
import { parseXmlEntry } from './xml-entry';
import { ZipArchive, type ZipEntry } from './zip-archive';
import { guardZipEntries } from './zip-guard';

/** Small XML parts read whole (workbook.xml and its relationships). */
const MAX_STRUCTURE_PART_BYTES = 32 * 1024 * 1024;
/** Where openpyxl looks when the workbook relationships do not name the part. */
const DEFAULT_STYLES_PART = 'xl/styles.xml';
const DEFAULT_SHARED_STRINGS_PART = 'xl/sharedStrings.xml';

/**
 * Sheet names, headers and data row counts of an .xlsx workbook, as `pandas.read_excel`
 * (openpyxl, read-only, `data_only=True`) reports them, streaming every part it reads.
 *
 * 1. yauzl reads the zip directory: entry count, total and per-entry inflated size and
 *    compression ratio are checked first; each part is inflated with its declared size
 *    enforced (a lying header fails instead of inflating without bound).
 * 2. Sheet names and parts come from `xl/workbook.xml` and its relationships (openpyxl's
 *    order), never from zip entry order or part file names.
 * 3. `xl/styles.xml` says which cell styles are dates; one pass over the shared strings
 *    records which ones are empty (1 byte each).
 * 4. Each worksheet is streamed with saxes; only row 1's cells and two counters are kept.
 * 5. A last pass over the shared strings fetches the header texts only.
 *
 * The row semantics mirror openpyxl's read-only reader; see `scanWorksheet`.
 */
export async function inspectXlsx(context: InspectContext): Promise<SheetMetadata[]> {
  const { path, fileName, limits, signal } = context;
  const zip = await openWorkbookZip(path, fileName, limits.maxZipEntries);
  try {
    return await readWorkbook(zip, context);
  } catch (error) {
    if (signal.aborted || isAssayError(error)) throw error;
    throw damaged(fileName, 'its content could not be parsed', error);
  } finally {
    zip.close();
  }
}

async function readWorkbook(zip: ZipArchive, context: InspectContext): Promise<SheetMetadata[]> {
  const { fileName, limits, signal } = context;
  guardZipEntries(zip.entries, fileName, limits);
  const workbookEntry = zip.entries.get(WORKBOOK_PART);
  if (workbookEntry === undefined) {
    throw unreadableError(fileName, `it has no ${WORKBOOK_PART} part, so it is not an Excel workbook. Save it as .xlsx in Excel and upload it again.`);
  }
  const relsEntry = zip.entries.get(WORKBOOK_RELS_PART);
  const workbookXml = await zip.readText(workbookEntry, MAX_STRUCTURE_PART_BYTES);
  const relsXml = relsEntry === undefined ? undefined : await zip.readText(relsEntry, MAX_STRUCTURE_PART_BYTES);
  let structure: WorkbookStructure;
  try {
    structure = parseWorkbookStructure(workbookXml, relsXml);
  } catch (error) {
    throw damaged(fileName, 'its workbook part is not valid XML', error);
  }
  if (structure.sheets.length > limits.maxSheets) {
    throw unreadableError(
      fileName,
      `it has ${structure.sheets.length} sheets; Assay reads workbooks with at most ${limits.maxSheets}. Remove the sheets you do not need and upload it again.`,
      { details: { limit: 'maxSheets', value: structure.sheets.length, max: limits.maxSheets } },
    );
  }
  // Chart sheets and dialog sheets hold no table.
  const worksheets = structure.sheets.filter((sheet) => sheet.type === 'worksheet').map((sheet) => sheetPart(sheet, zip, fileName));

  const dateStyles = new DateStyleCollector();
  const stylesEntry = zip.entries.get(structure.stylesPart ?? DEFAULT_STYLES_PART);
  if (stylesEntry !== undefined) await parseXmlEntry(zip, stylesEntry, dateStyles, signal);

  const emptyStrings = new EmptyStringFlags();
  const sharedStringsEntry = zip.entries.get(structure.sharedStringsPart ?? DEFAULT_SHARED_STRINGS_PART);
  if (sharedStringsEntry !== undefined) {
    await scanSharedStrings(zip, sharedStringsEntry, signal, (index, text) => emptyStrings.set(index, text === ''));
  }

  const headerTexts = new Map<number, string>();
  const cellContext: CellContext = {
    dateStyles: dateStyles.dateStyles(),
    date1904: structure.date1904,
    isSharedStringEmpty: (index) => emptyStrings.isEmpty(index),
    sharedString: (index) => headerTexts.get(index),
  };

  const scans: Array<{ name: string; scan: WorksheetScan }> = [];
  for (const sheet of worksheets) {
    signal.throwIfAborted();
    const scan = await scanWorksheet(zip, sheet.entry, {
      context: cellContext,
      maxColumns: limits.maxColumns,
      fileName,
      sheetName: sheet.name,
      signal,
    });
    scans.push({ name: sheet.name, scan });
  }

  const wanted = new Set<number>();
  for (const { scan } of scans) {
    for (const cell of scan.firstRow.values()) if (cell.type === 's' && cell.value !== undefined) wanted.add(Number(cell.value));
  }
  if (wanted.size > 0 && sharedStringsEntry !== undefined) {
    await scanSharedStrings(zip, sharedStringsEntry, signal, (index, text) => {
      if (wanted.has(index)) headerTexts.set(index, text);
    });
  }

  return scans.map(({ name, scan }) => {
    const header = new Map<number, HeaderCell>();
    for (const [column, cell] of scan.firstRow) header.set(column, openpyxlHeaderCell(cell, cellContext));
    const shape = scan.shape.build(header);
    return { name, headers: shape.headers, rowCount: shape.rowCount };
  });
}

/** A worksheet's part must exist in the zip. */
function sheetPart(sheet: WorkbookSheet, zip: ZipArchive, fileName: string): { name: string; entry: ZipEntry } {
  const entry = sheet.partPath === undefined ? undefined : zip.entries.get(sheet.partPath);
  if (entry === undefined) throw damaged(fileName, `the data of sheet "${sheet.name}" is missing`);
  return { name: sheet.name, entry };
}

/** Opens the zip, turning "not a zip" into a message that says what the file is instead. */
async function openWorkbookZip(path: string, fileName: string, maxEntries: number): Promise<ZipArchive> {
  try {
    return await ZipArchive.open(path, fileName, maxEntries);
  } catch (error) {
    if (isAssayError(error)) throw error;
    const head = await readHead(path, OLE2_MAGIC.length);
    if (head.equals(OLE2_MAGIC)) {
      const markers = await scanFileForMarkers(path, new Map([['encrypted', Buffer.from('EncryptedPackage', 'utf16le')]]));
      if (markers.has('encrypted')) {
        throw unreadableError(fileName, 'the workbook is password-protected: remove the password (in Excel: File > Info > Protect Workbook) and upload it again.', {
          cause: error,
          details: { reason: 'encrypted' },
        });
      }
      throw unreadableError(fileName, 'it is an Excel 97-2003 workbook, not an .xlsx file. Rename it to end in .xls and upload it again.', {
        cause: error,
      });
    }
    if (!head.subarray(0, ZIP_MAGIC.length).equals(ZIP_MAGIC)) {
      throw unreadableError(fileName, 'it is not an .xlsx workbook. Save it as .xlsx in Excel and upload it again.', { cause: error });
    }
    throw damaged(fileName, 'its zip structure is broken (the file may be truncated)', error);
  }
}

function damaged(fileName: string, what: string, cause?: unknown): Error {
  return unreadableError(fileName, `the workbook is damaged: ${what}. Open it in Excel, save it again and upload the new file.`, {
    cause,
    details: { reason: 'corrupt' },
  });
}
