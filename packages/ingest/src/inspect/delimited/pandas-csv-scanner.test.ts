import { describe, expect, it } from '@jest/globals';
import { type CsvHeaderRecord, ExtraFieldsError, HeaderTooLongError, type PandasCsvScannerOptions, PandasCsvScanner, UnclosedQuoteError } from './pandas-csv-scanner';

/** Everything a scan tells: the header (fields decoded as UTF-8) and row count, or the error. */
type Outcome =
  | { header: { fields: string[]; fieldCount: number; line: number }; rows: number }
  | { header: { fields: string[]; fieldCount: number; line: number } | undefined; error: string };

type Options = Partial<Omit<PandasCsvScannerOptions, 'onHeader'>>;

/**
 * Scans `input` cut at the given byte offsets. Each piece is copied into a buffer that is
 * overwritten right after `scan` returns, as a reader reusing its buffer would do.
 */
function scanPieces(input: string | Buffer, cuts: readonly number[], options: Options = {}): Outcome {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  let header: Outcome['header'];
  const scanner = new PandasCsvScanner({
    delimiter: 0x2c,
    maxHeaderChars: 1_000,
    maxHeaderFields: 100,
    ...options,
    onHeader(record: CsvHeaderRecord) {
      header = { fields: record.fields.map((field) => field.toString('utf8')), fieldCount: record.fieldCount, line: record.line };
    },
  });
  try {
    let start = 0;
    for (const end of [...cuts, bytes.length]) {
      const piece = Buffer.from(bytes.subarray(start, end));
      scanner.scan(piece);
      piece.fill(0x41);
      start = end;
    }
    scanner.end();
  } catch (error) {
    if (error instanceof UnclosedQuoteError) return { header, error: `unclosed quote from line ${error.line}` };
    if (error instanceof ExtraFieldsError) return { header, error: `line ${error.line}: ${error.fields} fields, expected ${error.expected}` };
    if (error instanceof HeaderTooLongError) return { header, error: `header from line ${error.line} too long` };
    throw error;
  }
  if (header === undefined) return { header, error: 'no header' };
  return { header, rows: scanner.rowCount };
}

const scan = (input: string | Buffer, options: Options = {}): Outcome => scanPieces(input, [], options);
const headerOf = (input: string, options: Options = {}): string[] | undefined => scan(input, options).header?.fields;

/** Every way to cut `input` into two pieces, and into three for inputs short enough. */
function everySplit(length: number): number[][] {
  const splits: number[][] = [];
  for (let a = 0; a <= length; a += 1) {
    splits.push([a]);
    if (length <= 40) for (let b = a; b <= length; b += 1) splits.push([a, b]);
  }
  return splits;
}

