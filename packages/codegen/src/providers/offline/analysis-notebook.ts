import type { CellDraft } from '@assay/contracts';
import type { CodegenRequest } from '../../types';
import { buildOverviewNotebook, code, loadExpression, markdown, planTables, quoteQuestion, setupCell, type Table } from './overview-notebook';
import { markdownCode, pythonString } from './python-source';
import { findColumnMentions, recogniseIntent, type Intent } from './recognise-intent';

/** Groups or categories drawn in one bar chart; the table shows them all. */
const MAX_BARS = 30;
/** Rows a filter shows; the full selection stays in `result`. */
const MAX_FILTER_ROWS_SHOWN = 50;

/** Variable the answer is left in, so a later message (or a person) can reuse it. */
const RESULT = 'result';

/** Said when the question was not recognised: the overview follows. */
export const NOT_RECOGNISED_NOTE =
  'The built-in offline analyst recognises common requests only (an overview; describe a column; mean, sum, count or median of a column by another; top or bottom N by a column; counts by category; correlations; a distribution; a trend over time; missing values; simple filters such as "rows where region is North" or "price > 100"). This message is not one of them, so here is an overview of the files instead.';

/**
 * The offline analyst's notebook for `request`: the request is matched against the columns of
 * the attached tables (see `recogniseIntent`); a recognised request gets a short notebook that
 * loads the table it names and answers with pandas, leaving the answer in `result`; anything
 * else gets the overview with a plain note that no language model is configured.
 */
