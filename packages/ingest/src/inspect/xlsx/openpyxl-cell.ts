import { datetimeTextInTimestampRange, type HeaderCell, type LabelType } from '../pandas-headers';
import { excelSerialText, pythonNumberText } from '../python-text';
import type { DateStyles } from './number-formats';
import { parsePythonFloat, parsePythonInt } from './python-numbers';

/** One cell of a sheet's first row, as read from the XML (kept to build the header). */
export interface RawCell {
  /** 1-based column. */
  column: number;
  /** The `t` attribute: `n` (default), `s`, `str`, `inlineStr`, `b`, `e`, `d`, or anything a writer put there. */
  type: string;
  /** The `s` attribute (cell style index). */
  style: number;
  /** Text of the first `<v>`; undefined when absent or empty (openpyxl: `findtext(...) or None`). */
  value: string | undefined;
  /** Text of the first `<is>` (plain text, then rich text runs); undefined without one. */
  inline: string | undefined;
}

/** What a header cell's conversion needs to know about the workbook. */
export interface CellContext {
  /** Style indexes whose number format is a date. */
  dateStyles: DateStyles;
  date1904: boolean;
  /** Text of shared string `index` as Python indexes the table (negative from the end). */
  sharedString: (index: bigint) => string;
}

/** A cell's value is beyond what openpyxl or pandas accept: pandas would raise on this workbook. */
export class CellValueError extends Error {
  override name = 'CellValueError';
}

const EMPTY: HeaderCell = { empty: true };
/** Error cells (and dates out of range) are `np.nan` in pandas; all NaNs are one dict key there. */
const NAN: HeaderCell = { empty: false, key: 'nan', text: 'nan', label: { type: 'float', value: Number.NaN } };
const STR: LabelType = { type: 'str' };
const OTHER: LabelType = { type: 'other' };

/**
 * The header cell pandas builds from a worksheet cell: openpyxl's value (read-only,
 * `data_only=True`: dates from date formats, booleans, shared strings, formulas' cached values),
 * then pandas's `_convert_cell` (`None` is "", errors are NaN, integral numbers become `int`).
 *
 * @throws CellValueError for values openpyxl or pandas raise on (`t="n"` holding text, ...)
 */
export function openpyxlHeaderCell(cell: RawCell, context: CellContext): HeaderCell {
  if (cell.type === 'inlineStr') return stringCell(cell.inline ?? '');
  const value = cell.value;
  if (value === undefined) return EMPTY;
  switch (cell.type) {
    case 's':
      return stringCell(context.sharedString(pythonInt(value)));
    case 'b': {
      const truth = pythonInt(value) !== 0n;
      // Python: True == 1 and False == 0 as dict keys.
      return { empty: false, key: truth ? 'n:1' : 'n:0', text: truth ? 'True' : 'False', label: OTHER };
    }
    case 'e':
      return NAN;
    case 'd':
      return isoCell(openpyxlIsoValue(value));
    case 'n':
      return numberCell(value, cell.style, context);
    default:
      // `str` (a formula's text result) and types openpyxl does not know keep the text.
      return stringCell(value);
  }
}

function stringCell(text: string): HeaderCell {
  return text === '' ? EMPTY : { empty: false, key: `s:${text}`, text, label: STR };
}

function pythonInt(text: string): bigint {
  const value = parsePythonInt(text);
  if (value === undefined) throw new CellValueError(`a cell holds "${text.slice(0, 40)}" where Excel writes a whole number`);
  return value;
}

/** An int as pandas holds it: keyed and printed by its exact digits. */
function intCell(value: bigint): HeaderCell {
  const digits = value.toString();
  return { empty: false, key: `n:${digits}`, text: digits, label: { type: 'int', value } };
}

/** openpyxl's `_cast_number` (int unless the text has `.`/`e`), dates by style, then pandas's int conversion. */
function numberCell(text: string, style: number, context: CellContext): HeaderCell {
  const isFloat = /[.eE]/.test(text);
  let number: number;
  if (isFloat) {
    const parsed = parsePythonFloat(text);
    if (parsed === undefined) throw new CellValueError(`a number cell holds "${text.slice(0, 40)}"`);
    number = parsed;
  } else {
    const exact = pythonInt(text);
    if (!context.dateStyles.has(style)) return intCell(exact);
    number = Number(exact);
  }
  if (context.dateStyles.has(style)) {
    const date = excelSerialText(number, context.date1904);
    if (date === undefined) return NAN;
    return isoCell(date.includes(' ') ? { kind: 'datetime', text: date } : { kind: 'time', text: date });
  }
  // pandas: `int(value)` raises for inf and NaN.
  if (!Number.isFinite(number)) throw new CellValueError(`a number cell holds "${text.slice(0, 40)}", which pandas cannot convert`);
  if (Number.isInteger(number)) return intCell(BigInt(number));
  return { empty: false, key: `n:${String(number)}`, text: pythonNumberText(number), label: { type: 'float', value: number } };
}

