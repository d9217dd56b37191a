import type { HeaderCell } from '../pandas-headers';
import { excelSerialText, isoDateText, pythonNumberText } from '../python-text';

/** One `<c>` element of a worksheet, as read from the XML. */
export interface RawCell {
  /** 1-based column. */
  column: number;
  /** The `t` attribute: `n` (default), `s`, `str`, `inlineStr`, `b`, `e`, `d`. */
  type: string;
  /** The `s` attribute (cell style index). */
  style: number;
  /** Text of `<v>`; undefined when absent or empty (openpyxl: `findtext(...) or None`). */
  value: string | undefined;
  /** Text of `<is>` (inline string, formatting dropped); undefined without one. */
  inline: string | undefined;
}

/** What a cell's conversion needs to know about the workbook. */
export interface CellContext {
  /** Style indexes whose number format is a date. */
  dateStyles: ReadonlySet<number>;
  date1904: boolean;
  /** Whether shared string `index` is the empty string. */
  isSharedStringEmpty: (index: number) => boolean;
  /** Text of shared string `index` (only asked for header cells). */
  sharedString: (index: number) => string | undefined;
}

const EMPTY: HeaderCell = { empty: true };
/** Error cells (and dates out of range) are `np.nan` in pandas; all NaNs are one dict key there. */
const NAN: HeaderCell = { empty: false, key: 'nan', text: 'nan' };

function sharedIndex(cell: RawCell): number {
  return Number(cell.value);
}

/**
 * Whether pandas sees a value in the cell: openpyxl's read-only parser (`data_only=True`) gives
 * `None` for a missing or empty `<v>` and for an inline string without `<is>`; pandas's
 * `_convert_cell` turns `None` into `""`, and `""` (also an empty shared string) is empty.
 */
export function cellHasValue(cell: RawCell, context: CellContext): boolean {
  if (cell.type === 'inlineStr') return cell.inline !== undefined && cell.inline !== '';
  if (cell.value === undefined) return false;
  if (cell.type === 's') return !context.isSharedStringEmpty(sharedIndex(cell));
  if (cell.type === 'd') return isoDateText(cell.value) !== undefined;
  return true;
}

/**
 * The header cell pandas builds from a worksheet cell: openpyxl's value (dates from date
 * formats, booleans, shared strings, formulas' cached values), then pandas's `_convert_cell`
 * (`convert_float`: integral numbers become `int`; errors become NaN).
 */
export function openpyxlHeaderCell(cell: RawCell, context: CellContext): HeaderCell {
  if (!cellHasValue(cell, context)) return EMPTY;
  const value = cell.value ?? '';
  switch (cell.type) {
    case 'inlineStr':
      return stringCell(cell.inline ?? '');
    case 's':
      return stringCell(context.sharedString(sharedIndex(cell)) ?? '');
    case 'str':
      return stringCell(value);
    case 'b': {
      const truth = Number(value) !== 0;
      // Python: True == 1 and False == 0 as dict keys.
      return { empty: false, key: truth ? 'n:1' : 'n:0', text: truth ? 'True' : 'False' };
    }
    case 'e':
      return NAN;
    case 'd': {
      const text = isoDateText(value) ?? '';
      return { empty: false, key: `d:${text}`, text };
    }
    case 'n':
      return numberCell(value, cell.style, context);
    default:
      return stringCell(value);
  }
}

function stringCell(text: string): HeaderCell {
  return text === '' ? EMPTY : { empty: false, key: `s:${text}`, text };
}

/** openpyxl's `_cast_number` (int unless the text has `.`/`e`), dates by style, then pandas's int conversion. */
function numberCell(text: string, style: number, context: CellContext): HeaderCell {
  const isInteger = !/[.eE]/.test(text);
  const number = Number(text);
  if (context.dateStyles.has(style)) {
    const date = excelSerialText(number, context.date1904);
    return date === undefined ? NAN : { empty: false, key: `d:${date}`, text: date };
  }
  if (isInteger && /^[+-]?\d+$/.test(text.trim())) {
    const exact = BigInt(text.trim()).toString();
    return { empty: false, key: `n:${exact}`, text: exact };
  }
  if (Number.isNaN(number)) return NAN;
  const printed = pythonNumberText(number);
  // An integral float equals the int of the same value in Python; key both by the exact digits.
  return { empty: false, key: `n:${Number.isInteger(number) ? BigInt(number).toString() : String(number)}`, text: printed };
}
