import { stat } from 'node:fs/promises';
import { TextDecoder } from 'node:util';
import type { FileFormat, FileMetadata } from '@assay/contracts';
import { DEFAULT_SAMPLE_BYTES } from '../../consts';
import { type Bom, detectBom } from '../../content/text-sample';
import { unreadableError } from '../../errors';
import { readHead } from '../file-bytes';
import type { InspectContext } from '../inspect-context';
import { pandasColumnNames, stringCell } from '../pandas-headers';
import { latin1ToCp1252 } from './cp1252';
import { type CsvHeaderRecord, ExtraFieldsError, HeaderTooLongError, PandasCsvScanner, UnclosedQuoteError } from './pandas-csv-scanner';
import { readFileChunks } from './read-file-chunks';
import { sniffDelimiter } from './sniff-delimiter';
import { Utf8Validator } from './utf8-validator';

/** The Python codec names `inspectDelimited` reports. */
type PythonEncoding = 'utf-8' | 'utf-8-sig' | 'utf-16' | 'cp1252' | 'latin-1';

/** What the pass over the rows found. */
interface RowPass {
  header: CsvHeaderRecord;
  rowCount: number;
  encoding: PythonEncoding;
}

/** Bytes per read: per-read costs become noise, and memory stays small (two such buffers, reused). */
const CHUNK_BYTES = 1024 * 1024;

/** Most characters of the header row kept (an unclosed quote in it would otherwise buffer the file). */
const MAX_HEADER_CHARS = 4 * 1024 * 1024;

/** Bytes that Python's cp1252 codec cannot decode (undefined in Windows-1252): their presence means `latin-1`. */
const CP1252_UNDEFINED = [0x81, 0x8d, 0x8f, 0x90, 0x9d] as const;

/** A UTF-16 file is not valid UTF-16 (the BOM announced it, so no other reading is tried). */
class InvalidUtf16Error extends Error {
  constructor() {
    super('not valid utf-16');
    this.name = 'InvalidUtf16Error';
  }
}

/**
 * Encoding, delimiter, headers and data row count of a CSV/TSV file, as
 * `pandas.read_csv(path, sep=delimiter, encoding=encoding)` (pandas 1.5, C parser) reads it.
 *
 * Encoding: a byte order mark decides (`utf-8-sig`, `utf-16`); otherwise the file is strict
 * UTF-8 (`utf-8`) if it validates as such, else a single-byte code page: `cp1252`, or
 * `latin-1` when a byte undefined in cp1252 occurs (a `utf-8-sig` file that is not UTF-8
 * after its BOM is read again from the start as single-byte text, the BOM then being text).
 * Delimiter: `\t` for .tsv, sniffed from the first 64 KiB for .csv (`,` `;` `\t` `|`).
 * Rows: {@link PandasCsvScanner} applies pandas's tokenizer rules to the bytes in one streaming
 * pass; as pandas does, empty lines and lines of only spaces/tabs are skipped, the first
 * remaining row is the header (`Unnamed: i`, `a.1` naming), quoted fields may span lines, and
 * a row with more fields than the rows before it (beyond the first data row, which may add an
 * index column) or an unclosed quote fails the file, as `read_csv` would fail.
 *
 * UTF-8 and single-byte text is scanned undecoded, data rows by a WebAssembly SIMD kernel (see
 * {@link PandasCsvScanner} for why that is exact): validation runs alongside, and finding
 * invalid UTF-8 part-way only changes how the header bytes are decoded, so the pass goes on
 * instead of starting over. UTF-16 is transcoded to UTF-8 chunk by chunk, as pandas itself does
 * before tokenizing.
 */
export async function inspectDelimited(context: InspectContext, format: FileFormat): Promise<FileMetadata> {
  const { path, fileName } = context;
  const size = (await stat(path)).size;
  const head = await readHead(path, DEFAULT_SAMPLE_BYTES);
  if (size === 0) throw unreadableError(fileName, 'the file is empty. Upload a file that contains a table.');
  const complete = head.length >= size;

  const bom = detectBom(head);
  const delimiter = format === 'tsv' ? '\t' : sniffDelimiter(decodeSample(head, bom, complete), complete);
  const pass = await readRowsReportingErrors(context, bom, delimiter);

  const headerTexts = pass.header.fields.map((field) => decodeHeaderField(field, pass.encoding));
  return {
    format,
    encoding: pass.encoding,
    delimiter,
    sheets: [{ name: sheetName(fileName), headers: pandasColumnNames(headerTexts.map(stringCell)), rowCount: pass.rowCount }],
  };
}

