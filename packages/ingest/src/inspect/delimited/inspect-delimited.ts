import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { TextDecoder } from 'node:util';
import type { FileFormat, FileMetadata } from '@assay/contracts';
import { isAssayError } from '@assay/errors';
import { DEFAULT_SAMPLE_BYTES } from '../../consts';
import { detectBom } from '../../content/text-sample';
import { unreadableError } from '../../errors';
import { readHead } from '../file-bytes';
import type { InspectContext } from '../inspect-context';
import { pandasColumnNames, stringCell } from '../pandas-headers';
import { latin1ToCp1252 } from './cp1252';
import { CapturedRecordTooLongError, PandasCsvTokenizer, UnclosedQuoteError } from './pandas-csv-tokenizer';
import { sniffDelimiter } from './sniff-delimiter';
import { InvalidEncodingError, type TextDecoding, TextDecodeStream } from './text-decode-stream';

/** The encoding as Python names it, and how to decode the bytes for it. */
interface EncodingChoice {
  decoding: TextDecoding;
  /** Python codec name reported in metadata, decided after the pass for single-byte text. */
  pythonName: 'utf-8' | 'utf-8-sig' | 'utf-16' | 'single-byte';
}

/** What one pass over the rows found. */
interface RowPass {
  headerFields: string[];
  rowCount: number;
  /** For single-byte text: a byte undefined in cp1252 occurred, so Python must use latin-1. */
  needsLatin1: boolean;
}

/**
 * Encoding, delimiter, headers and data row count of a CSV/TSV file, as
 * `pandas.read_csv(path, sep=delimiter, encoding=encoding)` (pandas 1.5, C parser) reads it.
 *
 * Encoding: a byte order mark decides (`utf-8-sig`, `utf-16`); otherwise the file is decoded
 * as strict UTF-8 (`utf-8`), and if any byte sequence is invalid the pass restarts as a
 * single-byte code page: `cp1252`, or `latin-1` when a byte undefined in cp1252 occurs.
 * Delimiter: `\t` for .tsv, sniffed from the first 64 KiB for .csv (`,` `;` `\t` `|`).
 * Rows: a port of pandas's tokenizer rules ({@link PandasCsvTokenizer}) streams the file; as
 * pandas does, empty lines and lines of only spaces/tabs are skipped, the first remaining row is
 * the header (`Unnamed: i`, `a.1` naming), quoted fields may span lines, and a row with more
 * fields than the rows before it (beyond the first data row, which may add an index column) or
 * an unclosed quote fails the file, as `read_csv` would fail.
 */
export async function inspectDelimited(context: InspectContext, format: FileFormat): Promise<FileMetadata> {
  const { path, fileName } = context;
  const size = (await stat(path)).size;
  const head = await readHead(path, DEFAULT_SAMPLE_BYTES);
  if (size === 0) throw unreadableError(fileName, 'the file is empty. Upload a file that contains a table.');
  const complete = head.length >= size;

  let encoding = initialEncoding(head);
  const delimiter = format === 'tsv' ? '\t' : sniffDelimiter(decodeSample(head, encoding.decoding, complete), complete);
  let pass: RowPass;
  try {
    pass = await readRows(context, encoding.decoding, delimiter);
  } catch (error) {
    if (!(error instanceof InvalidEncodingError) || encoding.decoding !== 'utf-8') throw wrapUnexpected(error, fileName, encoding);
    encoding = { decoding: 'latin-1', pythonName: 'single-byte' };
    pass = await readRows(context, encoding.decoding, delimiter);
  }

  let pythonEncoding: string = encoding.pythonName;
  let headerFields = pass.headerFields;
  if (encoding.pythonName === 'single-byte') {
    pythonEncoding = pass.needsLatin1 ? 'latin-1' : 'cp1252';
    // The pass decoded Latin-1 (which never fails); cp1252 differs in 0x80-0x9F only.
    if (!pass.needsLatin1) headerFields = headerFields.map(latin1ToCp1252);
  }

  return {
    format,
    encoding: pythonEncoding,
    delimiter,
    sheets: [{ name: sheetName(fileName), headers: pandasColumnNames(headerFields.map(stringCell)), rowCount: pass.rowCount }],
  };
}

/** pandas and the kernels name a CSV's only table after the file, without its extension. */
function sheetName(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return dot > 0 ? fileName.slice(0, dot) : fileName;
}

