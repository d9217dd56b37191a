import type { CellDraft, FileFormat, SheetMetadata } from '@assay/contracts';
import { MAX_HISTOGRAMS_PER_TABLE } from '../../consts';
import type { CodegenFile, CodegenRequest } from '../../types';
import {
  VariableNamer,
  fileStem,
  formatBytes,
  groupDigits,
  identifierPart,
  markdownCode,
  pythonString,
} from './python-source';

/** One DataFrame the notebook loads: a CSV/TSV file, or one sheet of a workbook. */
export interface Table {
  file: CodegenFile;
  /** The sheet's metadata; absent for a CSV/TSV file whose upload recorded no sheet. */
  sheet: SheetMetadata | undefined;
  /** Python variable holding the DataFrame. */
  variable: string;
  /** Markdown heading level of the table's section (2 for a file, 3 for a sheet). */
  headingLevel: 2 | 3;
}

const FORMAT_LABELS: Record<FileFormat, string> = {
  csv: 'CSV file',
  tsv: 'TSV file',
  xlsx: 'Excel workbook (.xlsx)',
  xls: 'Excel 97-2003 workbook (.xls)',
};

const DEFAULT_DELIMITERS: Record<'csv' | 'tsv', string> = { csv: ',', tsv: '\t' };

/**
 * The offline overview: for every attached file (every sheet of a workbook) it loads a
 * DataFrame and shows its shape, columns and dtypes, missing values, summary statistics and
 * histograms of up to {@link MAX_HISTOGRAMS_PER_TABLE} numeric columns, each step introduced by
 * a markdown cell. Files are taken in order of name, then path, so the same files give the same
 * notebook (and the same variable names) in whatever order they are listed.
 */
export function buildOverviewNotebook(request: CodegenRequest, options: { fallbackNote?: string } = {}): CellDraft[] {
  const files = [...request.files].sort(compareFiles);
  if (files.length === 0) return noFilesNotebook(request.question);

  const tables = planTables(files);
  const cells: CellDraft[] = [introCell(request.question, files, options.fallbackNote), setupCell(tables)];
  for (const file of files) {
    const fileTables = tables.filter((table) => table.file === file);
    cells.push(markdown(fileIntro(file, fileTables)));
    for (const table of fileTables) cells.push(...tableCells(table));
  }
  if (tables.length === 0) return cells;
  cells.push(
    markdown(
      '## DataFrames in this kernel\n\nThe kernel keeps these variables for the rest of the chat, so later questions can use them without loading the files again.',
    ),
    code(
      [
        'for name, frame in [',
        ...tables.map((table) => `    (${pythonString(table.variable)}, ${table.variable}),`),
        ']:',
        '    print(f"{name}: {frame.shape[0]} rows x {frame.shape[1]} columns")',
      ].join('\n'),
    ),
  );
  return cells;
}

/** Plain code-point order: unlike localeCompare it does not depend on the process's ICU data. */
function compareFiles(left: CodegenFile, right: CodegenFile): number {
  if (left.name !== right.name) return left.name < right.name ? -1 : 1;
  if (left.path !== right.path) return left.path < right.path ? -1 : 1;
  return 0;
}

export function planTables(files: CodegenFile[]): Table[] {
  const namer = new VariableNamer();
  const tables: Table[] = [];
  for (const file of files) {
    const stem = identifierPart(fileStem(file.name)) || 'data';
    if (file.format === 'csv' || file.format === 'tsv') {
      tables.push({ file, sheet: file.sheets[0], variable: namer.take([stem]), headingLevel: 2 });
      continue;
    }
    file.sheets.forEach((sheet, index) => {
      const parts = file.sheets.length === 1 ? [stem] : [stem, identifierPart(sheet.name) || `sheet${index + 1}`];
      tables.push({ file, sheet, variable: namer.take(parts), headingLevel: 3 });
    });
  }
  return tables;
}

