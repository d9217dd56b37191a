import { unreadableError } from '../../errors';
import { CellValueError, openpyxlIsoValue, type RawCell } from './openpyxl-cell';
import { asciiDigits, parseCellReference, parsePythonInt, parseRowNumber } from './python-numbers';
import { XmlScanError, type XmlScanHandler, XmlScanner } from './xml-scanner';
import { decodeXmlAttribute, TextCapture } from './xml-text';
import type { ZipArchive, ZipEntry } from './zip-archive';

/** Elements the scan tells apart (by local name; openpyxl treats every child of a row as a cell). */
const ROW = 0;
const V = 1;
const IS = 2;
const T = 3;
const R = 4;
const ELEMENTS = ['row', 'v', 'is', 't', 'r'];
const ATTRIBUTE_R = 0;
const ATTRIBUTE_T = 1;
const ATTRIBUTE_S = 2;
const ATTRIBUTES = ['r', 't', 's'];

/** Cell types by how they decide whether the cell holds a value. */
const enum CellKind {
  /** `n`, `b`, `e`, `str` and unknown types: a non-empty `<v>`. */
  Plain,
  /** `s`: a non-empty `<v>` naming a non-empty shared string. */
  Shared,
  /** `inlineStr`: a non-empty `<is>` (its `<v>` is ignored). */
  Inline,
  /** `d`: a non-empty `<v>` openpyxl can parse as ISO 8601. */
  Date,
}

const enum Part {
  None,
  Open,
  Done,
}

/** The most text kept for one cell; Excel's own limit is 32,767 characters. */
const MAX_CELL_TEXT_BYTES = 1024 * 1024;
/** The most cells one row may have: Excel writes at most 16,384 (and Assay reads 2,048 columns). */
const MAX_ROW_CELLS = 1 << 20;

/** What the shared string table says about emptiness, known before full scans. */
export interface SharedStringIndex {
  /**
   * Whether shared string `index` (Python indexing: negative counts from the end) is empty.
   * @throws Error when the table has no such string (openpyxl raises IndexError)
   */
  isEmpty(index: number): boolean;
}

/** Where values are in a worksheet, as pandas reads it (see {@link scanWorksheet}). */
export interface WorksheetShape {
  /** The last row (1-based) holding a value; 0 for a sheet without values. */
  lastRowWithValue: number;
  /** The widest row's last column holding a value. */
  width: number;
}

/** Options of {@link scanWorksheet} and {@link readFirstRow}. */
export interface WorksheetScanOptions {
  /** Fail as soon as the table is wider than this. */
  maxColumns: number;
  /** For messages. */
  fileName: string;
  sheetName: string;
  signal: AbortSignal;
}

/**
 * The cells of the row pandas takes as header (openpyxl's first row: the first `<row>` numbered
 * 1 or more; when that is not row 1, the header row is empty), by 1-based column. Only the part
 * up to that row is inflated.
 */
export async function readFirstRow(zip: ZipArchive, entry: ZipEntry, options: WorksheetScanOptions): Promise<Map<number, RawCell>> {
  const handler = new WorksheetHandler('first-row', undefined, options);
  await runScan(zip, entry, handler, options.signal);
  return handler.firstRow;
}

/**
 * Streams a worksheet part and finds where values are, as openpyxl's read-only reader walks it
 * and pandas 1.5 then trims it (`_openpyxl.py`: trailing empty cells and rows dropped):
 *
 * - rows count by their `r` number (or the previous one + 1); a row numbered at or below an
 *   earlier one is skipped; rows missing in between are empty;
 * - cells by their reference's column (or the previous one + 1); only cells up to the row's
 *   last cell count, and a later cell replaces an earlier one in the same column;
 * - a cell holds a value when openpyxl gives something other than `None` and pandas something
 *   other than "": a non-empty `<v>`, except an empty shared string; for `inlineStr`, a
 *   non-empty `<is>`; for `t="d"`, a date (`<f>` formulas count by their cached value).
 *
 * Nothing per row is kept; the scan is a byte-level state machine (see `XmlScanner`).
 */