/** A value `from_ISO8601` (or `from_excel`) returns, by Python type, with its `str()`. */
export interface IsoValue {
  kind: 'datetime' | 'date' | 'time' | 'timedelta';
  text: string;
}

function isoCell(value: IsoValue): HeaderCell {
  const label: LabelType = value.kind === 'datetime' ? { type: 'datetime', inTimestampRange: datetimeTextInTimestampRange(value.text) } : OTHER;
  return { empty: false, key: `${value.kind}:${value.text}`, text: value.text, label };
}

/** openpyxl's ISO_REGEX, matched at the start only (Python `re.match`), milliseconds at most. */
const ISO_8601 = /^(?:(\d{4})-(\d{2})-(\d{2}))?T?(?:(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?)?/;
/** openpyxl's ISO_DURATION. */
const ISO_DURATION = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d{1,3})?)S)?/;

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

function timeText(hours: number, minutes: number, seconds: number, micros: number): string {
  return `${pad(hours)}:${pad(minutes)}:${pad(seconds)}${micros === 0 ? '' : `.${pad(micros, 6)}`}`;
}

/**
 * What openpyxl's `from_ISO8601` makes of a `t="d"` cell's text: a datetime, date or time from
 * an ISO 8601 text, or a timedelta from `PT..H..M..S`.
 *
 * @throws CellValueError where Python raises (no match, month 13, hour 24, ...)
 */
export function openpyxlIsoValue(text: string): IsoValue {
  const match = ISO_8601.exec(text);
  const [, year, month, day, hour, minute, second, fraction] = match ?? [];
  if (year !== undefined || hour !== undefined) {
    // int(float(".123") * 1_000_000), as openpyxl computes it.
    const micros = fraction === undefined ? 0 : Math.trunc(Number(fraction) * 1_000_000);
    let time: string | undefined;
    if (hour !== undefined) {
      const [h, m, s] = [Number(hour), Number(minute), Number(second ?? '0')];
      if (h > 23 || m > 59 || s > 59) throw new CellValueError(`a date cell holds "${text.slice(0, 40)}", which is no time of day`);
      time = timeText(h, m, s, micros);
    }
    if (year === undefined) return { kind: 'time', text: time ?? '' };
    const [y, mo, d] = [Number(year), Number(month), Number(day)];
    const probe = new Date(Date.UTC(2000, mo - 1, d));
    probe.setUTCFullYear(y);
    if (y < 1 || probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d) {
      throw new CellValueError(`a date cell holds "${text.slice(0, 40)}", which is no date`);
    }
    const date = `${year}-${month ?? ''}-${day ?? ''}`;
    return time === undefined ? { kind: 'date', text: date } : { kind: 'datetime', text: `${date} ${time}` };
  }
  const duration = ISO_DURATION.exec(text);
  if (duration !== null && (duration[1] !== undefined || duration[2] !== undefined || duration[3] !== undefined)) {
    const seconds = Number(duration[1] ?? '0') * 3600 + Number(duration[2] ?? '0') * 60 + Number(duration[3] ?? '0');
    return { kind: 'timedelta', text: timedeltaText(seconds) };
  }
  throw new CellValueError(`a date cell holds "${text.slice(0, 40)}", which is no ISO 8601 date`);
}

/** `str()` of a non-negative `datetime.timedelta` of `seconds` (microsecond precision). */
function timedeltaText(seconds: number): string {
  const micros = Math.round(seconds * 1_000_000);
  const days = Math.floor(micros / 86_400_000_000);
  const rest = micros - days * 86_400_000_000;
  const totalSeconds = Math.floor(rest / 1_000_000);
  const fraction = rest % 1_000_000;
  const clock = `${Math.floor(totalSeconds / 3600)}:${pad(Math.floor((totalSeconds % 3600) / 60))}:${pad(totalSeconds % 60)}${fraction === 0 ? '' : `.${pad(fraction, 6)}`}`;
  return days === 0 ? clock : `${days} day${days === 1 ? '' : 's'}, ${clock}`;
}
