import { unreadableError } from '../errors';
import { formatBytes } from './format-bytes';
import { excelColumnNames, type HeaderCell } from './pandas-headers';

/** Headers and data row count of one table, as pandas reports them. */
export interface TableShape {
  headers: string[];
  rowCount: number;
}

/**
 * What `pandas.read_excel(sheet_name=...)` (pandas 1.5, openpyxl reader) returns for a worksheet,
 * from where its values are: pandas takes every row from row 1 down to the last row holding a
 * value (leading empty rows and columns are kept: an empty first row gives `Unnamed: 0..n`
 * headers), pads rows to the widest one, uses row 1 as the header and keeps empty rows in
 * between (`skip_blank_lines=False`). A sheet without values is an empty DataFrame.
 *
 * @param lastRowWithValue - 1-based; 0 when no cell holds a value
 * @param width - the widest row's last column holding a value
 * @param firstRow - the cells of row 1 by 1-based column (missing ones are empty)
 */
export function sheetTable(lastRowWithValue: number, width: number, firstRow: ReadonlyMap<number, HeaderCell>): TableShape {
  if (lastRowWithValue === 0) return { headers: [], rowCount: 0 };
  const header: HeaderCell[] = [];
  for (let column = 1; column <= width; column += 1) header.push(firstRow.get(column) ?? { empty: true });
  return { headers: excelColumnNames(header), rowCount: lastRowWithValue - 1 };
}

/** The `FILE_UNREADABLE` error for a workbook whose column names exceed `maxHeaderTextBytes`. */
export function headerTextLimitError(fileName: string, maxBytes: number): Error {
  return unreadableError(
    fileName,
    `its column names hold more than ${formatBytes(maxBytes)} of text; Assay reads workbooks with at most that much. Shorten the header rows and upload it again.`,
    { details: { limit: 'maxHeaderTextBytes', max: maxBytes } },
  );
}

/**
 * Checks the column names of all sheets together against `maxHeaderTextBytes`.
 * @throws `FILE_UNREADABLE` beyond it
 */
export function checkHeaderText(tables: ReadonlyArray<{ headers: readonly string[] }>, fileName: string, maxBytes: number): void {
  let total = 0;
  for (const table of tables) {
    for (const header of table.headers) {
      total += Buffer.byteLength(header);
      if (total > maxBytes) throw headerTextLimitError(fileName, maxBytes);
    }
  }
}