export async function scanWorksheet(
  zip: ZipArchive,
  entry: ZipEntry,
  sharedStrings: SharedStringIndex,
  options: WorksheetScanOptions,
): Promise<WorksheetShape> {
  const handler = new WorksheetHandler('full', sharedStrings, options);
  await runScan(zip, entry, handler, options.signal);
  return { lastRowWithValue: handler.lastRowWithValue, width: handler.width };
}

/**
 * {@link scanWorksheet} and {@link readFirstRow} on a part given as chunks, without a zip: the
 * scan's result must not depend on where chunks end.
 */
export function scanWorksheetChunks(
  chunks: Iterable<Buffer>,
  sharedStrings: SharedStringIndex,
  options: WorksheetScanOptions,
): WorksheetShape & { firstRow: Map<number, RawCell> } {
  const first = new WorksheetHandler('first-row', undefined, options);
  const full = new WorksheetHandler('full', sharedStrings, options);
  const scanners = [first, full].map((handler) => {
    const scanner = new XmlScanner(ELEMENTS, ATTRIBUTES, handler);
    handler.scanner = scanner;
    return scanner;
  });
  for (const chunk of chunks) for (const scanner of scanners) scanner.write(chunk);
  for (const scanner of scanners) scanner.end();
  return { lastRowWithValue: full.lastRowWithValue, width: full.width, firstRow: first.firstRow };
}

async function runScan(zip: ZipArchive, entry: ZipEntry, handler: WorksheetHandler, signal: AbortSignal): Promise<void> {
  const scanner = new XmlScanner(ELEMENTS, ATTRIBUTES, handler);
  handler.scanner = scanner;
  await zip.read(entry, signal, (chunk) => {
    scanner.write(chunk);
    return !scanner.isStopped;
  });
  scanner.end();
}

class WorksheetHandler implements XmlScanHandler {
  wantAttributes = true;
  wantText = false;
  /** On between the cells of a row in a full scan: see {@link skipAhead}. */
  fastPath = false;
  scanner: XmlScanner | undefined;
  readonly firstRow = new Map<number, RawCell>();
  lastRowWithValue = 0;
  width = 0;

  // The row being read.
  private rowDepth = 0;
  private rowNumber = 0;
  private nextRow = 1;
  private columnCounter = 0;
  private cellsInRow = 0;
  private lastCellColumn = 0;
  private rowValueMax = 0;
  private outOfOrder = false;
  /** The row's cells in order, `column` when it holds a value, else `-column`: for rows out of order. */
  private rowCells = new Int32Array(256);

  // The cell being read.
  private cellDepth = 0;
  private cellKind = CellKind.Plain;
  private cellType = 'n';
  private cellColumn = 0;
  private cellStyle = 0;
  private valuePart = Part.None;
  private valueDepth = 0;
  private valueLength = 0;
  private readonly value = new TextCapture(MAX_CELL_TEXT_BYTES, 'a cell');
  private inlinePart = Part.None;
  private inlineDepth = 0;
  private runDepth = 0;
  private textDepth = 0;
  private textLength = 0;
  private plainLength = 0;
  private runTextLength = 0;
  private runsLength = 0;
  private readonly inlineText = new TextCapture(MAX_CELL_TEXT_BYTES, 'a cell');
  private plainText = '';
  private runText = '';
  private runsText = '';

  constructor(
    private readonly mode: 'first-row' | 'full',
    private readonly sharedStrings: SharedStringIndex | undefined,
    private readonly options: WorksheetScanOptions,
  ) {}

  private get keepsText(): boolean {
    return this.mode === 'first-row';
  }

  open(name: number, depth: number): void {
    if (this.cellDepth === 0) {
      if (this.rowDepth === 0) {
        if (name === ROW) this.openRow(depth);
      } else if (depth === this.rowDepth + 1) {
        this.openCell(depth);
      }
      return;
    }
    if (depth === this.cellDepth + 1) {
      if (name === V && this.valuePart === Part.None && this.cellKind !== CellKind.Inline) {
        this.valuePart = Part.Open;
        this.valueDepth = depth;
        this.wantText = true;
      } else if (name === IS && this.inlinePart === Part.None && this.cellKind === CellKind.Inline) {
        this.inlinePart = Part.Open;
        this.inlineDepth = depth;
      }
    } else if (this.valuePart === Part.Open) {
      // ElementTree's `text` is what comes before the first child element.
      this.wantText = false;
    } else if (this.inlinePart === Part.Open) {
      if (this.textDepth !== 0) {
        this.wantText = false;
      } else if (depth === this.inlineDepth + 1 && name === T) {
        this.openText(depth);
      } else if (depth === this.inlineDepth + 1 && name === R && this.runDepth === 0) {
        this.runDepth = depth;
        this.runTextLength = 0;
        this.runText = '';
      } else if (this.runDepth !== 0 && depth === this.runDepth + 1 && name === T) {
        this.openText(depth);
      }
    }
  }