/** pandas and the kernels name a CSV's only table after the file, without its extension. */
function sheetName(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return dot > 0 ? fileName.slice(0, dot) : fileName;
}

/** The leading sample as text for sniffing (lenient: a bad byte only costs a replacement character). */
function decodeSample(head: Buffer, bom: Bom | undefined, complete: boolean): string {
  const text = new TextDecoder(bom ?? 'utf-8').decode(head, { stream: !complete });
  return text.replace(/\r\n?/g, '\n');
}

function decodeHeaderField(bytes: Buffer, encoding: PythonEncoding): string {
  switch (encoding) {
    case 'utf-8':
    case 'utf-8-sig':
    case 'utf-16':
      // UTF-16 was transcoded to UTF-8 before scanning.
      return bytes.toString('utf8');
    case 'latin-1':
      return bytes.toString('latin1');
    case 'cp1252':
      return latin1ToCp1252(bytes.toString('latin1'));
  }
}

/** The row pass, with the scanner's findings turned into messages that say what to fix. */
async function readRowsReportingErrors(context: InspectContext, bom: Bom | undefined, delimiter: string): Promise<RowPass> {
  const { fileName } = context;
  try {
    let pass: RowPass | undefined;
    if (bom === 'utf-16le' || bom === 'utf-16be') pass = await readUtf16Rows(context, bom, delimiter);
    else if (bom === 'utf-8') pass = (await readByteRows(context, delimiter, 'utf-8-sig')) ?? (await readByteRows(context, delimiter, 'single-byte'));
    else pass = await readByteRows(context, delimiter, 'utf-8');
    if (pass === undefined) throw new Error('inspectDelimited: a single-byte pass cannot fail to decode');
    return pass;
  } catch (error) {
    if (error instanceof UnclosedQuoteError) {
      throw unreadableError(fileName, `a quoted field that starts on line ${error.line} is never closed. Add the missing closing quote (") and upload the file again.`, {
        details: { line: error.line },
      });
    }
    if (error instanceof HeaderTooLongError) {
      throw unreadableError(fileName, `its header row (line ${error.line}) is longer than ${MAX_HEADER_CHARS} characters; check for a missing closing quote (").`, {
        details: { line: error.line },
      });
    }
    if (error instanceof ExtraFieldsError) {
      throw unreadableError(
        fileName,
        `line ${error.line} has ${error.fields} fields where the rows above have ${error.expected}. A value probably contains the delimiter ${describeDelimiter(delimiter)} without quotes around it; fix that line and upload the file again.`,
        { details: { line: error.line, fields: error.fields, expected: error.expected } },
      );
    }
    if (error instanceof InvalidUtf16Error) {
      throw unreadableError(fileName, 'it starts with a utf-16 byte order mark but is not valid utf-16 text. Save it as UTF-8 and upload it again.', {
        cause: error,
      });
    }
    throw error;
  }
}

function describeDelimiter(delimiter: string): string {
  return delimiter === '\t' ? '(tab)' : `"${delimiter}"`;
}

/** A scanner whose header check applies the column limit. */
function createScanner(context: InspectContext, delimiter: string): { scanner: PandasCsvScanner; header: () => CsvHeaderRecord } {
  const { fileName, limits } = context;
  let header: CsvHeaderRecord | undefined;
  const scanner = new PandasCsvScanner({
    delimiter: delimiter.charCodeAt(0),
    maxHeaderChars: MAX_HEADER_CHARS,
    maxHeaderFields: limits.maxColumns,
    onHeader(record) {
      if (record.fieldCount > limits.maxColumns) {
        throw unreadableError(
          fileName,
          `it has ${record.fieldCount} columns; Assay reads tables with at most ${limits.maxColumns}. Remove the columns you do not need and upload it again.`,
          { details: { limit: 'maxColumns', value: record.fieldCount, max: limits.maxColumns } },
        );
      }
      header = record;
    },
  });
  return {
    scanner,
    header: () => {
      if (header === undefined) {
        throw unreadableError(fileName, 'it contains no header row (only empty lines). Upload a file that contains a table.');
      }
      return header;
    },
  };
}

