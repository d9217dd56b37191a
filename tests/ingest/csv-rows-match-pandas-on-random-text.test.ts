import { isUtf8 } from 'node:buffer';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { isAssayError } from '@assay/errors';
import { inspectFile } from '@assay/ingest';
import { type PandasCsvOutcome, readManyCsvWithPandas } from './support/pandas-oracle';
import { useTempDir } from './support/temp-dir';

/**
 * Deterministic generator (same files on every run, so a failure can be reproduced). It uses the
 * high bits of the state: the low bits of this generator repeat too soon to reach every symbol.
 */
function generator(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return Math.floor((state / 2 ** 31) * n);
  };
}

/** What a file's bytes are for Python: strict UTF-8 when valid, else cp1252 or, with a byte cp1252 leaves undefined, latin-1. */
function pythonEncodingOf(bytes: Buffer): string {
  if (isUtf8(bytes)) return 'utf-8';
  return [0x81, 0x8d, 0x8f, 0x90, 0x9d].some((byte) => bytes.includes(byte)) ? 'latin-1' : 'cp1252';
}

/**
 * Randomised differential test of row splitting: short texts drawn from delimiters, quotes
 * (also doubled), line breaks (\n, \r\n and a lone \r), spaces and tabs — the characters where
 * CSV readers disagree — and non-ASCII characters, and, for one variant, bytes that are not
 * UTF-8 (so the file is read as cp1252 or latin-1). For each file, inspectFile must fail exactly
 * when pandas fails, and otherwise report the same encoding, column names and row count as
 * `read_csv(sep=<its delimiter>, encoding=<its encoding>)`.
 */
describe('CSV row splitting matches pandas on random text', () => {
  const dir = useTempDir('assay-ingest-random');

  // No tab in .csv text: the sniffer would pick it as the delimiter of some files.
  const csvAlphabet = ['a', 'b', '1', ',', ',', '"', '""', '\n', '\n', '\r\n', '\r', ' ', '\u00e9', '\u{1f600}'];
  const tsvAlphabet = ['a', 'b', '1', '\t', '\t', '"', '""', '\n', '\n', '\r\n', '\r', ' ', ',', ';', '\u20ac'];
  const bytes = (...values: number[]): Buffer => Buffer.from(values);
  it.each([
    { title: 'csv files', format: 'csv' as const, delimiter: ',', alphabet: csvAlphabet, seed: 7 },
    { title: 'tsv files', format: 'tsv' as const, delimiter: '\t', alphabet: tsvAlphabet, seed: 11 },
    // Windows-1252 and Latin-1 bytes, and UTF-8 sequences cut short, among valid UTF-8.
    {
      title: 'csv files that are not all UTF-8',
      format: 'csv' as const,
      delimiter: ',',
      alphabet: [...csvAlphabet, bytes(0xe9), bytes(0x80), bytes(0x93, 0x94), bytes(0xe2, 0x82), bytes(0xc3), bytes(0x81)],
      seed: 13,
      singleByte: true,
    },
  ])('$title', async ({ format, delimiter, alphabet, seed, singleByte = false }) => {
    const next = generator(seed);
    const files: Array<{ path: string; text: string; encoding: string }> = [];
    for (let i = 0; i < 400; i += 1) {
      const pieces: Buffer[] = [];
      const length = 1 + next(40);
      for (let j = 0; j < length; j += 1) {
        const piece = alphabet[next(alphabet.length)] ?? '';
        pieces.push(typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece);
      }
      // pandas's sniffing of a .csv would differ on random text: pin the delimiter by content.
      if (format === 'csv') pieces.unshift(Buffer.from('h,h'));
      const content = Buffer.concat(pieces);
      // pandas 1.5's C tokenizer misreads a line that starts with a space or tab after a lone
      // \r line end: it backtracks to the previous \n only, re-reading earlier lines, and after
      // a blank line loops until its 256 KiB buffer is full (262 145 rows from 11 bytes). That
      // is undefined behaviour, not a rule to follow; such texts are left out.
      if (/\r(?!\n)[ \t]/.test(content.toString('latin1'))) {
        i -= 1;
        continue;
      }
      const path = join(dir(), `random-${i}.${format}`);
      await writeFile(path, content);
      files.push({ path, text: content.toString('latin1'), encoding: pythonEncodingOf(content) });
    }

    const ours: PandasCsvOutcome[] = [];
    for (const { path, encoding } of files) {
      try {
        const metadata = await inspectFile({ path, format, name: `random.${format}` });
        expect(metadata.delimiter).toBe(delimiter);
        expect(metadata.encoding).toBe(encoding);
        const sheet = metadata.sheets[0];
        ours.push(sheet === undefined ? { ok: false, error: 'no sheet' } : { ok: true, headers: sheet.headers, rowCount: sheet.rowCount });
      } catch (error) {
        if (!isAssayError(error)) throw error;
        ours.push({ ok: false, error: error.code });
      }
    }
    const pandas = await readManyCsvWithPandas(files.map(({ path, encoding }) => ({ path, delimiter, encoding })));

    const differences = files
      .map((file, index) => ({ text: JSON.stringify(file.text), ours: ours[index], pandas: pandas[index] }))
      .filter(({ ours: a, pandas: b }) => (a?.ok === true || b?.ok === true ? JSON.stringify(a) !== JSON.stringify(b) : false));
    expect(differences).toEqual([]);
    // The generator must produce both outcomes, or the test proves little.
    expect(pandas.filter((outcome) => outcome.ok).length).toBeGreaterThan(150);
    expect(pandas.filter((outcome) => !outcome.ok).length).toBeGreaterThan(5);
    if (singleByte) {
      expect(files.filter((file) => file.encoding === 'cp1252').length).toBeGreaterThan(20);
      expect(files.filter((file) => file.encoding === 'latin-1').length).toBeGreaterThan(20);
    }
  });
});