  close(_name: number, depth: number): void {
    if (this.cellDepth !== 0) {
      if (depth === this.cellDepth) this.closeCell();
      else if (this.valuePart === Part.Open && depth === this.valueDepth) {
        this.valuePart = Part.Done;
        this.wantText = false;
      } else if (this.inlinePart === Part.Open) {
        if (depth === this.textDepth) this.closeText();
        else if (depth === this.runDepth) {
          this.runsLength += this.runTextLength;
          if (this.keepsText) this.runsText += this.runText;
          this.runDepth = 0;
        } else if (depth === this.inlineDepth) this.inlinePart = Part.Done;
      }
      return;
    }
    if (this.rowDepth !== 0 && depth === this.rowDepth) this.closeRow();
  }

  text(bytes: Buffer, start: number, end: number): void {
    if (this.valuePart === Part.Open) {
      this.valueLength += end - start;
      // Plain cells only need to know whether `<v>` is empty; the rest need its text.
      if (this.keepsText || this.cellKind !== CellKind.Plain) this.value.append(bytes, start, end);
    } else if (this.textDepth !== 0) {
      this.textLength += end - start;
      if (this.keepsText) this.inlineText.append(bytes, start, end);
    }
  }

  private openRow(depth: number): void {
    const scanner = this.required();
    this.rowDepth = depth;
    const start = scanner.attributeValueStart(ATTRIBUTE_R);
    if (start < 0) this.rowNumber += 1;
    else {
      const end = scanner.attributeValueEnd(ATTRIBUTE_R);
      let parsed = asciiDigits(scanner.bytes, start, end);
      if (parsed < 0) {
        const text = decodeXmlAttribute(scanner.bytes.subarray(start, end));
        parsed = parseRowNumber(text) ?? Number.NaN;
        if (Number.isNaN(parsed)) throw this.invalid(`row number "${text.slice(0, 40)}"`);
      }
      this.rowNumber = parsed;
    }
    this.columnCounter = 0;
    this.cellsInRow = 0;
    this.lastCellColumn = 0;
    this.rowValueMax = 0;
    this.outOfOrder = false;
    if (this.keepsText) this.firstRow.clear();
    else this.fastPath = true;
  }

  private openCell(depth: number): void {
    const scanner = this.required();
    this.cellDepth = depth;
    this.wantAttributes = false;
    this.fastPath = false;
    const bytes = scanner.bytes;
    const typeStart = scanner.attributeValueStart(ATTRIBUTE_T);
    if (typeStart < 0) {
      this.cellKind = CellKind.Plain;
      this.cellType = 'n';
    } else {
      const typeEnd = scanner.attributeValueEnd(ATTRIBUTE_T);
      this.cellKind = cellKindOf(bytes, typeStart, typeEnd);
      // The type's text only matters for the header; the kind is all a full scan needs.
      if (this.keepsText) this.cellType = decodeXmlAttribute(bytes.subarray(typeStart, typeEnd));
    }
    const referenceStart = scanner.attributeValueStart(ATTRIBUTE_R);
    const referenceEnd = scanner.attributeValueEnd(ATTRIBUTE_R);
    if (referenceStart < 0 || referenceEnd === referenceStart) {
      this.cellColumn = this.columnCounter + 1;
    } else {
      let column = parseCellReference(bytes, referenceStart, referenceEnd);
      if (column === undefined) {
        const text = decodeXmlAttribute(bytes.subarray(referenceStart, referenceEnd));
        column = parseCellReference(Buffer.from(text));
        if (column === undefined) throw this.invalid(`cell reference "${text.slice(0, 40)}"`);
      }
      this.cellColumn = column;
    }
    this.columnCounter = this.cellColumn;
    this.cellStyle = 0;
    if (this.keepsText) {
      const style = scanner.rawAttribute(ATTRIBUTE_S);
      if (style !== undefined && style.length > 0) {
        const parsed = parsePythonInt(decodeXmlAttribute(style));
        if (parsed === undefined) throw this.invalid(`cell style "${decodeXmlAttribute(style).slice(0, 40)}"`);
        this.cellStyle = Number(parsed);
      }
    }
    this.valuePart = Part.None;
    this.valueLength = 0;
    this.value.clear();
    this.inlinePart = Part.None;
    this.runDepth = 0;
    this.textDepth = 0;
    this.plainLength = 0;
    this.runsLength = 0;
    this.plainText = '';
    this.runsText = '';
  }

