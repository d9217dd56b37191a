import { pythonFloatRepr } from './python-text';

/**
 * The Python type of a header value, as far as pandas's column Index cares: once named, the
 * labels become an `Index`, whose dtype is inferred from them (`[1, 1.5]` becomes a
 * `Float64Index` printed `1.0, 1.5`; `[datetime, nan]` a `DatetimeIndex` printed with `NaT`).
 *
 * - `str`: text (CSV fields, spreadsheet strings); `other`: bool, date, time, timedelta, which
 *   always leave the Index as `object`.
 * - `int`: a Python int, exactly; `float`: a Python float, `NaN` included (error cells).
 * - `datetime`: a naive `datetime.datetime`; `inTimestampRange` when `pd.Timestamp` can hold it.
 */
export type LabelType =
  | { type: 'str' }
  | { type: 'other' }
  | { type: 'int'; value: bigint }
  | { type: 'float'; value: number }
  | { type: 'datetime'; inTimestampRange: boolean };

/**
 * One cell of a header row as pandas sees it before naming columns.
 *
 * `key` stands for the Python value's equality (pandas de-duplicates with a dict keyed by the
 * raw values, so `1`, `1.0` and `True` collide while `1` and `'1'` do not); `text` is `str()`
 * of the value, which is what the column is called once printed; `label` is its Python type.
 */
export type HeaderCell = { empty: true } | { empty: false; key: string; text: string; label: LabelType };

const STR: LabelType = { type: 'str' };

/** A header cell holding a string (CSV fields are always strings). */
export function stringCell(value: string): HeaderCell {
  return value === '' ? { empty: true } : { empty: false, key: `s:${value}`, text: value, label: STR };
}

/**
 * Column names as pandas 1.5 builds them from a header row (`header=0`, `mangle_dupe_cols=True`),
 * both in the C parser (`read_csv`) and the Python parser used by `read_excel`:
 * an empty cell at position i is named `Unnamed: i`; duplicates get `.1`, `.2`, ... suffixes,
 * named columns first and unnamed ones after, skipping suffixed names that already exist
 * (`a,a,a.1` -> `a, a.2, a.1`). Each name is then printed as the column Index holds it (see
 * {@link LabelType}); for CSV, whose labels are all strings, that changes nothing.
 */
export function pandasColumnNames(cells: readonly HeaderCell[]): string[] {
  const keys: string[] = [];
  const texts: string[] = [];
  const labels: LabelType[] = [];
  const unnamed: number[] = [];
  cells.forEach((cell, index) => {
    if (cell.empty) {
      const name = `Unnamed: ${index}`;
      keys.push(`s:${name}`);
      texts.push(name);
      labels.push(STR);
      unnamed.push(index);
    } else {
      keys.push(cell.key);
      texts.push(cell.text);
      labels.push(cell.label);
    }
  });

  // pandas tests `col in this_columns` against the list as renamed so far: keep a multiset of it.
  const present = new Map<string, number>();
  for (const key of keys) present.set(key, (present.get(key) ?? 0) + 1);
  const counts = new Map<string, number>();
  const unnamedSet = new Set(unnamed);
  const order = [...keys.keys()].filter((index) => !unnamedSet.has(index)).concat(unnamed);
  for (const index of order) {
    const oldKey = keys[index];
    const oldText = texts[index];
    if (oldKey === undefined || oldText === undefined) continue;
    let key = oldKey;
    let text = oldText;
    let count = counts.get(oldKey) ?? 0;
    if (count > 0) {
      while (count > 0) {
        counts.set(oldKey, count + 1);
        text = `${oldText}.${count}`;
        key = `s:${text}`;
        if ((present.get(key) ?? 0) > 0) count += 1;
        else count = counts.get(key) ?? 0;
      }
    }
    if (key !== oldKey) {
      present.set(oldKey, (present.get(oldKey) ?? 1) - 1);
      present.set(key, (present.get(key) ?? 0) + 1);
      // A suffixed name is a string, whatever the value it came from.
      labels[index] = STR;
    }
    keys[index] = key;
    texts[index] = text;
    counts.set(key, count + 1);
  }
  return printedAsIndex(texts, labels);
}

