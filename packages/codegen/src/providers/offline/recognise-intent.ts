/**
 * Recognises what the offline analyst is asked from the question's words and the columns of the
 * attached tables (names only: it never sees a value, and dtypes are checked by the generated
 * code at run time). Deterministic and deliberately modest: anything it does not recognise is
 * answered with the overview.
 */

/** How values of a group are combined. */
export type Aggregation = 'mean' | 'sum' | 'count' | 'median';

/** Comparison of a simple filter. */
export type FilterOperator = '==' | '!=' | '>' | '>=' | '<' | '<=';

/** What the question asks, with the columns (exact header text) it names. */
export type Intent =
  | { kind: 'overview' }
  | { kind: 'missing' }
  | { kind: 'correlation'; columns: string[] }
  | { kind: 'histogram'; column: string | undefined }
  | { kind: 'trend'; dateColumn: string | undefined; valueColumn: string | undefined; aggregation: Aggregation }
  | { kind: 'top'; column: string; count: number; direction: 'largest' | 'smallest' }
  | { kind: 'aggregate'; valueColumn: string; groupColumn: string; aggregation: Aggregation }
  | { kind: 'counts'; column: string }
  | { kind: 'filter'; column: string; operator: FilterOperator; value: string }
  | { kind: 'describe'; column: string };

/** A header found in the question, and where (offset in the normalised question). */
export interface ColumnMention {
  column: string;
  start: number;
  end: number;
}

/** Rows shown by a top/bottom request that gives no number. */
export const DEFAULT_TOP_COUNT = 10;
/** Largest N a top/bottom request may ask for (a bigger number is taken as a typo or a value). */
const MAX_TOP_COUNT = 1000;

/**
 * Lower case, accents dropped, every run of punctuation, space or underscore turned into one
 * space: "Unit_Price", "unit price" and "`Unit Price`" all become "unit price".
 */
