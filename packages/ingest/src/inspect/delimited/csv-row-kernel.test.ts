import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import wabt from 'wabt';
import { CsvRowKernel } from './csv-row-kernel';
import { CSV_ROW_KERNEL_WASM_BASE64 } from './csv-row-kernel-wasm';
import { ExtraFieldsError, HeaderTooLongError, PandasCsvScanner, UnclosedQuoteError } from './pandas-csv-scanner';

/** Everything a scan tells, as plain data. */
function outcome(bytes: Buffer, delimiter: number, cuts: readonly number[], useKernel: boolean): unknown {
  let header: unknown;
  const scanner = new PandasCsvScanner({
    delimiter,
    maxHeaderChars: 10_000,
    maxHeaderFields: 1_000,
    useKernel,
    onHeader: (record) => {
      header = { fields: record.fields.map((field) => field.toString('latin1')), fieldCount: record.fieldCount, line: record.line };
    },
  });
  try {
    let start = 0;
    for (const end of [...cuts, bytes.length]) {
      scanner.scan(bytes.subarray(start, end));
      start = end;
    }
    scanner.end();
  } catch (error) {
    if (error instanceof ExtraFieldsError) return { header, error: [error.line, error.fields, error.expected] };
    if (error instanceof UnclosedQuoteError) return { header, error: ['unclosed', error.line] };
    if (error instanceof HeaderTooLongError) return { header, error: ['too long', error.line] };
    throw error;
  }
  return { header, rows: scanner.rowCount };
}

/** Deterministic generator, high bits (so a failure can be reproduced). */
function generator(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return Math.floor((state / 2 ** 31) * n);
  };
}

describe('CsvRowKernel', () => {
  it('is the compiled csv-row-kernel.wat (run packages/ingest/scripts/compile-csv-row-kernel.mjs after editing it)', async () => {
    const toolkit = await wabt();
    const module = toolkit.parseWat('csv-row-kernel.wat', readFileSync(join(__dirname, 'csv-row-kernel.wat'), 'utf8'), { simd: true });
    module.validate();
    const compiled = Buffer.from(module.toBinary({}).buffer).toString('base64');
    module.destroy();
    expect(CSV_ROW_KERNEL_WASM_BASE64).toBe(compiled);
  });

  it('runs on this Node.js (WebAssembly SIMD), so the scanner uses it', () => {
    expect(CsvRowKernel.create()).toBeInstanceOf(CsvRowKernel);
  });

  // The kernel must do exactly what the scanner's JavaScript loop does: random text made of what
  // matters (delimiters, quotes, "" pairs, \n, \r\n, lone \r, spaces, tabs, runs longer than a
  // 16-byte vector, non-ASCII bytes), cut into random pieces so that the kernel takes over at
  // every kind of state, compared with the same text scanned in JavaScript only.
  it.each([
    { delimiter: ',', seed: 1 },
    { delimiter: ';', seed: 2 },
    { delimiter: '\t', seed: 3 },
    { delimiter: '|', seed: 4 },
  ])('agrees with the JavaScript loop on random text delimited by $delimiter', ({ delimiter, seed }) => {
    const next = generator(seed);
    const alphabet = [
      'a', '1', delimiter, delimiter, delimiter, '"', '"', '""', '\n', '\n', '\r\n', '\r', ' ', '\t', ',',
      'x'.repeat(17), ' '.repeat(20), `"${'q'.repeat(30)}\n${'r'.repeat(15)}"`, '\n'.repeat(18), '\u00e9', '\u{1f600}',
    ];
    const code = delimiter.charCodeAt(0);
    let compared = 0;
    let withRows = 0;
    for (let file = 0; file < 1_500; file += 1) {
      let text = `h${delimiter}h${delimiter}h\n`;
      const length = 5 + next(60);
      for (let i = 0; i < length; i += 1) text += alphabet[next(alphabet.length)] ?? '';
      const bytes = Buffer.from(text, 'utf8');
      const cuts: number[] = [];
      for (let at = 1 + next(12); at < bytes.length; at += 1 + next(40)) cuts.push(at);
      const expected = outcome(bytes, code, cuts, false);
      expect({ text, cuts, outcome: outcome(bytes, code, cuts, true) }).toEqual({ text, cuts, outcome: expected });
      compared += 1;
      if (typeof expected === 'object' && expected !== null && 'rows' in expected) withRows += 1;
    }
    // Both successes and failures must occur, or the comparison proves little.
    expect(withRows).toBeGreaterThan(300);
    expect(compared - withRows).toBeGreaterThan(100);
  });

  it('agrees with the JavaScript loop on input larger than its memory, in one piece and cut', () => {
    const rows: string[] = ['id,text,n'];
    const count = 70_000;
    for (let i = 0; i < count; i += 1) rows.push(i % 5 === 0 ? `${i},"multi\nline, ""quoted"" text ${'z'.repeat(i % 40)}",${i}` : `${i},plain ${i},${i}\r`);
    const bytes = Buffer.from(`${rows.join('\n')}\n1,2,3,4\n`);
    expect(bytes.length).toBeGreaterThan(2 * 1024 * 1024);
    const expected = outcome(bytes, 0x2c, [100], false);
    // Rows start on line 2; every fifth has a quoted line break.
    expect(expected).toEqual({ header: { fields: ['id', 'text', 'n'], fieldCount: 3, line: 1 }, error: [2 + count + count / 5, 4, 3] });
    expect(outcome(bytes, 0x2c, [100], true)).toEqual(expected);
    expect(outcome(bytes, 0x2c, [100, 1_048_576, 2_097_152], true)).toEqual(expected);
  });
});
