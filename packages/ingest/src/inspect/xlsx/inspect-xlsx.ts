import type { SheetMetadata } from '@assay/contracts';
import { isAssayError } from '@assay/errors';
import { OLE2_MAGIC, ZIP_MAGIC } from '../../content/content-kind';
import { unreadableError } from '../../errors';
import { readHead, scanFileForMarkers } from '../file-bytes';
import type { InspectContext } from '../inspect-context';
import type { HeaderCell } from '../pandas-headers';
import { checkHeaderText, headerTextLimitError, sheetTable } from '../sheet-shape';
import { readDateStyles } from './date-styles';
import { type CellContext, CellValueError, openpyxlHeaderCell, type RawCell } from './openpyxl-cell';
import { parsePythonInt } from './python-numbers';
import { EmptyStrings, resolveIndex, scanSharedStrings, type SharedStringsScan } from './shared-strings';
import {
  CONTENT_TYPES_PART,
  parseContentTypes,
  parseWorkbookStructure,
  relationshipsPartOf,
  STYLES_PART,
  WORKBOOK_PART,
  type WorkbookSheet,
} from './workbook-structure';
import { readFirstRow, scanWorksheet, type WorksheetScanOptions } from './worksheet-scan';
import { XmlScanError } from './xml-scanner';
import { ZipArchive, type ZipEntry, ZipEntryError } from './zip-archive';
import { guardZipEntries } from './zip-guard';

/** Small XML parts read whole: the manifest, workbook.xml and its relationships. */
const MAX_STRUCTURE_PART_BYTES = 8 * 1024 * 1024;

/**
 * Sheet names, headers and data row counts of an .xlsx workbook, as `pandas.read_excel`
 * (openpyxl, read-only, `data_only=True`) reports them, streaming every large part through a
 * byte-level XML scanner with bounded memory (no part, row or table is ever held whole).
 *
 * 1. yauzl reads the zip directory: entry count, total and per-entry inflated size and
 *    compression ratio are checked first; each part is inflated with its declared size
 *    enforced on the bytes actually inflated.
 * 2. `[Content_Types].xml`, the workbook part and its relationships give sheet names and parts
 *    in openpyxl's order (never zip entry order or part file names); chart sheets are left out
 *    as openpyxl leaves them out.
 * 3. `xl/styles.xml` says which cell styles are dates.
 * 4. Each worksheet's first row is read (only the start of the part is inflated).
 * 5. One pass over the shared strings records which are empty (a bit each) and keeps the texts
 *    those first rows use, nothing else.
 * 6. Each worksheet is scanned once for the last row and the widest column holding a value.
 *
 * @throws `FILE_UNREADABLE` (see `inspectFile`)
 */
export async function inspectXlsx(context: InspectContext): Promise<SheetMetadata[]> {
  const { path, fileName, limits, signal } = context;
  const zip = await openWorkbookZip(path, fileName, limits.maxZipEntries);
  try {
    return await readWorkbook(zip, context);
  } catch (error) {
    if (signal.aborted || isAssayError(error)) throw error;
    throw explain(error, fileName);
  } finally {
    zip.close();
  }
}

