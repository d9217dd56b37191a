import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { MAX_HISTOGRAMS_PER_TABLE, createCodegenProvider, type CodegenFile } from '@assay/codegen';
import type { CellDraft } from '@assay/contracts';
import { runNotebookInSandbox, type CellRun } from './support/notebook-sandbox';
import { runPython } from './support/python';

/**
 * The offline provider's overview notebook, run for real: generated files are mounted at
 * /mnt/data inside bubblewrap and every code cell runs in one IPython shell, as in the chat's
 * kernel. The request is built from the files' metadata only.
 */

/** Python, pandas and a first matplotlib import in a fresh HOME take seconds on 2 cores; this is a hang guard. */
const RUN_TIMEOUT_MS = 180_000;

describe('offline overview notebook', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), `assay-offline-${randomUUID()}-`));
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Writes a file and returns its metadata, as ingest would record it. */
  async function addDelimited(
    name: string,
    format: 'csv' | 'tsv',
    headers: string[],
    rows: string[][],
    options: { separator: string; encoding: 'utf8' | 'latin1'; record?: { delimiter: string; encoding: string } },
  ): Promise<CodegenFile> {
    const text = [headers, ...rows].map((row) => row.join(options.separator)).join('\n') + '\n';
    await writeFile(join(dataDir, name), Buffer.from(text, options.encoding));
    return {
      name,
      path: `/mnt/data/${name}`,
      format,
      sizeBytes: (await stat(join(dataDir, name))).size,
      sheets: [{ name: name.replace(/\.[^.]+$/, ''), headers, rowCount: rows.length }],
      ...options.record,
    };
  }

  async function addWorkbooks(): Promise<CodegenFile[]> {
    const output = await runPython(
      [
        'import json, sys, openpyxl, xlwt',
        'folder = sys.argv[1]',
        'book = openpyxl.Workbook()',
        'orders = book.active',
        'orders.title = "Orders"',
        'orders.append(["customer"] + [f"m{k}" for k in range(1, 9)])',
        'for i in range(30):',
        '    orders.append([f"customer {i % 4}"] + [i * k + 0.5 for k in range(1, 9)])',
        'notes = book.create_sheet("Notes & Comments")',
        'notes.append(["author", "text"])',
        'for i in range(5):',
        '    notes.append([f"author {i}", f"note number {i}"])',
        'book.save(f"{folder}/book.xlsx")',
        'legacy = xlwt.Workbook()',
        'sheet = legacy.add_sheet("Sheet1")',
        'for col, header in enumerate(["name", "value", "weight"]):',
        '    sheet.write(0, col, header)',
        'for i in range(10):',
        '    sheet.write(i + 1, 0, f"item {i}")',
        '    sheet.write(i + 1, 1, i * 3)',
        '    sheet.write(i + 1, 2, i / 4)',
        'legacy.save(f"{folder}/legacy.xls")',
        '# Metadata the way ingest records it: sheet names, header row, number of data rows.',
        'result = {"book.xlsx": [], "legacy.xls": []}',
        'for ws in openpyxl.load_workbook(f"{folder}/book.xlsx", read_only=True).worksheets:',
        '    rows = list(ws.iter_rows(values_only=True))',
        '    result["book.xlsx"].append({"name": ws.title, "headers": [str(v) for v in rows[0]], "rowCount": len(rows) - 1})',
        'import xlrd',
        'for ws in xlrd.open_workbook(f"{folder}/legacy.xls").sheets():',
        '    result["legacy.xls"].append({"name": ws.name, "headers": [str(v) for v in ws.row_values(0)], "rowCount": ws.nrows - 1})',
        'print(json.dumps(result))',
      ].join('\n'),
      [dataDir],
    );
    const sheets = JSON.parse(output) as Record<string, CodegenFile['sheets']>;
    return Promise.all(
      (['book.xlsx', 'legacy.xls'] as const).map(async (name) => ({
        name,
        path: `/mnt/data/${name}`,
        format: name.endsWith('.xlsx') ? ('xlsx' as const) : ('xls' as const),
        sizeBytes: (await stat(join(dataDir, name))).size,
        sheets: sheets[name] ?? [],
      })),
    );
  }

  function cellFor(runs: CellRun[], fragment: string): CellRun {
    const run = runs.find((candidate) => candidate.source.includes(fragment));
    if (run === undefined) throw new Error(`no code cell contains ${JSON.stringify(fragment)}`);
    return run;
  }

  it(
    'loads every file and sheet, summarises them and draws capped histograms without a single error',
    async () => {
      const salesRows = Array.from({ length: 40 }, (_, i) => [
        ['North', 'South', 'East', 'West'][i % 4] ?? 'North',
        (9.5 + (i % 5)).toFixed(2),
        String((i % 7) + 1),
        `2024-03-${String((i % 28) + 1).padStart(2, '0')}`,
        i % 5 === 0 ? '' : `note ${i}`,
      ]);
      const expectedQuantity = salesRows.reduce((sum, row) => sum + Number(row[2]), 0);
      const files: CodegenFile[] = [
        await addDelimited('sales.csv', 'csv', ['region', 'unit price', 'quantity', 'order date', 'notes'], salesRows, {
          separator: ',',
          encoding: 'utf8',
        }),
        // Semicolons and Windows-1252, neither recorded: the notebook has to work them out.
        await addDelimited(
          'Données Q3 (final).csv',
          'csv',
          ['Catégorie', 'Montant', 'Commentaire'],
          Array.from({ length: 12 }, (_, i) => [`Élément ${i % 3}`, (i * 1.25).toFixed(2), `réf ${i}`]),
          { separator: ';', encoding: 'latin1' },
        ),
        // Same stem as sales.csv; delimiter and encoding recorded at upload.
        await addDelimited(
          'sales.tsv',
          'tsv',
          ['id', 'score', 'passed', 'label'],
          Array.from({ length: 25 }, (_, i) => [String(i), i === 3 ? 'inf' : String(i * 2.5), i % 2 === 0 ? 'True' : 'False', `label, ${i}`]),
          { separator: '\t', encoding: 'utf8', record: { delimiter: '\t', encoding: 'utf-8' } },
        ),
        ...(await addWorkbooks()),
      ];

      const provider = createCodegenProvider({ provider: 'offline' });
      const { cells } = await provider.generate({ question: 'What is in my files?', files, history: [] });
      // A later message of the same chat reuses a variable the overview printed.
      const followUp: CellDraft = { kind: 'code', source: 'print("total quantity:", int(df_sales["quantity"].sum()))' };

      const runs = await runNotebookInSandbox([...cells, followUp], dataDir, RUN_TIMEOUT_MS);

      expect(runs.filter((run) => run.error !== null).map((run) => `${run.error}\n--- in ---\n${run.source}`)).toEqual([]);
      expect(runs).toHaveLength(cells.filter((cell) => cell.kind === 'code').length + 1);
      const output = runs.map((run) => run.output).join('\n');

      for (const shape of [
        'df_sales: 40 rows x 5 columns',
        'df_donnees_q3_final: 12 rows x 3 columns',
        'df_sales_2: 25 rows x 4 columns',
        'df_book_orders: 30 rows x 9 columns',
        'df_book_notes_comments: 5 rows x 2 columns',
        'df_legacy: 10 rows x 3 columns',
      ]) {
        expect(output).toContain(shape);
      }
      for (const column of ['unit price', 'order date', 'Catégorie', 'Montant', 'passed', 'm8', 'author', 'weight']) {
        expect(output).toContain(column);
      }
      // 8 of 40 notes are empty: 20 %.
      expect(cellFor(runs, 'display(pd.DataFrame({"missing": df_sales.isna()').output).toMatch(/notes\s+8\s+20\.0/);
      // The semicolon file was split into its columns and decoded (é survived).
      expect(cellFor(runs, 'display(df_donnees_q3_final.dtypes').output).toMatch(/Montant\s+float64/);

      const histogramsOf = (variable: string) => cellFor(runs, `plot_numeric_histograms(${variable}, "${variable}")`);
      expect(histogramsOf('df_sales')).toMatchObject({ figures: 1, plottedAxes: 2 });
      expect(histogramsOf('df_sales_2')).toMatchObject({ figures: 1, plottedAxes: 2 });
      expect(histogramsOf('df_book_orders')).toMatchObject({ figures: 1, plottedAxes: MAX_HISTOGRAMS_PER_TABLE });
      expect(histogramsOf('df_book_orders').output).toContain(`showing the first ${MAX_HISTOGRAMS_PER_TABLE} of 8 numeric columns`);
      expect(histogramsOf('df_book_notes_comments')).toMatchObject({ figures: 0, plottedAxes: 0 });
      expect(histogramsOf('df_book_notes_comments').output).toContain('has no numeric columns with values to plot');

      expect(runs[runs.length - 2]?.output).toContain('df_legacy: 10 rows x 3 columns');
      expect(runs[runs.length - 1]?.output).toContain(`total quantity: ${expectedQuantity}`);
    },
    RUN_TIMEOUT_MS + 30_000,
  );
});
