import type { FileFormat } from '@assay/contracts';
import { ErrorCode, UnprocessableError, UnsupportedMediaTypeError } from '@assay/errors';
import { ACCEPTED_EXTENSIONS_TEXT, FORMAT_LABEL } from './consts';
import { CONTENT_DESCRIPTION, type ContentKind, formatOfContent } from './content/content-kind';

const EXTENSION_ADVICE: Readonly<Record<FileFormat, string>> = {
  csv: 'Rename it to end in .csv (or .tsv if its columns are separated by tabs) and upload it again.',
  tsv: 'Rename it to end in .csv (or .tsv if its columns are separated by tabs) and upload it again.',
  xlsx: 'Rename it to end in .xlsx and upload it again.',
  xls: 'Rename it to end in .xls and upload it again.',
};

/** What to do about content Assay cannot read at all, for the kinds where there is something better to say. */
const CONVERSION_ADVICE: Partial<Record<ContentKind, string>> = {
  xlsb: 'Save it as .xlsx in Excel and upload it again.',
  ods: 'Save it as .xlsx or .csv and upload it again.',
  'encrypted-office': 'Remove the password (in Excel: File > Info > Protect Workbook) and upload it again.',
  'utf16-text': 'Save it as UTF-8 text and upload it again.',
};

/**
 * The 415 error for an upload whose bytes do not match its extension, saying what it looks like
 * and what to do.
 */
export function contentMismatchError(fileName: string, format: FileFormat, kind: ContentKind): UnsupportedMediaTypeError {
  const details = { fileName, expected: format, detected: kind };
  if (kind === 'empty') {
    return new UnsupportedMediaTypeError(
      ErrorCode.FILE_CONTENT_MISMATCH,
      `${fileName} is empty: upload a file that contains a table.`,
      { details },
    );
  }
  if (kind === 'encrypted-office') {
    return new UnsupportedMediaTypeError(
      ErrorCode.FILE_CONTENT_MISMATCH,
      `${fileName} is password-protected (encrypted), so Assay cannot read it. ${CONVERSION_ADVICE['encrypted-office'] ?? ''}`,
      { details },
    );
  }
  const readableAs = formatOfContent(kind);
  const advice =
    readableAs !== undefined
      ? EXTENSION_ADVICE[readableAs]
      : (CONVERSION_ADVICE[kind] ?? `Upload a ${ACCEPTED_EXTENSIONS_TEXT} file.`);
  return new UnsupportedMediaTypeError(
    ErrorCode.FILE_CONTENT_MISMATCH,
    `${fileName} is not ${FORMAT_LABEL[format]}: it looks like ${CONTENT_DESCRIPTION[kind]}. ${advice}`,
    { details },
  );
}

/** Options of {@link unreadableError}. */
export interface UnreadableErrorOptions {
  cause?: unknown;
  details?: Record<string, unknown>;
}

/**
 * The 422 `FILE_UNREADABLE` error for a file that passed the upload checks but cannot be read as
 * a table. `problem` completes "<name> cannot be read: ..." and should say what to change.
 */
export function unreadableError(fileName: string, problem: string, options: UnreadableErrorOptions = {}): UnprocessableError {
  return new UnprocessableError(ErrorCode.FILE_UNREADABLE, `${fileName} cannot be read: ${problem}`, {
    cause: options.cause,
    details: { fileName, ...options.details },
  });
}
