import { extname } from 'node:path';
import type { FileFormat } from '@assay/contracts';
import { ErrorCode, UnsupportedMediaTypeError } from '@assay/errors';
import { ACCEPTED_EXTENSIONS_TEXT, FORMAT_BY_EXTENSION } from './consts';

/**
 * The table format an upload announces through its file name extension (case-insensitive).
 *
 * This is the first upload check; {@link UploadSniffer} then checks that the bytes match.
 *
 * @param fileName - the name the client gave the file, e.g. `"Sales 2021.XLSX"`
 * @returns `'csv' | 'tsv' | 'xlsx' | 'xls'`
 * @throws UnsupportedMediaTypeError (`UNSUPPORTED_FILE_TYPE`, 415) for any other extension,
 *   with a message that lists the accepted types
 */
export function formatFromFileName(fileName: string): FileFormat {
  const extension = extname(fileName).toLowerCase();
  const format = FORMAT_BY_EXTENSION[extension];
  if (format === undefined) {
    const what = extension === '' ? 'has no file extension' : `is a ${extension} file`;
    throw new UnsupportedMediaTypeError(
      ErrorCode.UNSUPPORTED_FILE_TYPE,
      `${fileName} ${what}, which Assay cannot read: upload a ${ACCEPTED_EXTENSIONS_TEXT} file.`,
      { details: { fileName, accepted: Object.keys(FORMAT_BY_EXTENSION) } },
    );
  }
  return format;
}
