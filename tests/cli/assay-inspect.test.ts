import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { InspectReport } from '@assay/cli';
import { readWithPandas } from '../ingest/support/pandas-oracle';
import { writeBytes, writeXlsWithXlwt, writeXlsxWithOpenpyxl } from '../ingest/support/table-files';
import { useTempDir } from '../ingest/support/temp-dir';

const run = promisify(execFile);
/** The command as `npx assay` finds it: the workspace bin npm links into the root. */
const ASSAY_BIN = join(__dirname, '..', '..', 'node_modules', '.bin', 'assay');

interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

async function assay(...args: string[]): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await run(ASSAY_BIN, args, { encoding: 'utf8' });
    return { exitCode: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { exitCode: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

async function sha256Of(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

describe('assay inspect', () => {
  const dir = useTempDir('assay-cli');

  it('prints a CSV file as one JSON object that matches what pandas reads', async () => {
    const path = join(dir(), 'Sales 2024.csv');
    await writeBytes(path, Buffer.from('\uFEFFregion;revenue;;revenue\r\nNord;"1,5";x;2\r\nSüd;"3\n4";;5\r\n', 'utf8'));

    const result = await assay('inspect', path, '--json');

    expect(result.exitCode).toBe(0);
    const report = InspectReport.parse(JSON.parse(result.stdout));
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(report).toMatchObject({ format: 'csv', encoding: 'utf-8-sig', delimiter: ';' });
    expect(report.sizeBytes).toBe((await readFile(path)).length);
    expect(report.sha256).toBe(await sha256Of(path));
    const pandas = await readWithPandas(path, 'csv', { delimiter: ';', encoding: 'utf-8-sig', name: 'Sales 2024' });
    expect(report.sheets).toEqual(pandas);
  });

  it('lists every sheet of a workbook, with null encoding and delimiter', async () => {
    const path = join(dir(), 'book.xlsx');
    await writeXlsxWithOpenpyxl(path, [
      { name: 'Q1 Ümsatz', rows: [['Region', 'Revenue', 'Revenue'], ['N', 1, 2], ['S', 3, 4]] },
      { name: 'notes', rows: [['text'], ['a'], ['b'], ['c']] },
    ]);

    const result = await assay('inspect', path, '--json');

    expect(result.exitCode).toBe(0);
    const report = InspectReport.parse(JSON.parse(result.stdout));
    expect(report).toMatchObject({ format: 'xlsx', encoding: null, delimiter: null, sha256: await sha256Of(path) });
    expect(report.sheets).toEqual(await readWithPandas(path, 'xlsx', {}));
  });

  it('reads a legacy .xls workbook', async () => {
    const path = join(dir(), 'legacy.xls');
    await writeXlsWithXlwt(path, [{ name: 'data', rows: [['id', 'value'], [1, 2.5], [2, 3.5]] }]);

    const result = await assay('inspect', path, '--json');

    expect(result.exitCode).toBe(0);
    expect(InspectReport.parse(JSON.parse(result.stdout)).sheets).toEqual(await readWithPandas(path, 'xls', {}));
  });

  it('prints a readable summary without --json', async () => {
    const path = join(dir(), 'people.tsv');
    await writeBytes(path, 'name\tage\nAnn\t31\n');

    const result = await assay('inspect', path);

    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('tsv');
    expect(result.stdout).toContain('"people": 1 data row, 2 columns');
    expect(result.stdout).toContain('"age"');
  });

  it.each([
    ['a file whose content does not match its extension', 'fake.xlsx', 'a,b\n1,2\n', 'FILE_CONTENT_MISMATCH'],
    ['an unsupported extension', 'notes.txt', 'hello', 'UNSUPPORTED_FILE_TYPE'],
    ['a CSV with an unclosed quote', 'broken.csv', 'a,b\n1,"never closed\n', 'FILE_UNREADABLE'],
  ])('exits 1 with the reason on stderr and nothing on stdout for %s', async (_title, name, content, code) => {
    const path = join(dir(), name);
    await writeBytes(path, content);

    const result = await assay('inspect', path, '--json');

    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`[${code}]`);
  });

  it('exits 1 for a missing file and 2 for wrong usage', async () => {
    const missing = await assay('inspect', join(dir(), 'missing.csv'), '--json');
    expect(missing).toMatchObject({ exitCode: 1, stdout: '' });
    expect(missing.stderr).toContain('no such file');

    const usage = await assay('inspect');
    expect(usage.exitCode).toBe(2);
    expect(usage.stderr).toContain('Usage: assay inspect');

    const unknown = await assay('inspekt', 'x.csv');
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('unknown command "inspekt"');
  });
});