function noFilesNotebook(question: string): CellDraft[] {
  return [
    markdown(
      [
        '# No files attached',
        '',
        'No language model is configured for this Assay installation, so it can only describe attached files, and this chat has none yet.',
        '',
        quoteQuestion(question),
        '',
        'Attach a CSV, TSV, XLSX or XLS file to the chat and send a message again to get an overview of its contents.',
      ].join('\n'),
    ),
  ];
}

function introCell(question: string, files: CodegenFile[], fallbackNote: string | undefined): CellDraft {
  const list = files.map((file) => `- ${markdownCode(file.name)}: ${FORMAT_LABELS[file.format]}, ${formatBytes(file.sizeBytes)}`);
  return markdown(
    [
      '# Overview of the attached files',
      '',
      'No language model is configured for this Assay installation, so this notebook does not answer the question itself. It describes every attached file instead: size, columns and data types, missing values, summary statistics and the distribution of numeric columns.',
      '',
      quoteQuestion(question),
      '',
      ...(fallbackNote === undefined ? [] : [fallbackNote, '']),
      ...list,
    ].join('\n'),
  );
}

export function quoteQuestion(question: string): string {
  const lines = question.trim().split(/\r?\n/);
  return ['Your message:', '', ...lines.map((line) => `> ${line}`)].join('\n');
}

export function setupCell(tables: Table[]): CellDraft {
  const needsReader = tables.some((table) => isDelimited(table.file) && !(table.file.delimiter && table.file.encoding));
  const lines = [
    ...(needsReader ? ['import csv'] : []),
    'import math',
    '',
    'import matplotlib.pyplot as plt',
    'import numpy as np',
    'import pandas as pd',
    'from IPython.display import display',
    '',
  ];
  if (needsReader) lines.push(...READ_DELIMITED_SOURCE, '');
  if (tables.some((table) => table.file.format === 'xls')) lines.push(...READ_XLS_SOURCE, '');
  lines.push(...PLOT_HISTOGRAMS_SOURCE);
  return code(lines.join('\n'));
}

function isDelimited(file: CodegenFile): file is CodegenFile & { format: 'csv' | 'tsv' } {
  return file.format === 'csv' || file.format === 'tsv';
}

/**
 * Reads a CSV/TSV file whose delimiter or encoding the upload did not record. Trying candidate
 * delimiters on the header line against the known column count is cheap and deterministic
 * (unlike `csv.Sniffer` on a sample), and keeps pandas' fast C parser, which `sep=None` would
 * replace with the slow Python one.
 */
const READ_DELIMITED_SOURCE = [
  'def read_delimited(path, column_count, default_delimiter, delimiter=None, encoding=None):',
  '    """Read a CSV/TSV file whose delimiter or encoding was not recorded at upload.',
  '',
  '    The delimiter is the first candidate that splits the header line into the known number',
  '    of columns; the encoding is UTF-8 when the file decodes as UTF-8, else Windows-1252,',
  '    else Latin-1.',
  '    """',
  '    if delimiter is None:',
  '        with open(path, encoding="utf-8", errors="replace", newline="") as handle:',
  '            header_line = handle.readline()',
  '        delimiter = default_delimiter',
  '        for candidate in (default_delimiter, ",", ";", "\\t", "|"):',
  '            if len(next(csv.reader([header_line], delimiter=candidate), [])) == column_count:',
  '                delimiter = candidate',
  '                break',
  '    encodings = [encoding] if encoding else ["utf-8-sig", "cp1252", "latin-1"]',
  '    for candidate in encodings[:-1]:',
  '        try:',
  '            return pd.read_csv(path, sep=delimiter, encoding=candidate)',
  '        except UnicodeDecodeError:',
  '            pass',
  '    return pd.read_csv(path, sep=delimiter, encoding=encodings[-1])',
];

