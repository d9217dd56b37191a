/**
 * Python's `int()` and `float()` on text, which openpyxl applies to cell values, row numbers
 * and style indexes: surrounding whitespace is allowed, and `_` between digits (`1_000`).
 * Texts Python refuses give `undefined` (openpyxl, and pandas with it, raise there).
 */
const INT_TEXT = /^[+-]?\d+(?:_\d+)*$/;
const FLOAT_TEXT = /^[+-]?(?:\d+(?:_\d+)*(?:\.(?:\d+(?:_\d+)*)?)?|\.\d+(?:_\d+)*)(?:[eE][+-]?\d+(?:_\d+)*)?$/;
const FLOAT_SPECIAL = /^[+-]?(?:inf|infinity|nan)$/i;

/** `int(text)`, exactly. */
export function parsePythonInt(text: string): bigint | undefined {
  const trimmed = text.trim();
  if (!INT_TEXT.test(trimmed)) return undefined;
  return BigInt(trimmed.replace(/_/g, ''));
}

/** `float(text)`. */
export function parsePythonFloat(text: string): number | undefined {
  const trimmed = text.trim();
  if (FLOAT_SPECIAL.test(trimmed)) {
    if (/nan/i.test(trimmed)) return Number.NaN;
    return trimmed.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (!FLOAT_TEXT.test(trimmed)) return undefined;
  return Number(trimmed.replace(/_/g, ''));
}

/**
 * openpyxl's row number (`parse_row`): `int(r)`, else `float(r)` when that is integral.
 * `undefined` where openpyxl raises.
 */
export function parseRowNumber(text: string): number | undefined {
  const exact = parsePythonInt(text);
  if (exact !== undefined) return Number(exact);
  const value = parsePythonFloat(text);
  return value !== undefined && Number.isInteger(value) ? value : undefined;
}

/**
 * The number written as 1 to 15 ASCII digits in `bytes[start, end)`, else -1: the fast path
 * for row numbers and shared string indexes as every spreadsheet program writes them.
 */
export function asciiDigits(bytes: Uint8Array, start: number, end: number): number {
  if (end <= start || end - start > 15) return -1;
  let value = 0;
  for (let k = start; k < end; k += 1) {
    const digit = (bytes[k] ?? 0) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** Columns openpyxl knows (`A`..`ZZZ`); a reference beyond fails there. */
const MAX_COLUMN = 18_278;

/**
 * The 1-based column of an A1-style cell reference as openpyxl reads it (`COORD_RE`:
 * optional `$`, one to three letters, optional `$`, a row number other than 0), or
 * `undefined` where openpyxl raises.
 */
export function parseCellReference(bytes: Uint8Array, start = 0, end = bytes.length): number | undefined {
  let k = start;
  const n = end;
  if (k < n && bytes[k] === 0x24) k += 1;
  let column = 0;
  let letters = 0;
  while (k < n) {
    const byte = bytes[k] ?? 0;
    const upper = byte & 0xdf;
    if (upper < 0x41 || upper > 0x5a) break;
    column = column * 26 + (upper - 0x40);
    letters += 1;
    k += 1;
  }
  if (letters === 0 || letters > 3 || column > MAX_COLUMN) return undefined;
  if (k < n && bytes[k] === 0x24) k += 1;
  let digits = 0;
  let nonZero = false;
  while (k < n) {
    const byte = bytes[k] ?? 0;
    if (byte < 0x30 || byte > 0x39) return undefined;
    if (byte !== 0x30) nonZero = true;
    digits += 1;
    k += 1;
  }
  return digits > 0 && nonZero ? column : undefined;
}
