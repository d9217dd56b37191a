import { unreadableError } from '../../errors';
import { SheetShapeBuilder } from '../sheet-shape';
import { type CellContext, cellHasValue, type RawCell } from './openpyxl-cell';
import { parseXmlEntry } from './xml-entry';
import type { ZipArchive, ZipEntry } from './zip-archive';

/** What one pass over a worksheet leaves: where values are, and row 1's cells. */
export interface WorksheetScan {
  shape: SheetShapeBuilder;
  /** Cells of row 1 (the header pandas uses), by 1-based column. */
  firstRow: Map<number, RawCell>;
}

/** Options of {@link scanWorksheet}. */
export interface WorksheetScanOptions {
  context: CellContext;
  /** Fail as soon as the table is wider than this. */
  maxColumns: number;
  /** For messages. */
  fileName: string;
  sheetName: string;
  signal: AbortSignal;
}

/** A1-style reference: letters of the column, then the row (openpyxl's COORD_RE). */
const COORDINATE = /^\$?([A-Za-z]{1,3})\$?(\d+)$/;

/** 1-based column of a reference such as `AB12`, or throws for a malformed one. */
export function columnOf(reference: string): number {
  const match = COORDINATE.exec(reference);
  const letters = match?.[1];
  if (letters === undefined) throw new Error(`invalid cell reference ${reference}`);
  let column = 0;
  for (const letter of letters.toUpperCase()) column = column * 26 + (letter.charCodeAt(0) - 64);
  return column;
}

/**
 * Streams a worksheet part and records, as openpyxl's read-only reader walks it, which cells
 * hold values. Rows and cells without an `r` attribute follow the previous one; a row whose
 * number is not above the previous row's is skipped, and cells right of a row's last cell are
 * ignored, both as openpyxl does. Only row 1's cells are kept.
 */
export async function scanWorksheet(zip: ZipArchive, entry: ZipEntry, options: WorksheetScanOptions): Promise<WorksheetScan> {
  const { context, maxColumns, fileName, sheetName, signal } = options;
  const shape = new SheetShapeBuilder();
  const firstRow = new Map<number, RawCell>();

  let inSheetData = false;
  let rowNumber = 0;
  let nextRow = 1;
  let column = 0;
  let rowCells: RawCell[] = [];
  let cell: RawCell | undefined;
  let valueText: string | undefined;
  let inlineText: string | undefined;
  let inInlineText = false;
  let inValue = false;
  let phoneticDepth = 0;

  const endRow = (): void => {
    const last = rowCells[rowCells.length - 1];
    const cells = rowCells;
    rowCells = [];
    // openpyxl yields row numbers in increasing order only, and rows up to the row's last cell.
    if (rowNumber < nextRow || last === undefined) {
      if (rowNumber >= nextRow) nextRow = rowNumber + 1;
      return;
    }
    nextRow = rowNumber + 1;
    for (const current of cells) {
      if (current.column < 1 || current.column > last.column) continue;
      if (rowNumber === 1) firstRow.set(current.column, current);
      if (cellHasValue(current, context)) shape.addValue(rowNumber, current.column);
    }
    if (shape.columnCount > maxColumns) {
      throw unreadableError(
        fileName,
        `sheet "${sheetName}" has ${shape.columnCount} or more columns; Assay reads tables with at most ${maxColumns}. Remove the columns you do not need and upload it again.`,
        { details: { limit: 'maxColumns', value: shape.columnCount, max: maxColumns } },
      );
    }
  };

  await parseXmlEntry(
    zip,
    entry,
    {
      open(name, attributes) {
        if (name === 'sheetData') {
          inSheetData = true;
        } else if (!inSheetData) {
          return;
        } else if (name === 'row') {
          const reference = attributes.r;
          if (reference === undefined) rowNumber += 1;
          else {
            const parsed = Number(reference);
            if (!Number.isInteger(parsed)) throw new Error(`invalid row number ${reference}`);
            rowNumber = parsed;
          }
          column = 0;
          rowCells = [];
        } else if (name === 'c') {
          const reference = attributes.r;
          column = reference === undefined ? column + 1 : columnOf(reference);
          const style = Number(attributes.s ?? '0');
          cell = { column, type: attributes.t ?? 'n', style: Number.isInteger(style) ? style : 0, value: undefined, inline: undefined };
          valueText = undefined;
          inlineText = undefined;
        } else if (cell !== undefined) {
          if (name === 'v' && valueText === undefined) {
            valueText = '';
            inValue = true;
          }
          else if (name === 'is') inlineText = '';
          else if (name === 'rPh') phoneticDepth += 1;
          else if (name === 't' && inlineText !== undefined && phoneticDepth === 0) inInlineText = true;
        }
      },
      text(chunk) {
        if (cell === undefined) return;
        if (inInlineText && inlineText !== undefined) inlineText += chunk;
        else if (inValue) valueText = (valueText ?? '') + chunk;
      },
      close(name) {
        if (name === 'sheetData') inSheetData = false;
        else if (name === 't') inInlineText = false;
        else if (name === 'v') inValue = false;
        else if (name === 'rPh') phoneticDepth -= 1;
        else if (name === 'c' && cell !== undefined) {
          cell.value = valueText === '' ? undefined : valueText;
          cell.inline = inlineText;
          rowCells.push(cell);
          cell = undefined;
        } else if (name === 'row') endRow();
      },
    },
    signal,
  );
  return { shape, firstRow };
}