/**
 * One pass over UTF-8 or single-byte text.
 *
 * - `utf-8`: validated alongside; at the first invalid sequence the text is single-byte from
 *   then on, and the part already scanned is only searched again for cp1252's undefined bytes.
 * - `utf-8-sig`: the BOM is skipped; `undefined` when the rest is not UTF-8 (the caller then
 *   reads the file again as single-byte text, where the BOM's bytes are characters).
 * - `single-byte`: cp1252 or latin-1.
 */
async function readByteRows(context: InspectContext, delimiter: string, reading: 'utf-8' | 'utf-8-sig' | 'single-byte'): Promise<RowPass | undefined> {
  const { path, signal } = context;
  signal.throwIfAborted();
  const { scanner, header } = createScanner(context, delimiter);
  const startByte = reading === 'utf-8-sig' ? 3 : 0;
  const validator = reading === 'single-byte' ? undefined : new Utf8Validator();
  /** Where single-byte text was recognised: bytes before it were not searched for cp1252's undefined bytes. */
  let singleByteFrom: number | undefined = reading === 'single-byte' ? 0 : undefined;
  let needsLatin1 = false;
  let offset = startByte;

  const becomeSingleByte = (at: number): void => {
    singleByteFrom = at;
    scanner.countHeaderCharsAs('bytes');
  };
  for await (const chunk of readFileChunks(path, { chunkBytes: CHUNK_BYTES, startByte, signal })) {
    if (singleByteFrom === undefined && validator !== undefined && !validator.push(chunk)) {
      if (reading === 'utf-8-sig') return undefined;
      becomeSingleByte(offset);
    }
    if (singleByteFrom !== undefined && !needsLatin1) needsLatin1 = containsCp1252Undefined(chunk);
    scanner.scan(chunk);
    offset += chunk.length;
  }
  if (singleByteFrom === undefined && validator !== undefined && !validator.end()) {
    // A sequence cut off by the end of the file.
    if (reading === 'utf-8-sig') return undefined;
    becomeSingleByte(offset);
  }
  scanner.end();
  signal.throwIfAborted();

  let encoding: PythonEncoding = reading === 'single-byte' ? 'cp1252' : reading;
  if (singleByteFrom !== undefined) {
    if (!needsLatin1 && singleByteFrom > 0) needsLatin1 = await fileContainsCp1252Undefined(path, singleByteFrom, signal);
    encoding = needsLatin1 ? 'latin-1' : 'cp1252';
  }
  return { header: header(), rowCount: scanner.rowCount, encoding };
}

/** One pass over UTF-16 text (BOM at the start), transcoded to UTF-8 chunk by chunk. */
async function readUtf16Rows(context: InspectContext, bom: 'utf-16le' | 'utf-16be', delimiter: string): Promise<RowPass> {
  const { path, signal } = context;
  signal.throwIfAborted();
  const { scanner, header } = createScanner(context, delimiter);
  // Strict, and drops the BOM (ignoreBOM is off).
  const decoder = new TextDecoder(bom, { fatal: true });
  const decode = (chunk?: Buffer): Buffer => {
    try {
      return Buffer.from(chunk === undefined ? decoder.decode() : decoder.decode(chunk, { stream: true }), 'utf8');
    } catch {
      throw new InvalidUtf16Error();
    }
  };
  for await (const chunk of readFileChunks(path, { chunkBytes: CHUNK_BYTES, signal })) scanner.scan(decode(chunk));
  scanner.scan(decode());
  scanner.end();
  signal.throwIfAborted();
  return { header: header(), rowCount: scanner.rowCount, encoding: 'utf-16' };
}

function containsCp1252Undefined(bytes: Buffer): boolean {
  return CP1252_UNDEFINED.some((byte) => bytes.includes(byte));
}

/** Whether the first `endByte` bytes of a file hold a byte undefined in cp1252. */
async function fileContainsCp1252Undefined(path: string, endByte: number, signal: AbortSignal): Promise<boolean> {
  for await (const chunk of readFileChunks(path, { chunkBytes: CHUNK_BYTES, endByte, signal })) {
    if (containsCp1252Undefined(chunk)) return true;
  }
  return false;
}