/**
 * Reads one sheet of an .xls workbook. pandas >= 1.2 reads .xls only through xlrd >= 2.0.1 and
 * refuses older versions (Debian 12 ships pandas 1.5 with xlrd 1.2), so the sheet is then read
 * with xlrd directly, converting cells the way pandas does.
 */
const READ_XLS_SOURCE = [
  'def read_xls(path, sheet_name):',
  '    """Read one sheet of an .xls workbook: with pandas if its xlrd is recent enough, else with xlrd directly."""',
  '    try:',
  '        return pd.read_excel(path, sheet_name=sheet_name)',
  '    except ImportError as error:',
  '        if "xlrd" not in str(error):',
  '            raise',
  '    import xlrd',
  '',
  '    book = xlrd.open_workbook(path)',
  '    sheet = book.sheet_by_name(sheet_name)',
  '',
  '    def cell_value(cell):',
  '        if cell.ctype == xlrd.XL_CELL_DATE:',
  '            return xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)',
  '        if cell.ctype == xlrd.XL_CELL_BOOLEAN:',
  '            return bool(cell.value)',
  '        if cell.ctype == xlrd.XL_CELL_NUMBER and float(cell.value).is_integer():',
  '            return int(cell.value)',
  '        if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):',
  '            return None',
  '        return cell.value',
  '',
  '    rows = [[cell_value(cell) for cell in sheet.row(index)] for index in range(sheet.nrows)]',
  '    if not rows:',
  '        return pd.DataFrame()',
  '    return pd.DataFrame(rows[1:], columns=rows[0]).infer_objects()',
];

const PLOT_HISTOGRAMS_SOURCE = [
  `def plot_numeric_histograms(frame, label, limit=${MAX_HISTOGRAMS_PER_TABLE}):`,
  '    """Draw one histogram per numeric column of `frame` (at most `limit`), ignoring missing and infinite values."""',
  '    columns = []',
  '    for column in frame.select_dtypes(include="number").columns:',
  '        values = frame[column].to_numpy(dtype=float, na_value=np.nan)',
  '        if np.isfinite(values).any():',
  '            columns.append(column)',
  '    if not columns:',
  '        print(f"{label} has no numeric columns with values to plot.")',
  '        return',
  '    if len(columns) > limit:',
  '        print(f"{label}: showing the first {limit} of {len(columns)} numeric columns.")',
  '    shown = columns[:limit]',
  '    ncols = min(3, len(shown))',
  '    nrows = math.ceil(len(shown) / ncols)',
  '    fig, axes = plt.subplots(nrows, ncols, figsize=(4.5 * ncols, 3.2 * nrows), squeeze=False, constrained_layout=True)',
  '    for ax, column in zip(axes.flat, shown):',
  '        values = frame[column].to_numpy(dtype=float, na_value=np.nan)',
  '        ax.hist(values[np.isfinite(values)], bins=30, color="#4c72b0", edgecolor="white")',
  '        ax.set_title(str(column))',
  '        ax.set_xlabel("value")',
  '        ax.set_ylabel("rows")',
  '    for ax in list(axes.flat)[len(shown):]:',
  '        ax.set_visible(False)',
  '    fig.suptitle(f"{label}: distribution of numeric columns")',
];

function fileIntro(file: CodegenFile, tables: Table[]): string {
  const heading = `## ${markdownCode(file.name)}`;
  const size = `${FORMAT_LABELS[file.format]}, ${formatBytes(file.sizeBytes)}.`;
  if (isDelimited(file)) {
    const table = tables[0];
    const recorded = file.sheets[0]
      ? ` The upload counted ${groupDigits(file.sheets[0].rowCount)} data rows and ${file.sheets[0].headers.length} columns.`
      : '';
    const reading =
      file.delimiter && file.encoding
        ? ` It is read with the delimiter and encoding recorded at upload`
        : ` Its delimiter and encoding were not recorded at upload, so \`read_delimited\` (defined above) works them out`;
    return `${heading}\n\n${size}${recorded}${reading} into ${markdownCode(table?.variable ?? 'df')}. First, load it and check its size.`;
  }
  if (tables.length === 0) {
    return `${heading}\n\n${size} The upload recorded no sheets in this workbook, so there is nothing to load.`;
  }
  const sheetList = tables.map((table) => `${markdownCode(table.sheet?.name ?? '')} as ${markdownCode(table.variable)}`).join(', ');
  return `${heading}\n\n${size} ${tables.length === 1 ? 'Its sheet is' : `Each of its ${tables.length} sheets is`} loaded into its own DataFrame: ${sheetList}.`;
}