function initialEncoding(head: Buffer): EncodingChoice {
  switch (detectBom(head)) {
    case 'utf-8':
      return { decoding: 'utf-8', pythonName: 'utf-8-sig' };
    case 'utf-16le':
      return { decoding: 'utf-16le', pythonName: 'utf-16' };
    case 'utf-16be':
      return { decoding: 'utf-16be', pythonName: 'utf-16' };
    case undefined:
      return { decoding: 'utf-8', pythonName: 'utf-8' };
  }
}

/** The leading sample as text for sniffing (lenient: a bad byte only costs a replacement character). */
function decodeSample(head: Buffer, decoding: TextDecoding, complete: boolean): string {
  const text = decoding === 'latin-1' ? head.toString('latin1') : new TextDecoder(decoding).decode(head, { stream: !complete });
  return text.replace(/\r\n?/g, '\n');
}

/** Most characters of the header row kept (an unclosed quote in it would otherwise buffer the file). */
const MAX_HEADER_CHARS = 4 * 1024 * 1024;

/** One streaming pass: header fields, data row count, field-count consistency. */
async function readRows(context: InspectContext, decoding: TextDecoding, delimiter: string): Promise<RowPass> {
  const { path, fileName, limits, signal } = context;
  signal.throwIfAborted();
  const source = createReadStream(path, { highWaterMark: 256 * 1024 });
  const decoder = new TextDecodeStream(decoding);
  const stop = (): void => {
    decoder.destroy(signal.reason instanceof Error ? signal.reason : new Error('inspection aborted'));
  };
  signal.addEventListener('abort', stop, { once: true });
  pipeline(source, decoder, () => undefined);

  let headerFields: string[] | undefined;
  let expectedFields = 0;
  let dataRows = 0;
  const tokenizer = new PandasCsvTokenizer({
    delimiter,
    maxCapturedChars: MAX_HEADER_CHARS,
    onRecord({ fieldCount, fields, line }) {
      if (headerFields === undefined) {
        if (fieldCount > limits.maxColumns) {
          throw unreadableError(
            fileName,
            `it has ${fieldCount} columns; Assay reads tables with at most ${limits.maxColumns}. Remove the columns you do not need and upload it again.`,
            { details: { limit: 'maxColumns', value: fieldCount, max: limits.maxColumns } },
          );
        }
        headerFields = fields ?? [];
        expectedFields = fieldCount;
        tokenizer.captureFields = false;
        return;
      }
      dataRows += 1;
      if (fieldCount <= expectedFields) return;
      // pandas lets the first data row be longer (its extra leading fields become the index).
      if (dataRows === 1) {
        expectedFields = fieldCount;
        return;
      }
      throw unreadableError(
        fileName,
        `line ${line} has ${fieldCount} fields where the rows above have ${expectedFields}. A value probably contains the delimiter ${describeDelimiter(delimiter)} without quotes around it; fix that line and upload the file again.`,
        { details: { line, fields: fieldCount, expected: expectedFields } },
      );
    },
  });

  try {
    for await (const text of decoder) {
      tokenizer.write(String(text));
    }
    tokenizer.end();
  } catch (error) {
    if (error instanceof UnclosedQuoteError) {
      throw unreadableError(
        fileName,
        `a quoted field that starts on line ${error.line} is never closed. Add the missing closing quote (") and upload the file again.`,
        { details: { line: error.line } },
      );
    }
    if (error instanceof CapturedRecordTooLongError) {
      throw unreadableError(fileName, `its header row (line ${error.line}) is longer than ${MAX_HEADER_CHARS} characters; check for a missing closing quote (").`, {
        details: { line: error.line },
      });
    }
    throw error;
  } finally {
    signal.removeEventListener('abort', stop);
    source.destroy();
  }
  signal.throwIfAborted();
  if (headerFields === undefined) {
    throw unreadableError(fileName, 'it contains no header row (only empty lines). Upload a file that contains a table.');
  }
  return { headerFields, rowCount: dataRows, needsLatin1: decoder.sawCp1252Undefined };
}

function describeDelimiter(delimiter: string): string {
  return delimiter === '\t' ? '(tab)' : `"${delimiter}"`;
}

/** Errors other than ours become FILE_UNREADABLE with the encoding tried; aborts pass through. */
function wrapUnexpected(error: unknown, fileName: string, encoding: EncodingChoice): unknown {
  if (isAssayError(error) || (error instanceof Error && error.name === 'AbortError')) return error;
  if (error instanceof InvalidEncodingError) {
    return unreadableError(fileName, `it starts with a ${encoding.pythonName} byte order mark but is not valid ${encoding.pythonName} text. Save it as UTF-8 and upload it again.`, {
      cause: error,
    });
  }
  return error;
}
