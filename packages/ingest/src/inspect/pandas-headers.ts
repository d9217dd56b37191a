/**
 * One cell of a header row as pandas sees it before naming columns.
 *
 * `key` stands for the Python value's equality (pandas de-duplicates with a dict keyed by the
 * raw values, so `1`, `1.0` and `True` collide while `1` and `'1'` do not); `text` is `str()`
 * of the value, which is what the column is called once printed.
 */
export type HeaderCell = { empty: true } | { empty: false; key: string; text: string };

/** A header cell holding a string (CSV fields are always strings). */
export function stringCell(value: string): HeaderCell {
  return value === '' ? { empty: true } : { empty: false, key: `s:${value}`, text: value };
}

/**
 * Column names as pandas 1.5 builds them from a header row (`header=0`, `mangle_dupe_cols=True`),
 * both in the C parser (`read_csv`) and the Python parser used by `read_excel`:
 * an empty cell at position i is named `Unnamed: i`; duplicates get `.1`, `.2`, ... suffixes,
 * named columns first and unnamed ones after, skipping suffixed names that already exist
 * (`a,a,a.1` -> `a, a.2, a.1`).
 */
export function pandasColumnNames(cells: readonly HeaderCell[]): string[] {
  const keys: string[] = [];
  const texts: string[] = [];
  const unnamed: number[] = [];
  cells.forEach((cell, index) => {
    if (cell.empty) {
      const name = `Unnamed: ${index}`;
      keys.push(`s:${name}`);
      texts.push(name);
      unnamed.push(index);
    } else {
      keys.push(cell.key);
      texts.push(cell.text);
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
    }
    keys[index] = key;
    texts[index] = text;
    counts.set(key, count + 1);
  }
  return texts;
}