  private openText(depth: number): void {
    this.textDepth = depth;
    this.textLength = 0;
    this.inlineText.clear();
    this.wantText = true;
  }

  /** Text.from_tree keeps the last `<t>` of `<is>` (and of each run). */
  private closeText(): void {
    const text = this.keepsText ? this.inlineText.text() : '';
    if (this.textDepth === this.inlineDepth + 1) {
      this.plainLength = this.textLength;
      this.plainText = text;
    } else {
      this.runTextLength = this.textLength;
      this.runText = text;
    }
    this.textDepth = 0;
    this.wantText = false;
  }

  private closeCell(): void {
    const column = this.cellColumn;
    this.cellDepth = 0;
    this.wantAttributes = true;
    this.wantText = false;
    if (this.keepsText) {
      this.cellsInRow += 1;
      // Beyond maxColumns a value fails the full scan; an empty cell there names no column.
      if (column <= this.options.maxColumns) this.firstRow.set(column, this.rawCell());
      else this.firstRow.delete(column);
      this.lastCellColumn = column;
    } else {
      this.fastPath = true;
      this.addCell(column, this.cellHasValue());
    }
  }

  /** Records a cell of the row being read (full scans). */
  private addCell(column: number, hasValue: boolean): void {
    const count = this.cellsInRow;
    this.cellsInRow = count + 1;
    if (column <= this.lastCellColumn) this.outOfOrder = true;
    if (count === this.rowCells.length) {
      if (count >= MAX_ROW_CELLS) throw this.invalid(`row: it has more than ${MAX_ROW_CELLS} cells`);
      const grown = new Int32Array(count * 2);
      grown.set(this.rowCells);
      this.rowCells = grown;
    }
    this.rowCells[count] = hasValue ? column : -column;
    if (hasValue && column > this.rowValueMax) this.rowValueMax = column;
    this.lastCellColumn = column;
    this.columnCounter = column;
  }

