import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createCodegenProvider, type CodegenFile } from '@assay/codegen';
import type { CellDraft } from '@assay/contracts';
import { runNotebookInSandbox, type CellRun } from './support/notebook-sandbox';

/**
 * The offline analyst's recognised requests, run for real: every notebook is generated from the
 * question and the file's metadata only, all of them run one after the other in one IPython
 * shell under bubblewrap (as in a chat's kernel), and the answer each leaves in `result` is
 * compared with values computed here in TypeScript from the same rows.
 */

/** One Python start with pandas and matplotlib on 2 busy cores; a hang guard, not a timing check. */
const RUN_TIMEOUT_MS = 180_000;
const REGIONS = ['North', 'South', 'East', 'West', 'Central'];

interface Row {
  region: string;
  unitPrice: number;
  quantity: number;
  orderDate: string;
  notes: string;
}

/** 60 rows; unit prices distinct (so top/bottom N has no ties), dates over about ten months. */
function makeRows(): Row[] {
  return Array.from({ length: 60 }, (_, i) => {
    const day = new Date(Date.UTC(2024, 0, 3) + ((i * 37) % 300) * 86_400_000);
    return {
      region: REGIONS[(i * 7) % 5] ?? 'North',
      unitPrice: Math.round((20 + ((i * 53) % 97) * 1.75 + i / 100) * 100) / 100,
      quantity: ((i * 11) % 9) + 1,
      orderDate: day.toISOString().slice(0, 10),
      notes: i % 6 === 0 ? '' : `note ${i}`,
    };
  });
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? NaN) : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
}
function groupBy(rows: Row[], key: (row: Row) => string, value: (row: Row) => number): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  for (const row of rows) groups.set(key(row), [...(groups.get(key(row)) ?? []), value(row)]);
  return groups;
}
function pearson(xs: number[], ys: number[]): number {
  const mx = mean(xs);
  const my = mean(ys);
  const cov = sum(xs.map((x, i) => (x - mx) * ((ys[i] ?? NaN) - my)));
  return cov / Math.sqrt(sum(xs.map((x) => (x - mx) ** 2)) * sum(ys.map((y) => (y - my) ** 2)));
}

function expectCloseRecord(actual: unknown, expected: Map<string, number>): void {
  const record = actual as Record<string, number>;
  expect(Object.keys(record).sort()).toEqual([...expected.keys()].sort());
  for (const [key, value] of expected) expect(record[key]).toBeCloseTo(value, 6);
}

