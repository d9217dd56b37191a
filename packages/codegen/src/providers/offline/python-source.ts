/**
 * Helpers that write Python source text safely from untrusted names (file, sheet, column names
 * chosen by whoever made the file).
 */

/**
 * A Python string literal for `value`. JSON string syntax is a subset of Python's: the escapes
 * JSON.stringify emits (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, `\uXXXX`) mean the same in a
 * Python `"..."` literal, and it never emits a raw line break.
 */
export function pythonString(value: string): string {
  return JSON.stringify(value);
}

/** Longest part of a variable name taken from one file or sheet name. */
const MAX_NAME_PART_CHARS = 30;

/**
 * A lower-case ASCII identifier part from a human name: accents dropped, every run of other
 * characters turned into one underscore, cut to {@link MAX_NAME_PART_CHARS}. Empty when nothing
 * usable is left.
 */
export function identifierPart(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, MAX_NAME_PART_CHARS)
    .replace(/_+$/g, '');
}

/** The file name without its last extension (`sales.2024.csv` -> `sales.2024`). */
export function fileStem(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return dot > 0 ? fileName.slice(0, dot) : fileName;
}

/**
 * Hands out distinct variable names in call order: the first request for a name gets it, later
 * ones get `_2`, `_3`, ... Every name starts with `df_`, so it is a valid Python identifier and
 * never a keyword or builtin.
 */
export class VariableNamer {
  readonly #taken = new Set<string>();

  take(parts: string[]): string {
    const base = ['df', ...parts.filter((part) => part.length > 0)].join('_');
    let name = base === 'df' ? 'df_data' : base;
    for (let suffix = 2; this.#taken.has(name); suffix += 1) name = `${base}_${suffix}`;
    this.#taken.add(name);
    return name;
  }
}

/** Markdown inline code for any text (backticks inside are handled as CommonMark requires). */
export function markdownCode(text: string): string {
  const single = text.replace(/[\r\n]+/g, ' ');
  const longestRun = Math.max(0, ...Array.from(single.matchAll(/`+/g), (match) => match[0].length));
  const fence = '`'.repeat(longestRun + 1);
  const pad = single.startsWith('`') || single.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${single}${pad}${fence}`;
}

/** `1234567` -> `1,234,567`, independent of the process locale. */
export function groupDigits(value: number): string {
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A file size for people, in binary units with one decimal (`2.5 MB`); bytes below 1 KB. */
export function formatBytes(sizeBytes: number): string {
  const units = ['KB', 'MB', 'GB', 'TB'];
  if (sizeBytes < 1024) return `${sizeBytes} ${sizeBytes === 1 ? 'byte' : 'bytes'}`;
  let value = sizeBytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit] ?? 'TB'}`;
}
