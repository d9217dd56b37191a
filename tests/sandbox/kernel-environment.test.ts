import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Sandbox } from '@assay/sandbox';
import { makeTempDir, removeDir, testBackend } from './support';

/**
 * The Python environment a kernel offers model-written code: the analysis libraries import,
 * and the start-up code adapts Debian's packages where they disagree (pandas 1.5 and xlrd 1.2).
 */
let workspaceDir: string;
let sandbox: Sandbox;

beforeAll(async () => {
  workspaceDir = await makeTempDir('kernel-env');
  sandbox = await testBackend().create({ workspaceDir });
});

afterAll(async () => {
  await sandbox?.close();
  await removeDir(workspaceDir);
});

describe('kernel environment', () => {
  it('imports the analysis libraries the prompt promises', async () => {
    const execution = await sandbox.runCode(
      'import pandas, numpy, matplotlib, seaborn, scipy, statsmodels, sklearn, openpyxl, xlrd\nprint("ok")',
    );
    expect(execution.error).toBeUndefined();
    expect(execution.logs.stdout.join('')).toBe('ok\n');
  });

  it('reads a legacy .xls workbook with pd.read_excel', async () => {
    const execution = await sandbox.runCode(
      [
        'import xlwt, pandas as pd',
        'book = xlwt.Workbook()',
        'sheet = book.add_sheet("Orders")',
        'for r, row in enumerate([["item", "qty"], ["apple", 3], ["pear", 5]]):',
        '    for c, value in enumerate(row):',
        '        sheet.write(r, c, value)',
        'book.save("/mnt/data/orders.xls")',
        'frame = pd.read_excel("/mnt/data/orders.xls", sheet_name="Orders")',
        'print(list(frame.columns), int(frame.qty.sum()))',
      ].join('\n'),
    );
    expect(execution.error).toBeUndefined();
    expect(execution.logs.stdout.join('')).toBe("['item', 'qty'] 8\n");
  });

  it('runs the start-up code silently: no output, no execution count, no leftover names', async () => {
    const execution = await sandbox.runCode("print(sorted(n for n in dir() if 'assay' in n))");
    expect(execution.logs.stdout.join('')).toBe('[]\n');
    expect(execution.outputs.filter((output) => output.output_type !== 'stream')).toEqual([]);
  });
});
