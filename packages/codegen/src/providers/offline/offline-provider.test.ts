import { describe, expect, it } from '@jest/globals';
import { ErrorCode } from '@assay/errors';
import { MAX_HISTOGRAMS_PER_TABLE } from '../../consts';
import type { CodegenFile, CodegenRequest } from '../../types';
import { OfflineCodegenProvider } from './offline-provider';

const csv: CodegenFile = {
  name: 'Sales 2024.csv',
  path: '/mnt/data/Sales 2024.csv',
  format: 'csv',
  sizeBytes: 2048,
  sheets: [{ name: 'Sales 2024', headers: ['region', 'amount'], rowCount: 40 }],
};
const tsv: CodegenFile = {
  name: 'sales-2024.tsv',
  path: '/mnt/data/sales-2024.tsv',
  format: 'tsv',
  sizeBytes: 1024,
  sheets: [{ name: 'sales-2024', headers: ['a', 'b', 'c'], rowCount: 5 }],
  delimiter: '\t',
  encoding: 'utf-8',
};
const workbook: CodegenFile = {
  name: 'book.xlsx',
  path: '/mnt/data/book.xlsx',
  format: 'xlsx',
  sizeBytes: 9000,
  sheets: [
    { name: 'Q1 "draft"', headers: ['x'], rowCount: 3 },
    { name: 'Q2', headers: ['y'], rowCount: 4 },
  ],
};

function request(files: CodegenFile[]): CodegenRequest {
  return { question: 'What is in these files?', files, history: [] };
}

const codeOf = (cells: { kind: string; source: string }[]): string =>
  cells.filter((cell) => cell.kind === 'code').map((cell) => cell.source).join('\n\n');

describe('OfflineCodegenProvider', () => {
  const provider = new OfflineCodegenProvider();

  it('is named offline', () => {
    expect(provider.name).toBe('offline');
  });

  it('returns identical cells for the same request, whatever the order of files', async () => {
    const first = await provider.generate(request([csv, tsv, workbook]));
    const again = await provider.generate(request([csv, tsv, workbook]));
    const shuffled = await provider.generate(request([workbook, tsv, csv]));

    expect(again).toEqual(first);
    expect(shuffled).toEqual(first);
    expect(first.usage).toBeUndefined();
  });

  it('gives stable, distinct variable names and loads every sheet by name', async () => {
    const { cells } = await provider.generate(request([csv, tsv, workbook]));
    const code = codeOf(cells);

    expect(code).toContain('df_sales_2024 = read_delimited("/mnt/data/Sales 2024.csv", column_count=2, default_delimiter=",")');
    expect(code).toContain('df_sales_2024_2 = pd.read_csv("/mnt/data/sales-2024.tsv", sep="\\t", encoding="utf-8")');
    expect(code).toContain('df_book_q1_draft = pd.read_excel("/mnt/data/book.xlsx", sheet_name="Q1 \\"draft\\"")');
    expect(code).toContain('df_book_q2 = pd.read_excel("/mnt/data/book.xlsx", sheet_name="Q2")');
    for (const variable of ['df_sales_2024', 'df_sales_2024_2', 'df_book_q1_draft', 'df_book_q2']) {
      expect(code).toContain(`print(f"${variable}: {${variable}.shape[0]} rows x {${variable}.shape[1]} columns")`);
      expect(code).toContain(`plot_numeric_histograms(${variable}, "${variable}")`);
    }
    // The closing cell names every DataFrame for later messages.
    const last = cells[cells.length - 1];
    expect(last?.kind).toBe('code');
    expect(last?.source).toContain('("df_book_q2", df_book_q2)');
  });

  it('names a single-sheet workbook after the file', async () => {
    const single: CodegenFile = { ...workbook, name: 'Old Data.xls', path: '/mnt/data/Old Data.xls', format: 'xls', sheets: [{ name: 'Sheet1', headers: ['a'], rowCount: 1 }] };
    const code = codeOf((await provider.generate(request([single]))).cells);
    expect(code).toContain('df_old_data = read_xls("/mnt/data/Old Data.xls", sheet_name="Sheet1")');
    expect(code).toContain('def read_xls(path, sheet_name):');
  });

  it('defines the delimited reader only when a file needs it, and caps histograms with the constant', async () => {
    const withKnownFormat = codeOf((await provider.generate(request([tsv]))).cells);
    expect(withKnownFormat).not.toContain('def read_delimited');
    expect(withKnownFormat).toContain(`def plot_numeric_histograms(frame, label, limit=${MAX_HISTOGRAMS_PER_TABLE}):`);

    const withUnknownFormat = codeOf((await provider.generate(request([csv]))).cells);
    expect(withUnknownFormat).toContain('def read_delimited(');
  });

  it('alternates explanations and code: every code cell after the setup follows a markdown cell', async () => {
    const { cells } = await provider.generate(request([csv, workbook]));
    expect(cells[0]?.kind).toBe('markdown');
    cells.forEach((cell, index) => {
      if (cell.kind === 'code' && index > 1) expect(cells[index - 1]?.kind).toBe('markdown');
    });
    expect(cells.filter((cell) => cell.kind === 'markdown').map((cell) => cell.source).join('\n')).toContain('What is in these files?');
  });

  it('writes a notebook that says no file is attached', async () => {
    const { cells } = await provider.generate(request([]));
    expect(cells).toHaveLength(1);
    expect(cells[0]?.kind).toBe('markdown');
    expect(cells[0]?.source).toMatch(/No files attached/);
  });

  it('emits each cell source as a delta', async () => {
    const deltas: string[] = [];
    const { cells } = await provider.generate(request([csv]), { onDelta: (text) => deltas.push(text) });
    expect(deltas).toEqual(cells.map((cell) => cell.source));
  });

  it('rejects a cancelled call with CODEGEN_FAILED', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(provider.generate(request([csv]), { signal: controller.signal })).rejects.toMatchObject({
      code: ErrorCode.CODEGEN_FAILED,
      retryable: false,
      details: { reason: 'aborted' },
    });
  });

  it('answers a recognised question from the file it names, and anything else with the overview and a plain note', async () => {
    const answered = await provider.generate({ question: 'average amount by region', files: [tsv, csv], history: [] });
    expect(answered.cells[0]?.source).toMatch(/^# Aggregation by group/);
    expect(codeOf(answered.cells)).toContain('df_sales_2024["amount"]');
    expect(codeOf(answered.cells)).not.toContain('sales-2024.tsv');

    const other = await provider.generate({ question: 'write me a poem', files: [csv], history: [] });
    expect(other.cells[0]?.source).toContain('No language model is configured');
    expect(other.cells[0]?.source).toContain('This message is not one of them');
    const explicit = await provider.generate(request([csv]));
    expect(explicit.cells[0]?.source).not.toContain('This message is not one of them');
  });

  it('cannot repair: a repair request gets no cells, and what it read is reported like any prompt', async () => {
    const sent: { kind: string; user: string }[] = [];
    const result = await provider.generate(
      {
        kind: 'repair',
        question: 'average amount by region',
        files: [csv],
        history: [],
        repair: { attempt: 1, cells: [{ kind: 'code', source: 'df["x"]' }], failingCellIndex: 0, error: { name: 'KeyError', value: "'x'", traceback: [] } },
      },
      { onPromptSent: (prompt) => sent.push(prompt) },
    );
    expect(result).toEqual({ cells: [] });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.kind).toBe('repair');
    expect(sent[0]?.user).toContain('KeyError');
  });
});