// Expected results are what pandas 1.5.3's read_csv does with the same text (the differential
// tests in tests/ingest check the whole reader against a live pandas).
describe('PandasCsvScanner', () => {
  it('splits the header into fields: quotes, "" escapes, text after a closing quote, quotes inside text', () => {
    expect(headerOf('"say ""hi""",\r\n')).toEqual(['say "hi"', '']);
    expect(headerOf('"5" wide,"q"\r3,4')).toEqual(['5 wide', 'q']);
    expect(headerOf('12" pipe,x\n')).toEqual(['12" pipe', 'x']);
    expect(headerOf('"a,b\nc",d')).toEqual(['a,b\nc', 'd']);
    expect(headerOf('"",,"x"')).toEqual(['', '', 'x']);
  });

  it('keeps leading whitespace of a non-blank line as text, and a quote after it as a literal', () => {
    expect(headerOf('  "a",b\n')).toEqual(['  "a"', 'b']);
    expect(headerOf(' \t x\n')).toEqual([' \t x']);
  });

  it('skips blank and whitespace-only lines before the header and reports the line it starts on', () => {
    expect(scan('\n \t\n\r\n\r  \r\nh1,h2\n1,2\n')).toEqual({ header: { fields: ['h1', 'h2'], fieldCount: 2, line: 6 }, rows: 1 });
  });

  it('counts data rows, skipping blank lines, with quoted line breaks and mixed line ends', () => {
    expect(scan('a,b\n1,"x\ny"\n\n   \n"say ""hi""",\r\n"5" wide,"q"\r3,4')).toMatchObject({ rows: 4 });
    expect(scan('a,b\r\n1,2\r3,4\n5,6\r\n\r\n7,8')).toMatchObject({ rows: 4 });
    expect(scan('a\r\r\r\n\n\rb\r')).toMatchObject({ rows: 1 });
  });

  it('drops a delimiter right after a blank line that ends in a lone \\r, as pandas does', () => {
    expect(scan('\r,a,b\n1,2,3\n')).toEqual({ header: { fields: ['a', 'b'], fieldCount: 2, line: 2 }, rows: 1 });
    expect(scan('a,b\n1,2\r\r,\n')).toMatchObject({ rows: 1 });
    expect(scan('a,b\r\r,,x\n')).toMatchObject({ rows: 1 });
    expect(scan(' \r,a\n1\n')).toMatchObject({ header: { fields: ['a'] }, rows: 1 });
    expect(scan('a\tb\r\r\tx\n', { delimiter: 0x09 })).toMatchObject({ rows: 1 });
    // Not after \r\n, nor after a \r that ends a row.
    expect(scan('\r\n,a,b\n1,2,3\n')).toMatchObject({ header: { fields: ['', 'a', 'b'] }, rows: 1 });
    expect(scan('a,b\n1,2\r,x\n')).toMatchObject({ rows: 2 });
  });

  it('counts a line of only a delimiter, or of an empty quoted field, as a row', () => {
    expect(scan('a,b\n,\n""\n')).toMatchObject({ rows: 2 });
  });

  it('skips lines of spaces and tabs, except tabs that are the delimiter', () => {
    expect(scan('a\n \t \n\t\nb\n')).toMatchObject({ rows: 1 });
    expect(scan('a\tb\n \n\t\n1\t2\n', { delimiter: 0x09 })).toMatchObject({ header: { fields: ['a', 'b'] }, rows: 2 });
  });

  it('lets the first data row be longer, and fails a later longer row with its line', () => {
    expect(scan('a,b\nx,1,2\ny,3,4\nz,5\n')).toMatchObject({ rows: 3 });
    expect(scan('a,b\n1,2\n3,4,5\n')).toMatchObject({ error: 'line 3: 3 fields, expected 2' });
    expect(scan('a,b\n1,2,3\n4,5,6\n7,8,9,10\n')).toMatchObject({ error: 'line 4: 4 fields, expected 3' });
  });

  it('numbers lines as pandas counts them: quoted \\n, \\r\\n and lone \\r each end one line', () => {
    expect(scan('h\n"a\nb"\n\nc\r\nd\re,f')).toMatchObject({ error: 'line 7: 2 fields, expected 1' });
    expect(scan('h\n"a\r\nb"\n\r\n \nx,y\n')).toMatchObject({ error: 'line 6: 2 fields, expected 1' });
  });

  it('fails on a quote left open at the end, naming the line its row starts on', () => {
    expect(scan('a,b\n1,"open\n2,3\n')).toMatchObject({ error: 'unclosed quote from line 2' });
    expect(scan('"a')).toMatchObject({ header: undefined, error: 'unclosed quote from line 1' });
  });

  it('finds no header in a file of blank lines', () => {
    expect(scan('\n  \r\n\t\n')).toEqual({ header: undefined, error: 'no header' });
  });

  it('limits the header: characters as UTF-16 units of the UTF-8 text, or bytes for single-byte text', () => {
    expect(scan('abcd,e\n', { maxHeaderChars: 5 })).toMatchObject({ rows: 0 });
    expect(scan('abcd,ef\n', { maxHeaderChars: 5 })).toMatchObject({ error: 'header from line 1 too long' });
    // "é" is one unit, "😀" two (a surrogate pair), whatever their UTF-8 length.
    expect(scan('é😀,ab\n', { maxHeaderChars: 5 })).toMatchObject({ rows: 0 });
    expect(scan('é😀,abc\n', { maxHeaderChars: 5 })).toMatchObject({ error: 'header from line 1 too long' });
    expect(scan('\n\n"open\n1,2\n', { maxHeaderChars: 5 })).toMatchObject({ error: 'header from line 3 too long' });
    // Leading whitespace beyond the limit: harmless on a blank line, too long before text.
    expect(scan('\n      x\n', { maxHeaderChars: 3 })).toMatchObject({ error: 'header from line 2 too long' });
    expect(scan('      \nx\n', { maxHeaderChars: 3 })).toMatchObject({ header: { fields: ['x'] } });

    const scanner = new PandasCsvScanner({ delimiter: 0x2c, maxHeaderChars: 3, maxHeaderFields: 10, onHeader: () => undefined });
    scanner.scan(Buffer.from([0xe9, 0xe9]));
    scanner.countHeaderCharsAs('bytes');
    expect(() => scanner.scan(Buffer.from([0xe9, 0xe9]))).toThrow(HeaderTooLongError);
  });

  it('keeps the bytes of at most maxHeaderFields fields but counts them all', () => {
    expect(scan('a,b,c,d\n1\n', { maxHeaderFields: 2 })).toEqual({ header: { fields: ['a', 'b'], fieldCount: 4, line: 1 }, rows: 1 });
  });

  it('keeps non-ASCII header bytes as they are', () => {
    expect(headerOf('Größe,"€ ""x"""\n')).toEqual(['Größe', '€ "x"']);
    const latin1 = scan(Buffer.from('caf\xe9,\x80\n1,2\n', 'latin1'));
    expect(latin1).toMatchObject({ rows: 1 });
  });

  it.each([',', ';', '|', '\t'])('works with %j as the delimiter', (delimiter) => {
    const text = 'a,b,c\n1,"x,y",3\n"q""q",,\n'.replaceAll(',', delimiter);
    expect(scan(text, { delimiter: delimiter.charCodeAt(0) })).toEqual({
      header: { fields: ['a', 'b', 'c'], fieldCount: 3, line: 1 },
      rows: 2,
    });
  });

  it('rejects a delimiter that is a quote or a line break', () => {
    for (const delimiter of [0x22, 0x0a, 0x0d, 0x100]) {
      expect(() => new PandasCsvScanner({ delimiter, maxHeaderChars: 1, maxHeaderFields: 1, onHeader: () => undefined })).toThrow(/delimiter/);
    }
  });

  // Chunk boundaries may fall anywhere: inside \r\n, between the quotes of "", inside a
  // multi-byte character, inside leading whitespace, right after a closing quote.
  it.each([
    ['split \\r\\n and lone \\r', 'a,b\r\n1,2\r\r\n3,4\r5,6\r'],
    ['split "" escapes and closing quotes', 'h1,"h""2"\n"x""",y\n"",""""\n"5" w,1\n'],
    ['quoted line breaks', '"a\r\nb",c\n"1\r2",\r\n"\n",3\n'],
    ['whitespace lines and whitespace before text', ' \t\n  h,"i"\n \r\n \t "x",y\n\t\n'],
    ['multi-byte characters', 'Größe,€uro\n"😀,ü",é\r\nñ,"ß""ß"\n'],
    ['a longer row after the first', 'a,b\n1,2,3\n"4\n",5,6\n7,8,9,10\n'],
    ['a longer row after \r\n, \r and quoted line breaks', 'a,b\r\n1,2,3\r\r\n"4\r\n",5\r\n \r\n7,8,9,10\r\n'],
    ['an unclosed quote', 'a,b\n1,2\n3,"4\n5,6\n'],
    ['blank lines only', '\r\n \n\r\t\r\n'],
    ['delimiters after blank lines that end in \\r', 'a,b\r\r,x,y\r\n \r,1\n\r\r\n,2\r,3\r\r,\r'],
  ])('gives the same result however the input is cut: %s', (_name, text) => {
    const bytes = Buffer.from(text, 'utf8');
    const whole = scan(bytes);
    const differing = everySplit(bytes.length).filter((cuts) => JSON.stringify(scanPieces(bytes, cuts)) !== JSON.stringify(whole));
    expect(differing).toEqual([]);
    const oneByteAtATime = [...bytes.keys()].slice(1);
    expect(scanPieces(bytes, oneByteAtATime)).toEqual(whole);
  });

  it('gives the results the rules above predict for the cut inputs', () => {
    expect(scan('h1,"h""2"\n"x""",y\n"",""""\n"5" w,1\n')).toEqual({ header: { fields: ['h1', 'h"2'], fieldCount: 2, line: 1 }, rows: 3 });
    expect(scan('Größe,€uro\n"😀,ü",é\r\nñ,"ß""ß"\n')).toEqual({ header: { fields: ['Größe', '€uro'], fieldCount: 2, line: 1 }, rows: 2 });
    expect(scan(' \t\n  h,"i"\n \r\n \t "x",y\n\t\n')).toEqual({ header: { fields: ['  h', 'i'], fieldCount: 2, line: 2 }, rows: 1 });
    expect(scan('a,b\n1,2,3\n"4\n",5,6\n7,8,9,10\n')).toMatchObject({ error: 'line 5: 4 fields, expected 3' });
    expect(scan('a,b\r\n1,2,3\r\r\n"4\r\n",5\r\n \r\n7,8,9,10\r\n')).toMatchObject({ error: 'line 7: 4 fields, expected 3' });
  });
});