  /**
   * The fast path of full scans: consumes the cells of a row written the way spreadsheet
   * programs write them (`<c r="B2" s="1" t="s"><v>12</v></c>`, with `<f>` formulas, no
   * prefix, no entity) straight from the bytes, and stops at anything else, which the scanner
   * then reads in full. Both paths implement the same rules; this one only for the plain case.
   */
  skipAhead(bytes: Buffer, at: number): number {
    const n = bytes.length;
    let p = at;
    for (;;) {
      if (p + 3 >= n || bytes[p + 1] !== C) return p;
      let k = p + 2;
      const afterName = bytes[k];
      if (afterName !== SPACE && afterName !== GT && afterName !== SLASH) return p;
      let column = -1;
      let kind = -1;
      let empty = false;
      // Attributes: name="value" separated by single spaces; `r` is parsed as it is read.
      for (;;) {
        // Every read is inside the chunk: an out-of-bounds read would make V8 deoptimise the loop.
        if (k >= n) return p;
        let byte = bytes[k] ?? 0;
        if (byte === SPACE) {
          k += 1;
          continue;
        }
        if (byte === GT) {
          k += 1;
          break;
        }
        if (byte === SLASH) {
          if (k + 1 >= n || bytes[k + 1] !== GT) return p;
          k += 2;
          empty = true;
          break;
        }
        // Anything but a name start (a letter, `_`, `:`, non-ASCII) is left to the full scanner.
        if (!((byte >= 0x61 && byte <= 0x7a) || (byte >= 0x41 && byte <= 0x5a) || byte === 0x5f || byte === 0x3a || byte >= 0x80)) return p;
        // One-letter names (`r`, `s`, `t`) are the ones that matter; longer ones are skipped.
        if (k + 1 >= n) return p;
        const oneLetter = bytes[k + 1] === EQUALS ? byte : 0;
        if (oneLetter === 0) {
          k += 1;
          while (k < n && bytes[k] !== EQUALS) {
            const b = bytes[k];
            if (b === SPACE || b === GT || b === SLASH || b === LT || b === DQUOTE || b === SQUOTE) return p;
            k += 1;
          }
        } else {
          k += 1;
        }
        // k is at `=`.
        if (k + 2 >= n) return p;
        const quote = bytes[k + 1];
        if (quote !== DQUOTE && quote !== SQUOTE) return p;
        const valueStart = k + 2;
        k = valueStart;
        if (oneLetter === R_LETTER) {
          // An A1-style reference: letters, then a row number other than 0 (openpyxl's COORD_RE);
          // `$`, lower case, an empty value or anything else is left to the full scanner.
          let letters = 0;
          let value = 0;
          byte = k < n ? (bytes[k] ?? 0) : 0;
          while (byte >= 0x41 && byte <= 0x5a) {
            value = value * 26 + (byte - 0x40);
            letters += 1;
            k += 1;
            byte = k < n ? (bytes[k] ?? 0) : 0;
          }
          let nonZero = false;
          const digitsStart = k;
          while (byte >= 0x30 && byte <= 0x39) {
            if (byte !== 0x30) nonZero = true;
            k += 1;
            byte = k < n ? (bytes[k] ?? 0) : 0;
          }
          if (byte !== quote || letters === 0 || letters > 3 || k === digitsStart || !nonZero || value > MAX_REFERENCE_COLUMN) return p;
          column = value;
        } else {
          while (k < n) {
            const b = bytes[k];
            if (b === quote) break;
            if (b === LT || b === AMP) return p;
            k += 1;
          }
          if (k >= n) return p;
          if (oneLetter === T_LETTER) {
            const length = k - valueStart;
            if (length === 1) kind = bytes[valueStart] ?? 0;
            else kind = length === INLINE_STR.length && bytes.compare(INLINE_STR, 0, length, valueStart, k) === 0 ? INLINE : 0;
          }
        }
        k += 1;
        if (k >= n) return p;
        const next = bytes[k];
        if (next !== SPACE && next !== GT && next !== SLASH) return p;
      }
      // Content: <f> and <v> elements (and one plain <is> in an inline string), then </c>.
      let valueStart = -1;
      let valueEnd = -1;
      let inlineLength = -1;
      if (!empty) {
        for (;;) {
          if (k + 3 >= n || bytes[k] !== LT) return p;
          const first = bytes[k + 1];
          const second = bytes[k + 2];
          if (first === SLASH) {
            if (second !== C || bytes[k + 3] !== GT) return p;
            k += 4;
            break;
          }
          if (first === I_LETTER && second === S_LETTER && bytes[k + 3] === GT && kind === INLINE && inlineLength < 0) {
            const end = skipPlainInlineString(bytes, k + 4);
            if (end < 0) return p;
            inlineLength = plainInlineLength;
            k = end;
            continue;
          }
          if (first === V_LETTER && second === GT) {
            const start = k + 3;
            let end = start;
            while (end < n && bytes[end] !== LT) end += 1;
            if (end + 3 >= n || bytes[end + 1] !== SLASH || bytes[end + 2] !== V_LETTER || bytes[end + 3] !== GT) return p;
            if (valueStart < 0) {
              valueStart = start;
              valueEnd = end;
            }
            k = end + 4;
            continue;
          }
          if (first === F_LETTER && (second === GT || second === SPACE || second === SLASH)) {
            k = skipFormula(bytes, k);
            if (k < 0) return p;
            continue;
          }
          return p;
        }
      }
      // Whether the cell holds a value, by kind: `s` needs a non-empty shared string; `d` and
      // inline strings (and any text type that merely looks like one) go to the full scanner.
      let hasValue: boolean;
      if (kind === S_LETTER) {
        if (valueEnd > valueStart) {
          const index = asciiDigits(bytes, valueStart, valueEnd);
          if (index < 0) return p;
          hasValue = !this.sharedStrings?.isEmpty(index);
        } else {
          hasValue = false;
        }
      } else if (kind === INLINE) {
        // openpyxl ignores <v> here; an inline string without <is> has no value.
        hasValue = inlineLength > 0;
      } else if (kind === D_LETTER) {
        return p;
      } else {
        hasValue = valueEnd > valueStart;
      }
      this.addCell(column < 0 ? this.columnCounter + 1 : column, hasValue);
      p = k;
      if (p >= n) return p;
      if (bytes[p] !== LT) {
        let next = p;
        while (next < n && (bytes[next] === SPACE || bytes[next] === LF || bytes[next] === CR || bytes[next] === TAB)) next += 1;
        if (next >= n || bytes[next] !== LT) return p;
        p = next;
      }
    }
  }