export function buildAnalysisNotebook(request: CodegenRequest): CellDraft[] {
  const tables = planTables([...request.files].sort((left, right) => (left.name === right.name ? (left.path < right.path ? -1 : 1) : left.name < right.name ? -1 : 1)));
  const table = pickTable(request.question, tables);
  if (table === undefined) return buildOverviewNotebook(request, { fallbackNote: NOT_RECOGNISED_NOTE });
  const intent = recogniseIntent(request.question, table.sheet?.headers ?? []);
  if (intent.kind === 'overview') {
    const explicit = /\b(overview|what is in|what's in|describe|summar\w*|look at|explore)\b/i.test(request.question);
    return buildOverviewNotebook(request, explicit ? {} : { fallbackNote: NOT_RECOGNISED_NOTE });
  }
  const df = table.variable;
  return [
    markdown(
      [
        `# ${TITLES[intent.kind]}`,
        '',
        `No language model is configured for this Assay installation; the built-in offline analyst recognised this request as ${describeIntent(intent)} in ${tableLabel(table)}, and answers it with the steps below.`,
        '',
        quoteQuestion(request.question),
      ].join('\n'),
    ),
    setupCell([table]),
    markdown(`Load ${tableLabel(table)} into ${markdownCode(df)}.`),
    code(`${df} = ${loadExpression(table)}\nprint(f"${df}: {${df}.shape[0]} rows x {${df}.shape[1]} columns")`),
    ...intentCells(intent, df),
    markdown(`The answer is kept in the variable ${markdownCode(RESULT)} (and the data in ${markdownCode(df)}), so a later message can build on it.`),
  ];
}

/** The table whose headers the question names most; the first table on a tie. */
function pickTable(question: string, tables: Table[]): Table | undefined {
  let best: Table | undefined;
  let bestCount = -1;
  for (const table of tables) {
    if (table.sheet === undefined) continue;
    const count = findColumnMentions(question, table.sheet.headers).length;
    if (count > bestCount) {
      best = table;
      bestCount = count;
    }
  }
  return best;
}

const TITLES: Record<Exclude<Intent['kind'], 'overview'>, string> = {
  missing: 'Missing values',
  correlation: 'Correlations',
  histogram: 'Distribution',
  trend: 'Trend over time',
  top: 'Top rows',
  aggregate: 'Aggregation by group',
  counts: 'Counts by category',
  filter: 'Filtered rows',
  describe: 'Column summary',
};

function tableLabel(table: Table): string {
  return table.headingLevel === 3 && table.sheet ? `sheet ${markdownCode(table.sheet.name)} of ${markdownCode(table.file.name)}` : markdownCode(table.file.name);
}

const AGGREGATION_WORDS = { mean: 'the mean', sum: 'the sum', count: 'the number of values', median: 'the median' } as const;
const OPERATOR_TEXT = { '==': 'is', '!=': 'is not', '>': '>', '>=': '>=', '<': '<', '<=': '<=' } as const;

function describeIntent(intent: Exclude<Intent, { kind: 'overview' }>): string {
  const c = (column: string) => markdownCode(column);
  switch (intent.kind) {
    case 'missing':
      return 'a question about missing values';
    case 'correlation':
      return intent.columns.length >= 2 ? `correlations between ${intent.columns.map(c).join(', ')}` : 'correlations between the numeric columns';
    case 'histogram':
      return intent.column ? `the distribution of ${c(intent.column)}` : 'the distribution of the numeric columns';
    case 'trend':
      return `${intent.valueColumn ? `${AGGREGATION_WORDS[intent.aggregation]} of ${c(intent.valueColumn)}` : 'the number of rows'} over time${intent.dateColumn ? ` (by ${c(intent.dateColumn)})` : ''}`;
    case 'top':
      return `the ${intent.direction === 'largest' ? 'top' : 'bottom'} ${intent.count} rows by ${c(intent.column)}`;
    case 'aggregate':
      return `${AGGREGATION_WORDS[intent.aggregation]} of ${c(intent.valueColumn)} by ${c(intent.groupColumn)}`;
    case 'counts':
      return `counts of rows by ${c(intent.column)}`;
    case 'filter':
      return `the rows where ${c(intent.column)} ${OPERATOR_TEXT[intent.operator]} ${markdownCode(intent.value)}`;
    case 'describe':
      return `a summary of ${c(intent.column)}`;
  }
}

/** `df["name"]` for any header. */
function col(df: string, column: string): string {
  return `${df}[${pythonString(column)}]`;
}

/**
 * A Python expression joining text pieces, each its own string literal, so a column name is
 * always a whole literal of its own in the code (easy to audit: a hostile header stays data).
 */
function concat(...parts: string[]): string {
  return parts.filter((part) => part.length > 0).map(pythonString).join(' + ');
}

/** Bar chart of a Series; `title` and `ylabel` are Python expressions. */
function barChart(series: string, title: string, ylabel: string): string[] {
  return [
    `shown = ${series}.head(${MAX_BARS})`,
    'fig, ax = plt.subplots(figsize=(8, 4), constrained_layout=True)',
    'ax.bar([str(label) for label in shown.index], shown.to_numpy(dtype=float), color="#4c72b0")',
    `ax.set_title(${title})`,
    `ax.set_ylabel(${ylabel})`,
    'ax.tick_params(axis="x", labelrotation=45)',
  ];
}

function intentCells(intent: Exclude<Intent, { kind: 'overview' }>, df: string): CellDraft[] {
  switch (intent.kind) {
    case 'missing':
      return [
        markdown('**Missing values per column**, as a count and as a share of all rows, most incomplete first; then how many rows have at least one gap.'),
        code(
          [
            `${RESULT} = pd.DataFrame({"missing": ${df}.isna().sum(), "percent": (${df}.isna().mean() * 100).round(2)}).sort_values("missing", ascending=False, kind="stable")`,
            `display(${RESULT})`,
            `incomplete_rows = int(${df}.isna().any(axis=1).sum())`,
            `print(f"Rows with at least one missing value: {incomplete_rows} of {len(${df})}")`,
            `if ${RESULT}["missing"].sum() > 0:`,
            ...barChart(`${RESULT}.loc[${RESULT}["missing"] > 0, "missing"]`, concat('Missing values per column'), concat('missing values')).map((line) => `    ${line}`),
            'else:',
            '    print("No value is missing.")',
          ].join('\n'),
        ),
      ];
    case 'correlation': {
      const chosen = intent.columns.length >= 2 ? `[${intent.columns.map(pythonString).join(', ')}]` : 'None';
      return [
        markdown('**Correlation matrix** (Pearson) of the numeric columns, with a heatmap. Text columns that hold numbers are converted; other text columns are left out.'),
        code(
          [
            `chosen = ${chosen}`,
            `candidates = ${df}[chosen] if chosen else ${df}`,
            'numeric = candidates.apply(pd.to_numeric, errors="coerce")',
            'numeric = numeric.loc[:, numeric.notna().sum() >= 2]',
            'if numeric.shape[1] < 2:',
            '    print("Fewer than two numeric columns: there is nothing to correlate.")',
            `    ${RESULT} = pd.DataFrame()`,
            'else:',
            `    ${RESULT} = numeric.corr()`,
            `    display(${RESULT}.round(3))`,
            `    labels = [str(name) for name in ${RESULT}.columns]`,
            '    size = max(4, 0.8 * len(labels) + 2)',
            '    fig, ax = plt.subplots(figsize=(size, size * 0.85), constrained_layout=True)',
            `    image = ax.imshow(${RESULT}.to_numpy(), cmap="coolwarm", vmin=-1, vmax=1)`,
            '    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")',
            '    ax.set_yticks(range(len(labels)), labels)',
            '    if len(labels) <= 12:',
            `        for (row, column), value in np.ndenumerate(${RESULT}.to_numpy()):`,
            '            ax.text(column, row, "" if np.isnan(value) else f"{value:.2f}", ha="center", va="center", fontsize=8)',
            '    fig.colorbar(image, ax=ax, shrink=0.8)',
            '    ax.set_title("Correlation matrix")',
          ].join('\n'),
        ),
      ];
    }
    case 'histogram':
      if (intent.column === undefined) {
        return [
          markdown('**Distributions** of the numeric columns, with their summary statistics.'),
          code([`${RESULT} = ${df}.select_dtypes(include="number").describe().T`, `display(${RESULT})`, `plot_numeric_histograms(${df}, ${pythonString(df)})`].join('\n')),
        ];
      }
      return [
        markdown(`**Distribution of ${markdownCode(intent.column)}**: summary statistics and a histogram (missing values and values that are not numbers left out).`),
        code(
          [
            `values = pd.to_numeric(${col(df, intent.column)}, errors="coerce")`,
            'values = values[np.isfinite(values)]',
            `${RESULT} = values.describe()`,
            `display(${RESULT}.to_frame(${pythonString(intent.column)}))`,
            'if values.empty:',
            `    print(${concat(intent.column, ' has no numeric values to plot.')})`,
            'else:',
            '    fig, ax = plt.subplots(figsize=(7, 4), constrained_layout=True)',
            '    ax.hist(values, bins=min(30, max(5, values.nunique())), color="#4c72b0", edgecolor="white")',
            `    ax.set_title(${concat('Distribution of ', intent.column)})`,
            `    ax.set_xlabel(${pythonString(intent.column)})`,
            '    ax.set_ylabel("rows")',
          ].join('\n'),
        ),
      ];
    case 'trend':
      return trendCells(intent, df);
    case 'top':
      return [
        markdown(`**The ${intent.direction === 'largest' ? 'top' : 'bottom'} ${intent.count} rows by ${markdownCode(intent.column)}** (rows without a numeric value there left out; on ties the earlier row comes first).`),
        code(
          [
            `order = pd.to_numeric(${col(df, intent.column)}, errors="coerce").dropna()`,
            `${RESULT} = ${df}.loc[order.${intent.direction === 'largest' ? 'nlargest' : 'nsmallest'}(${intent.count}, keep="first").index]`,
            `display(${RESULT})`,
          ].join('\n'),
        ),
      ];
    case 'aggregate': {
      const value = intent.aggregation === 'count' ? col(df, intent.valueColumn) : `pd.to_numeric(${col(df, intent.valueColumn)}, errors="coerce")`;
      return [
        markdown(
          `**${AGGREGATION_WORDS[intent.aggregation].replace(/^the /, '').replace(/^./, (first) => first.toUpperCase())} of ${markdownCode(intent.valueColumn)} for each ${markdownCode(intent.groupColumn)}**, largest first (missing values left out${intent.aggregation === 'count' ? '' : ', text that is not a number counts as missing'}).`,
        ),
        code(
          [
            `${RESULT} = ${value}.groupby(${col(df, intent.groupColumn)}).agg(${pythonString(intent.aggregation)}).sort_values(ascending=False, kind="stable")`,
            `${RESULT}.name = ${concat(`${intent.aggregation} of `, intent.valueColumn)}`,
            `display(${RESULT}.to_frame())`,
            ...barChart(RESULT, `${RESULT}.name + ${concat(' by ', intent.groupColumn)}`, `${RESULT}.name`),
          ].join('\n'),
        ),
      ];
    }
    case 'counts':
      return [
        markdown(`**Rows per value of ${markdownCode(intent.column)}**, most frequent first, with their share of all rows (missing values counted as their own group).`),
        code(
          [
            `${RESULT} = ${col(df, intent.column)}.value_counts(dropna=False)`,
            `${RESULT}.name = "rows"`,
            `display(pd.DataFrame({"rows": ${RESULT}, "percent": (${RESULT} / len(${df}) * 100).round(2)}).rename_axis(${pythonString(intent.column)}))`,
            `print(f"{len(${RESULT})} distinct values")`,
            ...barChart(RESULT, concat('Rows per ', intent.column), concat('rows')),
          ].join('\n'),
        ),
      ];
    case 'filter':
      return filterCells(intent, df);
    case 'describe':
      return [
        markdown(`**Summary of ${markdownCode(intent.column)}**: for numbers count, mean, spread and quartiles; for text count, distinct values and the most frequent ones.`),
        code(
          [
            `column = ${col(df, intent.column)}`,
            `${RESULT} = column.describe()`,
            `display(${RESULT}.to_frame(${pythonString(intent.column)}))`,
            'print(f"dtype: {column.dtype}; missing: {int(column.isna().sum())} of {len(column)}")',
            'if not pd.api.types.is_numeric_dtype(column):',
            '    display(column.value_counts().head(10).rename("rows").to_frame())',
          ].join('\n'),
        ),
      ];
  }
}

function trendCells(intent: Extract<Intent, { kind: 'trend' }>, df: string): CellDraft[] {
  const preferred = [intent.dateColumn, intent.valueColumn].filter((name): name is string => name !== undefined);
  return [
    markdown(
      'Find the date column: a column pandas already reads as dates, or a text column whose values are mostly (at least 80 %) dates. Columns the question names are tried first.',
    ),
    code(
      [
        'def find_date_column(frame, preferred):',
        '    """The first column holding dates, with its values parsed; (None, None) when there is none."""',
        '    ordered = [name for name in preferred if name in frame.columns] + [name for name in frame.columns if name not in preferred]',
        '    for name in ordered:',
        '        series = frame[name]',
        '        if pd.api.types.is_datetime64_any_dtype(series):',
        '            return name, series',
        '        if series.dtype == object:',
        '            parsed = pd.to_datetime(series, errors="coerce")',
        '            if parsed.notna().sum() > 0 and parsed.notna().mean() >= 0.8:',
        '                return name, parsed',
        '    return None, None',
        '',
        `date_column, dates = find_date_column(${df}, [${preferred.map(pythonString).join(', ')}])`,
        'if date_column is None:',
        '    raise ValueError("No column of this table holds dates, so there is no trend over time to show.")',
        'print(f"Dates from column {date_column!r}: {dates.min()} to {dates.max()}")',
      ].join('\n'),
    ),
    markdown(
      `**${intent.valueColumn ? `${AGGREGATION_WORDS[intent.aggregation].replace(/^the /, '')} of ${markdownCode(intent.valueColumn)}` : 'Rows'} per period.** The period follows the span of the dates: days up to two months, weeks up to half a year, months up to five years, quarters up to twenty years, else years. Periods without rows show as ${intent.aggregation === 'mean' || intent.aggregation === 'median' ? 'gaps' : 'zero'}.`,
    ),
    code(
      [
        'span_days = (dates.max() - dates.min()).days',
        'frequency, unit = next((f, u) for limit, f, u in [(62, "D", "day"), (183, "W", "week"), (1827, "M", "month"), (7305, "Q", "quarter"), (float("inf"), "Y", "year")] if span_days <= limit)',
        'periods = dates.dt.to_period(frequency)',
        intent.valueColumn
          ? `values = ${intent.aggregation === 'count' ? col(df, intent.valueColumn) : `pd.to_numeric(${col(df, intent.valueColumn)}, errors="coerce")`}`
          : `values = pd.Series(1, index=${df}.index)`,
        `${RESULT} = values[periods.notna()].groupby(periods[periods.notna()]).agg(${pythonString(intent.valueColumn ? intent.aggregation : 'sum')})`,
        `${RESULT} = ${RESULT}.reindex(pd.period_range(periods.min(), periods.max(), freq=frequency)${intent.aggregation === 'mean' || intent.aggregation === 'median' ? '' : ', fill_value=0'})`,
        `${RESULT}.index = ${RESULT}.index.astype(str)`,
        `${RESULT}.name = ${intent.valueColumn ? concat(`${intent.aggregation} of `, intent.valueColumn) : concat('rows')}`,
        'print(f"One point per {unit}")',
        `display(${RESULT}.to_frame())`,
        'fig, ax = plt.subplots(figsize=(9, 4), constrained_layout=True)',
        `ax.plot(range(len(${RESULT})), ${RESULT}.to_numpy(dtype=float), marker="o", color="#4c72b0")`,
        `step = max(1, len(${RESULT}) // 12)`,
        `ax.set_xticks(range(0, len(${RESULT}), step), list(${RESULT}.index)[::step], rotation=45, ha="right")`,
        `ax.set_title(f"{${RESULT}.name} per {unit}")`,
        `ax.set_ylabel(${RESULT}.name)`,
      ].join('\n'),
    ),
  ];
}

function filterCells(intent: Extract<Intent, { kind: 'filter' }>, df: string): CellDraft[] {
  const numeric = /^-?[\d.]+$/.test(intent.value);
  const lines = [`column = ${col(df, intent.column)}`, `target = ${pythonString(intent.value)}`];
  if (numeric) {
    lines.push(
      // A number compares numerically when the column holds numbers; "== 5" on a text column compares text.
      'as_numbers = pd.to_numeric(column, errors="coerce")',
      `if as_numbers.notna().any()${intent.operator === '==' || intent.operator === '!=' ? ' and pd.api.types.is_numeric_dtype(column)' : ''}:`,
      `    mask = as_numbers ${intent.operator} float(target)`,
      'else:',
      intent.operator === '==' || intent.operator === '!='
        ? `    mask = column.astype(str).str.strip() ${intent.operator} target`
        : `    print(${concat(intent.column, ' holds no numbers, so no row is selected.')})\n    mask = pd.Series(False, index=column.index)`,
    );
  } else {
    // Text matches ignoring case and surrounding spaces ("north" finds "North ").
    lines.push(`mask = ${intent.operator === '!=' ? '~' : ''}column.astype(str).str.strip().str.casefold().eq(target.casefold())${intent.operator === '!=' ? '' : ' & column.notna()'}`);
  }
  lines.push(
    `${RESULT} = ${df}[mask]`,
    `print(f"{len(${RESULT})} of {len(${df})} rows where " + ${concat(intent.column, ` ${OPERATOR_TEXT[intent.operator]} `, intent.value)})`,
    `display(${RESULT}.head(${MAX_FILTER_ROWS_SHOWN}))`,
    `if len(${RESULT}) > ${MAX_FILTER_ROWS_SHOWN}:`,
    `    print(f"Showing the first ${MAX_FILTER_ROWS_SHOWN}; all {len(${RESULT})} are in ${RESULT}.")`,
  );
  return [
    markdown(
      `**Rows where ${markdownCode(intent.column)} ${OPERATOR_TEXT[intent.operator]} ${markdownCode(intent.value)}**${numeric ? ' (compared as numbers when the column holds numbers)' : ' (text compared ignoring case and surrounding spaces)'}.`,
    ),
    code(lines.join('\n')),
  ];
}