/** A failure in one part, so that the message can name it. */
class PartError extends Error {
  override name = 'PartError';
  constructor(
    readonly part: string,
    override readonly cause: unknown,
  ) {
    super(`${part}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

async function inPart<T>(part: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isAssayError(error) || error instanceof PartError) throw error;
    throw new PartError(part, error);
  }
}

async function readWorkbook(zip: ZipArchive, context: InspectContext): Promise<SheetMetadata[]> {
  const { fileName, limits, signal } = context;
  guardZipEntries(zip.entries, fileName, limits);

  const manifest = zip.entries.get(CONTENT_TYPES_PART);
  const parts =
    manifest === undefined
      ? undefined
      : await inPart(CONTENT_TYPES_PART, async () => parseContentTypes(await zip.readText(manifest, MAX_STRUCTURE_PART_BYTES, signal)));
  const workbookPart = parts?.workbookPart;
  const workbookEntry = workbookPart === undefined ? undefined : zip.entries.get(workbookPart);
  if (parts === undefined || workbookPart === undefined || workbookEntry === undefined) {
    throw unreadableError(
      fileName,
      `it has no workbook part (${WORKBOOK_PART}), so it is not an Excel workbook. Save it as .xlsx in Excel and upload it again.`,
      { details: { reason: 'corrupt' } },
    );
  }
  const relsEntry = zip.entries.get(relationshipsPartOf(workbookPart));
  const relsXml = relsEntry === undefined ? undefined : await inPart(relsEntry.fileName, async () => zip.readText(relsEntry, MAX_STRUCTURE_PART_BYTES, signal));
  const structure = await inPart(workbookPart, async () =>
    parseWorkbookStructure(workbookPart, await zip.readText(workbookEntry, MAX_STRUCTURE_PART_BYTES, signal), relsXml),
  );
  if (structure.sheets.length > limits.maxSheets) {
    throw unreadableError(
      fileName,
      `it has ${structure.sheets.length} sheets; Assay reads workbooks with at most ${limits.maxSheets}. Remove the sheets you do not need and upload it again.`,
      { details: { limit: 'maxSheets', value: structure.sheets.length, max: limits.maxSheets } },
    );
  }
  // openpyxl drops a <sheet> without a relationship id, and lists chart sheets apart.
  const worksheets = structure.sheets
    .filter((sheet) => sheet.hasRelationshipId && !sheet.type.includes('chartsheet'))
    .map((sheet) => sheetPart(sheet, zip, fileName));

  const stylesEntry = zip.entries.get(STYLES_PART);
  const dateStyles = stylesEntry === undefined ? { has: () => false } : await inPart(STYLES_PART, async () => readDateStyles(zip, stylesEntry, signal));

  const scanOptions = (sheetName: string): WorksheetScanOptions => ({ maxColumns: limits.maxColumns, fileName, sheetName, signal });
  const firstRows: Array<Map<number, RawCell>> = [];
  for (const sheet of worksheets) {
    firstRows.push(await inPart(sheet.entry.fileName, async () => readFirstRow(zip, sheet.entry, scanOptions(sheet.name))));
  }

  const sharedStringsEntry = parts.sharedStringsPart === undefined ? undefined : zip.entries.get(parts.sharedStringsPart);
  const strings = await readSharedStrings(zip, sharedStringsEntry, firstRows, context);

  const tables: SheetMetadata[] = [];
  let headerBytes = 0;
  for (const [index, sheet] of worksheets.entries()) {
    signal.throwIfAborted();
    const shape = await inPart(sheet.entry.fileName, async () => scanWorksheet(zip, sheet.entry, strings.empty, scanOptions(sheet.name)));
    const cellContext: CellContext = {
      dateStyles,
      date1904: structure.date1904,
      sharedString: (stringIndex) => {
        const resolved = resolveIndex(Number(stringIndex), strings.empty.count);
        return strings.texts.get(resolved) ?? '';
      },
    };
    const header = new Map<number, HeaderCell>();
    for (const [column, cell] of firstRows[index] ?? []) {
      if (column > shape.width) continue;
      const headerCell = await inPart(sheet.entry.fileName, async () => openpyxlHeaderCell(cell, cellContext));
      header.set(column, headerCell);
      // Checked before naming columns: de-duplicating long repeated names is where the work would be.
      if (!headerCell.empty) headerBytes += Buffer.byteLength(headerCell.text);
      if (headerBytes > limits.maxHeaderTextBytes) throw headerTextLimitError(fileName, limits.maxHeaderTextBytes);
    }
    const table = sheetTable(shape.lastRowWithValue, shape.width, header);
    tables.push({ name: sheet.name, headers: table.headers, rowCount: table.rowCount });
  }
  checkHeaderText(tables, fileName, limits.maxHeaderTextBytes);
  return tables;
}

/**
 * One pass over the shared strings for the empty-string bits and the header texts; a second,
 * only for header cells that index the table from its end (which needs its length first).
 */
async function readSharedStrings(
  zip: ZipArchive,
  entry: ZipEntry | undefined,
  firstRows: ReadonlyArray<Map<number, RawCell>>,
  context: InspectContext,
): Promise<SharedStringsScan> {
  const { fileName, limits, signal } = context;
  const wanted = new Set<number>();
  const fromEnd = new Set<number>();
  for (const row of firstRows) {
    for (const cell of row.values()) {
      if (cell.type !== 's' || cell.value === undefined) continue;
      const index = parsePythonInt(cell.value);
      if (index === undefined) continue;
      if (index >= 0n) wanted.add(Number(index));
      else fromEnd.add(Number(index));
    }
  }
  if (entry === undefined) return { empty: new EmptyStrings(), texts: new Map() };
  const options = {
    maxTextBytes: limits.maxHeaderTextBytes,
    onTooMuchText: () => headerTextLimitError(fileName, limits.maxHeaderTextBytes),
    signal,
  };
  const scan = await inPart(entry.fileName, async () => scanSharedStrings(zip, entry, { ...options, wanted }));
  const missing = new Set<number>();
  for (const index of fromEnd) {
    const resolved = index + scan.empty.count;
    if (resolved >= 0 && !scan.texts.has(resolved)) missing.add(resolved);
  }
  if (missing.size > 0) {
    const again = await inPart(entry.fileName, async () => scanSharedStrings(zip, entry, { ...options, wanted: missing }));
    for (const [index, text] of again.texts) scan.texts.set(index, text);
  }
  return scan;
}

/** A worksheet's part must exist in the zip (openpyxl would skip it silently; Excel calls the file damaged). */
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

/** The message for a failure while reading parts: what was wrong, and in which part. */
function explain(error: unknown, fileName: string): Error {
  const part = error instanceof PartError ? error.part : undefined;
  const cause = error instanceof PartError ? error.cause : error;
  const where = part === undefined ? 'its content' : `its part ${part}`;
  if (cause instanceof XmlScanError && cause.reason === 'doctype') {
    return unreadableError(
      fileName,
      `${where} declares an XML document type (DTD). Excel never writes one, and Assay does not read them (they can expand or fetch entities). Open the file in Excel, save it again and upload the new file.`,
      { cause, details: { reason: 'doctype', part } },
    );
  }
  if (cause instanceof XmlScanError && cause.reason === 'too-large') {
    return unreadableError(fileName, `${where} holds more than Assay reads: ${cause.message}. Open it in Excel, save it again and upload the new file.`, {
      cause,
      details: { reason: 'too-large', part },
    });
  }
  if (cause instanceof XmlScanError || cause instanceof CellValueError) {
    return damaged(fileName, `${where} is not what Excel writes (${cause.message})`, cause);
  }
  if (cause instanceof ZipEntryError) return damaged(fileName, cause.message, cause);
  if (typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string' && cause.code.startsWith('Z_')) {
    return damaged(fileName, `the compressed data of ${part === undefined ? 'a part' : `part ${part}`} is corrupt`, cause);
  }
  return damaged(fileName, `${where} could not be read`, cause);
}

function damaged(fileName: string, what: string, cause?: unknown): Error {
  return unreadableError(fileName, `the workbook is damaged: ${what}. Open it in Excel, save it again and upload the new file.`, {
    cause,
    details: { reason: 'corrupt' },
  });
}