/**
 * Column names as `read_excel` (openpyxl or xlrd, through pandas's Python parser) builds them:
 * the parser first strips a byte order mark from the first cell of the first row, as if the
 * sheet were a text file (`PythonParser._check_for_bom`), then names columns like
 * {@link pandasColumnNames}.
 *
 * @throws Error when that cell is a BOM, a quote and no closing quote (pandas raises too)
 */
export function excelColumnNames(cells: readonly HeaderCell[]): string[] {
  const first = cells[0];
  if (first === undefined || first.empty || first.label.type !== 'str' || !first.text.startsWith('\ufeff')) return pandasColumnNames(cells);
  return pandasColumnNames([stringCell(withoutBom(first.text)), ...cells.slice(1)]);
}

/** `_check_for_bom` on one string: drop the BOM, and a quoted part's quotes right after it. */
function withoutBom(text: string): string {
  if (text.length > 1 && text[1] === '"') {
    const end = text.indexOf('"', 2);
    if (end === -1) throw new Error('the first header cell starts with a byte order mark and an unclosed quote');
    return text.slice(2, end) + text.slice(end + 1);
  }
  return text.slice(1);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/**
 * `str()` of each label once pandas made an Index of them (`lib.maybe_convert_objects`):
 * ints and floats (NaN included) together become float64 when the ints fit one numpy integer
 * type; datetimes with NaNs become datetime64 when pandas's Timestamp can hold them all. Any
 * other mix stays `object`, where each label prints as itself.
 */
function printedAsIndex(texts: string[], labels: readonly LabelType[]): string[] {
  let ints = 0;
  let floats = 0;
  let nans = 0;
  let datetimes = 0;
  let datetimesInRange = true;
  let negative = false;
  let aboveInt64 = false;
  let outOfRange = false;
  for (const label of labels) {
    switch (label.type) {
      case 'int':
        ints += 1;
        if (label.value < 0n) negative = true;
        if (label.value > INT64_MAX) aboveInt64 = true;
        if (label.value < INT64_MIN || label.value > UINT64_MAX) outOfRange = true;
        break;
      case 'float':
        if (Number.isNaN(label.value)) nans += 1;
        else floats += 1;
        break;
      case 'datetime':
        datetimes += 1;
        if (!label.inTimestampRange) datetimesInRange = false;
        break;
      default:
        return texts;
    }
  }
  const numeric = datetimes === 0 && floats + nans > 0 && !outOfRange && !(negative && aboveInt64);
  if (numeric) {
    return labels.map((label, index) => {
      if (label.type === 'int') return pythonFloatRepr(Number(label.value));
      if (label.type === 'float') return pythonFloatRepr(label.value);
      return texts[index] ?? '';
    });
  }
  if (datetimes > 0 && datetimesInRange && ints === 0 && floats === 0) {
    return labels.map((label, index) => (label.type === 'float' ? 'NaT' : (texts[index] ?? '')));
  }
  return texts;
}

/** `pd.Timestamp.min` / `max` at the microsecond precision of a `datetime`, as `str()` prints it. */
const TIMESTAMP_MIN_TEXT = '1677-09-21 00:12:43.145225';
const TIMESTAMP_MAX_TEXT = '2262-04-11 23:47:16.854775';

/**
 * Whether pandas's Timestamp (nanoseconds in an int64) can hold the `datetime` printed as
 * `text` (`YYYY-MM-DD HH:MM:SS[.ffffff]`); such texts sort as the instants they print.
 */
export function datetimeTextInTimestampRange(text: string): boolean {
  return text >= TIMESTAMP_MIN_TEXT && text <= TIMESTAMP_MAX_TEXT;
}