export function normaliseWords(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/**
 * Headers named in `text` (whole words, case/space/underscore/quote-insensitive, a plural "s"
 * allowed), longest first when names overlap ("unit price" wins over "price"), returned in the
 * order they appear.
 */
export function findColumnMentions(text: string, headers: string[]): ColumnMention[] {
  const haystack = ` ${normaliseWords(text)} `;
  const candidates = headers
    .map((column) => ({ column, words: normaliseWords(column) }))
    .filter((candidate) => candidate.words.length > 0)
    .sort((left, right) => right.words.length - left.words.length);
  const claimed: ColumnMention[] = [];
  for (const { column, words } of candidates) {
    if (claimed.some((mention) => mention.column === column)) continue;
    for (const form of [words, `${words}s`, `${words}es`]) {
      let from = 0;
      let found: ColumnMention | undefined;
      while (found === undefined) {
        const at = haystack.indexOf(` ${form} `, from);
        if (at < 0) break;
        const mention = { column, start: at, end: at + form.length + 1 };
        if (!claimed.some((other) => mention.start < other.end && other.start < mention.end)) found = mention;
        from = at + 1;
      }
      if (found !== undefined) {
        claimed.push(found);
        break;
      }
    }
  }
  return claimed.sort((left, right) => left.start - right.start);
}

const has = (text: string, pattern: RegExp): boolean => pattern.test(text);

/** The aggregation a question's words ask for, if any. */
function aggregationOf(words: string): Aggregation | undefined {
  if (has(words, /\b(average|mean|avg)\b/)) return 'mean';
  if (has(words, /\bmedian\b/)) return 'median';
  if (has(words, /\b(sum|total|totals)\b/)) return 'sum';
  if (has(words, /\b(count|counts|number of|how many)\b/)) return 'count';
  return undefined;
}

/** Comparison words, longest first so "greater than or equal to" wins over "greater than". */
const OPERATOR_WORDS: [string, FilterOperator][] = [
  ['greater than or equal to', '>='],
  ['less than or equal to', '<='],
  ['is not equal to', '!='],
  ['not equal to', '!='],
  ['is greater than', '>'],
  ['is more than', '>'],
  ['is less than', '<'],
  ['greater than', '>'],
  ['more than', '>'],
  ['higher than', '>'],
  ['less than', '<'],
  ['lower than', '<'],
  ['at least', '>='],
  ['at most', '<='],
  ['is above', '>'],
  ['is below', '<'],
  ['is over', '>'],
  ['is under', '<'],
  ['equal to', '=='],
  ['is not', '!='],
  ["isn't", '!='],
  ['equals', '=='],
  ['above', '>'],
  ['below', '<'],
  ['over', '>'],
  ['under', '<'],
  ['is', '=='],
  ['>=', '>='],
  ['<=', '<='],
  ['!=', '!='],
  ['==', '=='],
  ['=', '=='],
  ['>', '>'],
  ['<', '<'],
];

/**
 * A simple filter in the question: `<column> <comparison> <value>`, such as "rows where region
 * is North", "price > 100" or "orders with quantity at least 5". The column is the longest
 * header the text before the comparison ends with; the value is the rest (quotes removed).
 */
export function findFilter(question: string, headers: string[]): Extract<Intent, { kind: 'filter' }> | undefined {
  const text = question.trim().replace(/[?.!]+$/, '');
  for (const [word, operator] of OPERATOR_WORDS) {
    const symbolic = !/^[a-z]/i.test(word);
    const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    // Words stand alone; a symbol may touch its operands ("price>100") but not another symbol.
    const pattern = symbolic ? new RegExp(`(?<![<>=!])${escaped}(?![<>=])`, 'g') : new RegExp(`(?<=\\s)${escaped}(?=\\s)`, 'gi');
    for (const match of text.matchAll(pattern)) {
      const at = match.index ?? 0;
      const before = normaliseWords(text.slice(0, at));
      const value = text
        .slice(at + match[0].length)
        .trim()
        .replace(/^["'`\u201c\u2018](.*)["'`\u201d\u2019]$/s, '$1')
        .trim();
      if (value.length === 0) continue;
      const column = headers
        .filter((header) => {
          const words = normaliseWords(header);
          return words.length > 0 && (before === words || before.endsWith(` ${words}`));
        })
        .sort((left, right) => normaliseWords(right).length - normaliseWords(left).length)[0];
      if (column === undefined) continue;
      const numeric = /^-?\d[\d,]*(\.\d+)?$|^-?\.\d+$/.test(value);
      // "price over 100" compares numbers; "region is North" matches text; "<", "over" need a number.
      if (operator !== '==' && operator !== '!=' && !numeric) continue;
      return { kind: 'filter', column, operator, value: numeric ? value.replace(/,/g, '') : value };
    }
  }
  return undefined;
}

/**
 * What `question` asks about a table with these `headers`. Checked from the most specific
 * request to the least, so "average price by region" is an aggregation, not a description.
 */
export function recogniseIntent(question: string, headers: string[]): Intent {
  const words = normaliseWords(question);
  const mentions = findColumnMentions(question, headers);
  const columns = mentions.map((mention) => mention.column);
  const first = columns[0];
  // The column after "by"/"per"/"for each"/"across": what rows are grouped or ranked by.
  const byAt = Array.from(` ${words} `.matchAll(/ (by|per|for each|for every|across|grouped by) /g)).pop()?.index;
  const afterBy = byAt === undefined ? undefined : mentions.find((mention) => mention.start > byAt)?.column;

  if (has(words, /\b(missing|null|nulls|nan|nans|empty values|empty cells|blank|blanks|incomplete)\b/)) return { kind: 'missing' };
  if (has(words, /\b(correlat\w*|relationship between)\b/)) return { kind: 'correlation', columns };
  if (has(words, /\b(trend|trends|over time|time series|monthly|weekly|daily|yearly|per (day|week|month|quarter|year)|by (day|week|month|quarter|year)|each (day|week|month|year))\b/)) {
    const aggregation = aggregationOf(words) ?? (columns.length > 0 ? 'sum' : 'count');
    return {
      kind: 'trend',
      aggregation,
      ...trendColumns(columns),
    };
  }
  if (has(words, /\b(distribution|distributions|histogram|histograms|spread)\b/)) return { kind: 'histogram', column: first };

  const top = /\b(top|highest|largest|biggest|most|best|maximum)\b/.exec(words);
  const bottom = /\b(bottom|lowest|smallest|least|worst|cheapest|minimum)\b/.exec(words);
  if ((top || bottom) && first !== undefined) {
    const number = /\b(top|bottom|first|last)?\s*(\d{1,4})\b/.exec(words);
    const count = number ? Math.min(Number(number[2]), MAX_TOP_COUNT) : DEFAULT_TOP_COUNT;
    const column = afterBy ?? columns[columns.length - 1] ?? first;
    return { kind: 'top', column, count: count > 0 ? count : DEFAULT_TOP_COUNT, direction: top && !bottom ? 'largest' : 'smallest' };
  }

  const filter = findFilter(question, headers);
  if (filter) return filter;

  const aggregation = aggregationOf(words);
  if (aggregation !== undefined && afterBy !== undefined) {
    const valueColumn = columns.find((column) => column !== afterBy);
    if (valueColumn !== undefined) return { kind: 'aggregate', valueColumn, groupColumn: afterBy, aggregation };
    if (aggregation === 'count') return { kind: 'counts', column: afterBy };
  }
  if (first !== undefined && has(words, /\b(count|counts|how many|frequency|frequencies|breakdown|value counts|categories|distinct|unique)\b/)) {
    return { kind: 'counts', column: afterBy ?? first };
  }
  if (first !== undefined && has(words, /\b(describe|description|summary|summarise|summarize|statistics|stats|tell me about|about)\b/)) {
    return { kind: 'describe', column: first };
  }
  return { kind: 'overview' };
}

/** A trend's columns by name only; the notebook checks at run time which one holds dates. */
function trendColumns(columns: string[]): { dateColumn: string | undefined; valueColumn: string | undefined } {
  const dateLike = columns.find((column) => /\b(date|time|day|month|year|timestamp|period|created|updated)\b|_at$|_on$/i.test(normaliseWords(column)) || /(_at|_on)$/i.test(column));
  return { dateColumn: dateLike, valueColumn: columns.find((column) => column !== dateLike) };
}
