import type { FileFormat } from '@assay/contracts';

/** File name extensions Assay accepts, lower case, mapped to the format they announce. */
export const FORMAT_BY_EXTENSION: Readonly<Record<string, FileFormat>> = Object.freeze({
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.xlsx': 'xlsx',
  '.xls': 'xls',
});

/** The accepted extensions as a person reads them: ".csv, .tsv, .xlsx or .xls". */
export const ACCEPTED_EXTENSIONS_TEXT = '.csv, .tsv, .xlsx or .xls';

/**
 * How many leading bytes of a text upload are checked (NUL bytes, magic numbers, encoding).
 * 64 KiB is the sample the upload rules name; it is also enough to see the zip entry names
 * near the start of an .xlsx file written by Excel, LibreOffice, openpyxl or exceljs.
 */
export const DEFAULT_SAMPLE_BYTES = 64 * 1024;

/** What a format is called in messages ("report.xlsx is not an Excel workbook (.xlsx)"). */
export const FORMAT_LABEL: Readonly<Record<FileFormat, string>> = Object.freeze({
  csv: 'a CSV text file',
  tsv: 'a TSV text file',
  xlsx: 'an Excel workbook (.xlsx)',
  xls: 'an Excel 97-2003 workbook (.xls)',
});