  private rawCell(): RawCell {
    const inline = this.cellKind === CellKind.Inline && this.inlinePart !== Part.None ? this.plainText + this.runsText : undefined;
    const text = this.valueLength === 0 ? undefined : this.value.text();
    return { column: this.cellColumn, type: this.cellType, style: this.cellStyle, value: text === '' ? undefined : text, inline };
  }

  private cellHasValue(): boolean {
    switch (this.cellKind) {
      case CellKind.Inline:
        return this.inlinePart !== Part.None && this.plainLength + this.runsLength > 0;
      case CellKind.Plain:
        return this.valueLength > 0;
      case CellKind.Shared: {
        if (this.valueLength === 0) return false;
        let index = this.value.digits();
        if (index < 0) {
          const exact = parsePythonInt(this.value.text());
          if (exact === undefined) throw this.invalid('shared string number');
          index = Number(exact);
        }
        return !this.sharedStrings?.isEmpty(index);
      }
      case CellKind.Date:
        if (this.valueLength === 0) return false;
        try {
          openpyxlIsoValue(this.value.text());
        } catch (error) {
          if (error instanceof CellValueError) throw this.invalid('date');
          throw error;
        }
        return true;
    }
  }

  private closeRow(): void {
    this.rowDepth = 0;
    this.fastPath = false;
    const accepted = this.rowNumber >= this.nextRow;
    const valueMax = this.outOfOrder ? this.finalValueMax() : this.rowValueMax;
    // openpyxl yields rows in increasing order only: a row at or below an earlier one is skipped.
    if (!accepted) {
      if (this.keepsText) this.firstRow.clear();
      return;
    }
    this.nextRow = this.rowNumber + 1;
    if (this.keepsText) {
      if (this.rowNumber !== 1) this.firstRow.clear();
      for (const column of this.firstRow.keys()) if (column > this.lastCellColumn) this.firstRow.delete(column);
      this.required().stop();
      return;
    }
    if (valueMax === 0) return;
    this.lastRowWithValue = this.rowNumber;
    if (valueMax > this.width) {
      this.width = valueMax;
      if (valueMax > this.options.maxColumns) throw this.tooWide();
    }
  }

  /** For a row whose cells are out of order: the last cell bounds the row, later cells replace earlier ones. */
  private finalValueMax(): number {
    let max = 0;
    const seen = new Set<number>();
    for (let index = this.cellsInRow - 1; index >= 0; index -= 1) {
      const entry = this.rowCells[index] ?? 0;
      const column = Math.abs(entry);
      if (seen.has(column)) continue;
      seen.add(column);
      if (entry > 0 && column <= this.lastCellColumn && column > max) max = column;
    }
    return max;
  }

  private required(): XmlScanner {
    if (this.scanner === undefined) throw new Error('WorksheetHandler: no scanner');
    return this.scanner;
  }

  private invalid(what: string): Error {
    return new XmlScanError(`sheet "${this.options.sheetName}" has an invalid ${what} (row ${this.rowNumber})`);
  }

  private tooWide(): Error {
    const { fileName, sheetName, maxColumns } = this.options;
    return unreadableError(
      fileName,
      `sheet "${sheetName}" has ${this.width} or more columns; Assay reads tables with at most ${maxColumns}. Remove the columns you do not need and upload it again.`,
      { details: { limit: 'maxColumns', value: this.width, max: maxColumns } },
    );
  }
}

