/**
 * `str()` of the Python value pandas holds for a spreadsheet number after its `convert_float`
 * step: integral values become `int` (printed in full, `1e20` -> `100000000000000000000`),
 * others stay `float` (printed with Python's shortest repr, `1e-07`, `0.1`, `1e+16`).
 */
export function pythonNumberText(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (Number.isInteger(value)) return BigInt(value).toString();
  return pythonFloatRepr(value);
}

/** Python's `repr(float)`: shortest round-trip digits, scientific below 1e-4 and from 1e16. */
export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const sign = value < 0 ? '-' : '';
  // toExponential() without an argument gives the shortest digits that round-trip, as repr does.
  const match = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(Math.abs(value).toExponential());
  if (match === null) return String(value);
  const digits = `${match[1] ?? ''}${match[2] ?? ''}`;
  const exponent = Number(match[3]);
  if (exponent < -4 || exponent >= 16) {
    const mantissa = digits.length > 1 ? `${digits[0] ?? ''}.${digits.slice(1)}` : digits;
    const exponentText = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${mantissa}e${exponent < 0 ? '-' : '+'}${exponentText}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const integer = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1);
  return `${sign}${integer}.${fraction === '' ? '0' : fraction}`;
}

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** Python's `round()` on a float: halves go to the even neighbour. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const difference = value - floor;
  if (difference > 0.5) return floor + 1;
  if (difference < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

const MS_PER_DAY = 86_400_000;
/** openpyxl's WINDOWS_EPOCH (1899-12-30) and MAC_EPOCH (1904-01-01), in Unix milliseconds. */
const WINDOWS_EPOCH_MS = Date.UTC(1899, 11, 30);
const MAC_EPOCH_MS = Date.UTC(1904, 0, 1);
/** Python's datetime range. */
const MIN_DATETIME_MS = new Date(Date.UTC(2000, 0, 1)).setUTCFullYear(1);
const MAX_DATETIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** `str()` of a `datetime.time`: `03:04:05`, `03:04:05.250000`. */
function timeText(hours: number, minutes: number, seconds: number, micros: number): string {
  return `${pad(hours)}:${pad(minutes)}:${pad(seconds)}${micros === 0 ? '' : `.${pad(micros, 6)}`}`;
}

/** `str()` of a `datetime.datetime` given as a UTC date. */
function datetimeText(date: Date): string {
  const day = `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
  return `${day} ${timeText(date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds(), date.getUTCMilliseconds() * 1000)}`;
}

/**
 * `str()` of what openpyxl's `from_excel(serial, epoch)` returns for a date-formatted cell: a
 * `time` for serials in [0, 1), else a `datetime` (with the 1900 leap-year bug correction for
 * serials below 60). `undefined` when Python would raise (date out of range): openpyxl then
 * makes the cell an error, which pandas reads as NaN.
 */
export function excelSerialText(serial: number, date1904: boolean): string | undefined {
  if (!Number.isFinite(serial)) return undefined;
  let day = Math.floor(serial);
  const fraction = serial - day;
  // Same operation order as openpyxl: fraction * SECS_PER_DAY * 1000.
  const ms = roundHalfEven(fraction * 86_400 * 1000);
  if (serial >= 0 && serial < 1 && ms < MS_PER_DAY) {
    const totalSeconds = Math.floor(ms / 1000);
    return timeText(Math.floor(totalSeconds / 3600), Math.floor((totalSeconds % 3600) / 60), totalSeconds % 60, (ms % 1000) * 1000);
  }
  if (!date1904 && serial > 0 && serial < 60) day += 1;
  const instant = (date1904 ? MAC_EPOCH_MS : WINDOWS_EPOCH_MS) + day * MS_PER_DAY + ms;
  if (!Number.isFinite(instant) || instant < MIN_DATETIME_MS || instant > MAX_DATETIME_MS) return undefined;
  return datetimeText(new Date(instant));
}

/** openpyxl's ISO_REGEX, matched at the start only (Python `re.match`), milliseconds at most. */
const ISO_8601 = /^(?:(\d{4})-(\d{2})-(\d{2}))?T?(?:(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?)?/;

/**
 * `str()` of what openpyxl's `from_ISO8601` makes of a `t="d"` cell: a date, a time or a
 * datetime. `undefined` when nothing matches (openpyxl then has no value: an empty cell).
 */
export function isoDateText(text: string): string | undefined {
  const match = ISO_8601.exec(text);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second, fraction] = match;
  if (year === undefined && hour === undefined) return undefined;
  // int(float(".123") * 1_000_000), as openpyxl computes it.
  const micros = fraction === undefined ? 0 : Math.trunc(Number(fraction) * 1_000_000);
  const time = hour === undefined ? undefined : timeText(Number(hour), Number(minute), Number(second ?? '0'), micros);
  if (year === undefined) return time;
  const date = `${year}-${month ?? ''}-${day ?? ''}`;
  return time === undefined ? date : `${date} ${time}`;
}