function tableCells(table: Table): CellDraft[] {
  const { variable } = table;
  const v = pythonString(variable);
  const cells: CellDraft[] = [];
  if (table.headingLevel === 3 && table.sheet) {
    const recorded = `The upload counted ${groupDigits(table.sheet.rowCount)} data rows and ${table.sheet.headers.length} columns.`;
    cells.push(markdown(`### Sheet ${markdownCode(table.sheet.name)}\n\n${recorded} Load it and check its size.`));
  }
  cells.push(
    code(`${variable} = ${loadExpression(table)}\nprint(f"${variable}: {${variable}.shape[0]} rows x {${variable}.shape[1]} columns")`),
    markdown(`**Columns and data types.** How pandas typed each column of ${markdownCode(variable)}: numbers, text (\`object\`), dates or booleans.`),
    code(`display(${variable}.dtypes.rename("dtype").to_frame())`),
    markdown('**Missing values.** Empty cells per column, as a count and as a share of all rows.'),
    code(
      `display(pd.DataFrame({"missing": ${variable}.isna().sum(), "percent": (${variable}.isna().mean() * 100).round(1)}))`,
    ),
    markdown(
      '**Summary statistics.** For numeric columns: count, mean, spread and quartiles; for text and boolean columns: count, distinct values, the most frequent value and how often it occurs.',
    ),
    code(
      [
        `numeric_part = ${variable}.select_dtypes(include="number")`,
        `other_part = ${variable}.select_dtypes(include=["object", "category", "bool"])`,
        'if numeric_part.shape[1] > 0:',
        '    display(numeric_part.describe().T)',
        'if other_part.shape[1] > 0:',
        '    display(other_part.describe().T)',
        'if numeric_part.shape[1] == 0 and other_part.shape[1] == 0:',
        `    print(${v} + " has no numeric or text columns to summarise.")`,
      ].join('\n'),
    ),
    markdown(
      `**Distributions.** A histogram for each numeric column (at most ${MAX_HISTOGRAMS_PER_TABLE}), to show ranges, skew and outliers at a glance.`,
    ),
    code(`plot_numeric_histograms(${variable}, ${v})`),
  );
  return cells;
}

export function loadExpression(table: Table): string {
  const { file, sheet } = table;
  const path = pythonString(file.path);
  if (isDelimited(file)) {
    if (file.delimiter && file.encoding) {
      return `pd.read_csv(${path}, sep=${pythonString(file.delimiter)}, encoding=${pythonString(file.encoding)})`;
    }
    const args = [
      path,
      `column_count=${sheet?.headers.length ?? 0}`,
      `default_delimiter=${pythonString(DEFAULT_DELIMITERS[file.format])}`,
    ];
    if (file.delimiter) args.push(`delimiter=${pythonString(file.delimiter)}`);
    if (file.encoding) args.push(`encoding=${pythonString(file.encoding)}`);
    return `read_delimited(${args.join(', ')})`;
  }
  const sheetName = pythonString(sheet?.name ?? '');
  return file.format === 'xls' ? `read_xls(${path}, sheet_name=${sheetName})` : `pd.read_excel(${path}, sheet_name=${sheetName})`;
}

export function markdown(source: string): CellDraft {
  return { kind: 'markdown', source };
}

export function code(source: string): CellDraft {
  return { kind: 'code', source };
}