const INLINE_STR = Buffer.from('inlineStr');
/** The last column openpyxl knows (`ZZZ`). */
const MAX_REFERENCE_COLUMN = 18_278;
const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const EQUALS = 0x3d;
const DQUOTE = 0x22;
const SQUOTE = 0x27;
const AMP = 0x26;
const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const C = 0x63;
const V_LETTER = 0x76;
const F_LETTER = 0x66;
const I_LETTER = 0x69;
/** The fast path's kind for `t="inlineStr"` (other kinds are the type's single letter, or 0). */
const INLINE = -2;
const R_LETTER = 0x72;
const T_LETTER = 0x74;
const S_LETTER = 0x73;
const D_LETTER = 0x64;

/** Length of the text {@link skipPlainInlineString} found last (a module variable: no allocation per cell). */
let plainInlineLength = 0;

/**
 * Skips the rest of `<is>` from `at` (after `<is>`) when it is `<t>text</t></is>` or
 * `<t xml:space="preserve">text</t></is>`, noting the text's length; returns the index after
 * `</is>`, or -1 when it is anything else (rich text, phonetic runs, entities) or incomplete.
 */
function skipPlainInlineString(bytes: Buffer, at: number): number {
  const n = bytes.length;
  if (at + 3 >= n || bytes[at] !== LT || bytes[at + 1] !== T_LETTER) return -1;
  let k = at + 2;
  const afterName = bytes[k];
  if (afterName === SPACE) {
    let quote = 0;
    while (k < n) {
      const byte = bytes[k];
      if (quote !== 0) {
        if (byte === quote) quote = 0;
        else if (byte === LT || byte === AMP) return -1;
      } else if (byte === GT) break;
      else if (byte === DQUOTE || byte === SQUOTE) quote = byte;
      else if (byte === LT || byte === SLASH) return -1;
      k += 1;
    }
    if (k >= n) return -1;
  } else if (afterName !== GT) {
    return -1;
  }
  const start = k + 1;
  let end = start;
  while (end < n && bytes[end] !== LT) end += 1;
  if (end + 8 >= n) return -1;
  // </t></is>
  if (bytes[end + 1] !== SLASH || bytes[end + 2] !== T_LETTER || bytes[end + 3] !== GT) return -1;
  if (bytes[end + 4] !== LT || bytes[end + 5] !== SLASH || bytes[end + 6] !== I_LETTER || bytes[end + 7] !== S_LETTER || bytes[end + 8] !== GT) return -1;
  plainInlineLength = end - start;
  return end + 9;
}

/**
 * Skips an `<f>` element at `at` (`<f .../>` or `<f ...>text</f>`, no child element);
 * returns the index after it, or -1 when it is anything else or incomplete.
 */
function skipFormula(bytes: Buffer, at: number): number {
  const n = bytes.length;
  let k = at + 2;
  let quote = 0;
  while (k < n) {
    const byte = bytes[k];
    if (quote !== 0) {
      if (byte === quote) quote = 0;
      else if (byte === LT || byte === AMP) return -1;
    } else if (byte === GT) break;
    else if (byte === DQUOTE || byte === SQUOTE) quote = byte;
    else if (byte === LT) return -1;
    k += 1;
  }
  if (k >= n) return -1;
  if (bytes[k - 1] === SLASH) return k + 1;
  k += 1;
  while (k < n && bytes[k] !== LT) k += 1;
  if (k + 3 >= n || bytes[k + 1] !== SLASH || bytes[k + 2] !== F_LETTER || bytes[k + 3] !== GT) return -1;
  return k + 4;
}

function cellKindOf(bytes: Buffer, start: number, end: number): CellKind {
  const length = end - start;
  if (length === 1) {
    if (bytes[start] === 0x73) return CellKind.Shared;
    if (bytes[start] === 0x64) return CellKind.Date;
    return CellKind.Plain;
  }
  if (length === INLINE_STR.length && bytes.compare(INLINE_STR, 0, length, start, end) === 0) return CellKind.Inline;
  if (bytes.subarray(start, end).includes(0x26)) {
    const decoded = Buffer.from(decodeXmlAttribute(bytes.subarray(start, end)));
    return cellKindOf(decoded, 0, decoded.length);
  }
  return CellKind.Plain;
}

