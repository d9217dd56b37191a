import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { isAssayError } from '@assay/errors';
import { inspectFile } from '@assay/ingest';
import { type PandasCsvOutcome, readManyCsvWithPandas } from './support/pandas-oracle';
import { useTempDir } from './support/temp-dir';

/** Deterministic generator (same files on every run, so a failure can be reproduced). */
function generator(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % n;
  };
}

/**
 * Randomised differential test of row splitting: short texts drawn from delimiters, quotes,
 * line breaks (\n and \r\n), spaces and tabs — the characters where CSV readers disagree.
 * For each file, inspectFile must fail exactly when pandas fails, and otherwise report the same
 * column names and row count as `read_csv(sep=<its delimiter>)`.
 */
describe('CSV row splitting matches pandas on random text', () => {
  const dir = useTempDir('assay-ingest-random');

  it.each([
    { format: 'csv' as const, delimiter: ',', alphabet: ['a', 'b', '1', ',', ',', '"', '\n', '\n', '\r\n', ' '], seed: 7 },
    { format: 'tsv' as const, delimiter: '\t', alphabet: ['a', 'b', '1', '\t', '\t', '"', '\n', '\n', '\r\n', ' ', ',', ';'], seed: 11 },
  ])('$format files', async ({ format, delimiter, alphabet, seed }) => {
    const next = generator(seed);
    const files: Array<{ path: string; text: string }> = [];
    for (let i = 0; i < 250; i += 1) {
      let text = '';
      const length = 1 + next(40);
      for (let j = 0; j < length; j += 1) text += alphabet[next(alphabet.length)] ?? '';
      // pandas's sniffing of a .csv would differ on random text: pin the delimiter by content.
      if (format === 'csv') text = `h,h${text}`;
      const path = join(dir(), `random-${i}.${format}`);
      await writeFile(path, text);
      files.push({ path, text });
    }

    const ours: PandasCsvOutcome[] = [];
    for (const { path } of files) {
      try {
        const metadata = await inspectFile({ path, format, name: `random.${format}` });
        expect(metadata.delimiter).toBe(delimiter);
        const sheet = metadata.sheets[0];
        ours.push(sheet === undefined ? { ok: false, error: 'no sheet' } : { ok: true, headers: sheet.headers, rowCount: sheet.rowCount });
      } catch (error) {
        if (!isAssayError(error)) throw error;
        ours.push({ ok: false, error: error.code });
      }
    }
    const pandas = await readManyCsvWithPandas(files.map(({ path }) => ({ path, delimiter, encoding: 'utf-8' })));

    const differences = files
      .map((file, index) => ({ text: file.text, ours: ours[index], pandas: pandas[index] }))
      .filter(({ ours: a, pandas: b }) => (a?.ok === true || b?.ok === true ? JSON.stringify(a) !== JSON.stringify(b) : false));
    expect(differences).toEqual([]);
    // The generator must produce both outcomes, or the test proves little.
    expect(pandas.filter((outcome) => outcome.ok).length).toBeGreaterThan(100);
    expect(pandas.filter((outcome) => !outcome.ok).length).toBeGreaterThan(5);
  });
});
