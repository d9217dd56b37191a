import { describe, expect, it } from '@jest/globals';
import { type CsvRecord, PandasCsvTokenizer, UnclosedQuoteError } from './pandas-csv-tokenizer';

/** Tokenizes `text` in pieces of `chunk` characters; returns every record with its fields. */
function tokenize(text: string, delimiter = ',', chunk = text.length || 1): CsvRecord[] {
  const records: CsvRecord[] = [];
  const tokenizer = new PandasCsvTokenizer({ delimiter, maxCapturedChars: 1_000, onRecord: (record) => records.push(record) });
  for (let i = 0; i < text.length; i += chunk) tokenizer.write(text.slice(i, i + chunk));
  tokenizer.end();
  return records;
}

const fields = (records: CsvRecord[]): Array<string[] | undefined> => records.map((record) => record.fields);

// Expected splits are what pandas 1.5.3's read_csv does with the same text (checked by the
// differential tests in tests/ingest against a live pandas).
describe('PandasCsvTokenizer', () => {
  it.each([1, 2, 3, 100])('splits records and fields the same way in chunks of %i characters', (chunk) => {
    const text = 'a,b\n1,"x\ny"\n\n   \n"say ""hi""",\r\n"5" wide,"q"\r3,4';
    expect(fields(tokenize(text, ',', chunk))).toEqual([
      ['a', 'b'],
      ['1', 'x\ny'],
      ['say "hi"', ''],
      ['5 wide', 'q'],
      ['3', '4'],
    ]);
  });

  it('keeps a quote inside an unquoted field, and whitespace before a quote, as text', () => {
    expect(fields(tokenize('12" pipe,x\n  "a",b\n'))).toEqual([
      ['12" pipe', 'x'],
      ['  "a"', 'b'],
    ]);
  });

  it('counts a line of only a delimiter, or of an empty quoted field, as a record', () => {
    expect(tokenize('a,b\n,\n""\n').map((record) => record.fieldCount)).toEqual([2, 2, 1]);
  });

  it('skips lines of spaces and tabs, except tabs that are the delimiter', () => {
    expect(tokenize('a\n \t \n\t\nb\n').length).toBe(2);
    expect(tokenize('a\tb\n \n\t\n1\t2\n', '\t').map((record) => record.fieldCount)).toEqual([2, 2, 2]);
  });

  it('reports the line a record starts on, counting line breaks inside quotes', () => {
    expect(tokenize('h\n"a\nb"\n\nc\r\nd\re').map((record) => record.line)).toEqual([1, 2, 5, 6, 7]);
  });

  it('fails on a quote left open at the end', () => {
    expect(() => tokenize('a,b\n1,"open\n2,3\n')).toThrow(UnclosedQuoteError);
  });

  it('stops collecting field text when told to', () => {
    const records: CsvRecord[] = [];
    const tokenizer = new PandasCsvTokenizer({
      delimiter: ';',
      maxCapturedChars: 1_000,
      onRecord: (record) => {
        records.push(record);
        tokenizer.captureFields = false;
      },
    });
    tokenizer.write('h1;h2\n1;2;3\n');
    tokenizer.end();
    expect(records.map((record) => [record.fieldCount, record.fields])).toEqual([
      [2, ['h1', 'h2']],
      [3, undefined],
    ]);
  });
});
