import { type HeaderCell, pandasColumnNames } from './pandas-headers';

/** Headers and data row count of one table, as pandas reports them. */
export interface TableShape {
  headers: string[];
  rowCount: number;
}

/**
 * Accumulates where a worksheet holds values into what `pandas.read_excel(sheet_name=...)`
 * (pandas 1.5, openpyxl reader) returns for it, without keeping the rows.
 *
 * pandas takes every row from row 1 down to the last row holding a value (leading empty rows
 * and columns are kept: an empty first row gives `Unnamed: 0..n` headers), pads rows to the
 * widest one, uses row 1 as the header and keeps empty rows in between (`skip_blank_lines=False`).
 */
export class SheetShapeBuilder {
  private lastRowWithValue = 0;
  private width = 0;

  /**
   * Records a cell holding a value (pandas: neither `None` nor an empty string).
   * @param row - 1-based row number
   * @param column - 1-based column number
   */
  addValue(row: number, column: number): void {
    if (row > this.lastRowWithValue) this.lastRowWithValue = row;
    if (column > this.width) this.width = column;
  }

  /** Columns of the table so far (the widest row holding a value). */
  get columnCount(): number {
    return this.width;
  }

  /**
   * The headers and data row count.
   * @param firstRow - the cells of row 1 by 1-based column (missing ones are empty)
   */
  build(firstRow: ReadonlyMap<number, HeaderCell>): TableShape {
    if (this.lastRowWithValue === 0) return { headers: [], rowCount: 0 };
    const header: HeaderCell[] = [];
    for (let column = 1; column <= this.width; column += 1) header.push(firstRow.get(column) ?? { empty: true });
    return { headers: pandasColumnNames(header), rowCount: this.lastRowWithValue - 1 };
  }
}