describe('offline analyst notebooks', () => {
  let dataDir: string;
  let rows: Row[];
  let file: CodegenFile;
  let runs: CellRun[];
  const results = new Map<string, unknown>();
  const cellsByQuestion = new Map<string, CellDraft[]>();

  const QUESTIONS = {
    mean: 'What is the average unit price by region?',
    sum: 'Total quantity per Region',
    median: 'median "Quantity" by `region`',
    top: 'Top 5 rows by unit_price',
    bottom: 'the lowest 3 UNIT PRICE',
    counts: 'How many orders per region?',
    correlation: 'Show the correlation between unit price and quantity',
    histogram: 'distribution of quantity',
    trend: 'monthly trend of quantity',
    missing: 'Which columns have missing values?',
    filterText: 'show rows where region is north',
    filterNumber: 'unit price > 100',
    describe: 'describe the quantity column',
    unknown: 'What will the weather be like tomorrow?',
  } as const;
  type Tag = keyof typeof QUESTIONS;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), `assay-offline-analyst-${randomUUID()}-`));
    rows = makeRows();
    const headers = ['Region', 'unit_price', 'Quantity', 'order date', 'notes'];
    const text = [headers.join(','), ...rows.map((row) => [row.region, row.unitPrice, row.quantity, row.orderDate, row.notes].join(','))].join('\n') + '\n';
    await writeFile(join(dataDir, 'orders.csv'), text);
    file = {
      name: 'orders.csv',
      path: '/mnt/data/orders.csv',
      format: 'csv',
      sizeBytes: (await stat(join(dataDir, 'orders.csv'))).size,
      sheets: [{ name: 'orders', headers, rowCount: rows.length }],
    };

    const provider = createCodegenProvider({ provider: 'offline' });
    const notebook: CellDraft[] = [];
    for (const [tag, question] of Object.entries(QUESTIONS)) {
      const { cells } = await provider.generate({ question, files: [file], history: [] });
      cellsByQuestion.set(tag, cells);
      // Forget the previous answer, so a notebook that leaves no `result` cannot pass on an old one.
      notebook.push({ kind: 'code', source: 'result = None' }, ...cells, {
        kind: 'code',
        source: `print("@@RESULT ${tag}@@" + ("null" if result is None else result.to_json()))`,
      });
    }
    runs = await runNotebookInSandbox(notebook, dataDir, RUN_TIMEOUT_MS);
    for (const run of runs) {
      const match = /@@RESULT (\w+)@@(.*)/.exec(run.output);
      if (match?.[1] !== undefined && match[2] !== undefined) results.set(match[1], JSON.parse(match[2]));
    }
  }, RUN_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  const resultOf = (tag: Tag): unknown => results.get(tag);
  const codeOf = (tag: Tag): string => (cellsByQuestion.get(tag) ?? []).map((cell) => cell.source).join('\n');
  const runsOf = (tag: Tag): CellRun[] => {
    const sources = new Set((cellsByQuestion.get(tag) ?? []).filter((cell) => cell.kind === 'code').map((cell) => cell.source));
    return runs.filter((run) => sources.has(run.source));
  };

  it('runs every notebook without an error', () => {
    expect(runs.filter((run) => run.error !== null).map((run) => `${run.error}\n--- in ---\n${run.source}`)).toEqual([]);
    expect([...results.keys()].sort()).toEqual(Object.keys(QUESTIONS).sort());
    expect(resultOf('unknown')).toBeNull();
  });

  it('aggregates a column by another with mean, sum and median (names matched whatever their case, spaces or quotes)', () => {
    expectCloseRecord(resultOf('mean'), new Map([...groupBy(rows, (r) => r.region, (r) => r.unitPrice)].map(([k, v]) => [k, mean(v)])));
    expectCloseRecord(resultOf('sum'), new Map([...groupBy(rows, (r) => r.region, (r) => r.quantity)].map(([k, v]) => [k, sum(v)])));
    expectCloseRecord(resultOf('median'), new Map([...groupBy(rows, (r) => r.region, (r) => r.quantity)].map(([k, v]) => [k, median(v)])));
    expect(codeOf('mean')).toContain('df_orders["unit_price"]');
    expect(runsOf('mean').some((run) => run.figures === 1 && run.plottedAxes === 1)).toBe(true);
  });

  it('finds the top and bottom N rows by a column', () => {
    const byPrice = rows.map((row, index) => ({ index, price: row.unitPrice })).sort((a, b) => a.price - b.price);
    const top = resultOf('top') as Record<string, Record<string, number>>;
    const bottom = resultOf('bottom') as Record<string, Record<string, number>>;
    expect(Object.keys(top.unit_price ?? {}).map(Number).sort((a, b) => a - b)).toEqual(byPrice.slice(-5).map((r) => r.index).sort((a, b) => a - b));
    expect(Object.keys(bottom.unit_price ?? {}).map(Number).sort((a, b) => a - b)).toEqual(byPrice.slice(0, 3).map((r) => r.index).sort((a, b) => a - b));
  });

  it('counts rows by category', () => {
    expectCloseRecord(resultOf('counts'), new Map([...groupBy(rows, (r) => r.region, () => 1)].map(([k, v]) => [k, v.length])));
  });

  it('computes the correlation matrix and draws a heatmap', () => {
    const matrix = resultOf('correlation') as Record<string, Record<string, number>>;
    const r = pearson(rows.map((row) => row.unitPrice), rows.map((row) => row.quantity));
    expect(matrix.unit_price?.Quantity).toBeCloseTo(r, 9);
    expect(matrix.Quantity?.unit_price).toBeCloseTo(r, 9);
    expect(matrix.unit_price?.unit_price).toBeCloseTo(1, 9);
    expect(runsOf('correlation').some((run) => run.figures === 1 && run.plottedAxes >= 1)).toBe(true);
  });

  it('describes a distribution and draws its histogram', () => {
    const stats = resultOf('histogram') as Record<string, number>;
    const quantities = rows.map((row) => row.quantity);
    expect(stats.count).toBe(rows.length);
    expect(stats.mean).toBeCloseTo(mean(quantities), 9);
    expect(stats.min).toBe(Math.min(...quantities));
    expect(stats.max).toBe(Math.max(...quantities));
    expect(runsOf('histogram').some((run) => run.figures === 1 && run.plottedAxes === 1)).toBe(true);
  });

  it('finds the date column at run time and sums a column per month over the span', () => {
    const byMonth = groupBy(rows, (r) => r.orderDate.slice(0, 7), (r) => r.quantity);
    const months = [...byMonth.keys()].sort();
    const expected = new Map<string, number>();
    for (let month = months[0] ?? ''; month <= (months[months.length - 1] ?? ''); ) {
      expected.set(month, sum(byMonth.get(month) ?? []));
      const [year, m] = month.split('-').map(Number);
      month = m === 12 ? `${(year ?? 0) + 1}-01` : `${year}-${String((m ?? 0) + 1).padStart(2, '0')}`;
    }
    expectCloseRecord(resultOf('trend'), expected);
    expect(runsOf('trend').map((run) => run.output).join('\n')).toContain("Dates from column 'order date'");
    expect(runsOf('trend').some((run) => run.figures === 1 && run.plottedAxes === 1)).toBe(true);
  });

  it('counts missing values per column', () => {
    const missing = resultOf('missing') as Record<string, Record<string, number>>;
    const emptyNotes = rows.filter((row) => row.notes === '').length;
    expect(missing.missing).toEqual({ notes: emptyNotes, Region: 0, unit_price: 0, Quantity: 0, 'order date': 0 });
    expect(missing.percent?.notes).toBeCloseTo((emptyNotes / rows.length) * 100, 2);
  });

  it('filters rows by text (ignoring case) and by a number', () => {
    const north = resultOf('filterText') as Record<string, Record<string, unknown>>;
    expect(Object.keys(north.Region ?? {}).map(Number)).toEqual(rows.flatMap((row, index) => (row.region === 'North' ? [index] : [])));
    const pricey = resultOf('filterNumber') as Record<string, Record<string, unknown>>;
    expect(Object.keys(pricey.unit_price ?? {}).map(Number)).toEqual(rows.flatMap((row, index) => (row.unitPrice > 100 ? [index] : [])));
  });

  it('summarises one column', () => {
    const stats = resultOf('describe') as Record<string, number>;
    const quantities = rows.map((row) => row.quantity);
    expect(stats.mean).toBeCloseTo(mean(quantities), 9);
    expect(stats['50%']).toBeCloseTo(median(quantities), 9);
  });

  it('answers anything else with the overview and says plainly that no language model is configured', () => {
    const cells = cellsByQuestion.get('unknown') ?? [];
    expect(cells[0]?.source).toContain('No language model is configured');
    expect(cells[0]?.source).toContain('recognises common requests only');
    expect(runsOf('unknown').map((run) => run.output).join('\n')).toContain('df_orders: 60 rows x 5 columns');
  });
});
