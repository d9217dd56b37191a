import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { FileMetadata as FileMetadataSchema } from '@assay/contracts';
import { ErrorCode, isAssayError } from '@assay/errors';
import { inspectFile } from '@assay/ingest';
import { readManyCsvWithPandas, readWithPandas } from './support/pandas-oracle';
import { useTempDir } from './support/temp-dir';

/**
 * The CSV reader scans bytes in fixed-size reads (1 MiB) and only decodes the header. These
 * files put what is hard to get right exactly on those read boundaries (a character's bytes,
 * `\r\n`, `""`, a surrogate pair of UTF-16), and switch encodings late in the file; what
 * inspectFile reports must still be what pandas 1.5.3 reads with the reported encoding and
 * delimiter, and where inspectFile refuses a file, pandas must fail on it too.
 */
const MiB = 1024 * 1024;

/** A row that is cut by a read boundary `cutAfter` bytes into it. */
interface CutRow {
  bytes: Buffer;
  cutAfter: number;
}

/** `row` cut right after the first occurrence of `before` in it (plus `extra` bytes). */
function cutAfter(row: string | Buffer, before: string | Buffer, extra = 0): CutRow {
  const bytes = typeof row === 'string' ? Buffer.from(row, 'utf8') : row;
  const at = bytes.indexOf(typeof before === 'string' ? Buffer.from(before, 'utf8') : before);
  if (at < 0) throw new Error(`"${before.toString()}" is not in the row`);
  return { bytes, cutAfter: at + (typeof before === 'string' ? Buffer.byteLength(before) : before.length) + extra };
}

/** Filler rows (`i,filler…,i\n`, three fields) taking exactly `length` bytes (at least 200 characters' worth). */
function filler(length: number, encode: (text: string) => Buffer): Buffer {
  const rows: Buffer[] = [];
  let left = length;
  let i = 0;
  const unit = encode('x').length;
  while (left > 0) {
    const base = `${i},filler,${i}\n`;
    const baseBytes = encode(base).length;
    // Rows of 100 padding characters, then one row padded to end exactly at `length`.
    const pad = left - baseBytes <= 300 * unit ? (left - baseBytes) / unit : 100;
    const row = encode(`${i},filler${'x'.repeat(pad)},${i}\n`);
    rows.push(row);
    left -= row.length;
    i += 1;
  }
  return Buffer.concat(rows);
}

/**
 * `head`, then each row of `cuts` placed so that the k-th read boundary (k MiB from the start
 * of the file) falls inside it, filler rows in between, then `tail`.
 */
function acrossReads(head: Buffer, cuts: readonly CutRow[], tail: Buffer, encode: (text: string) => Buffer = (text) => Buffer.from(text, 'utf8')): Buffer {
  const parts: Buffer[] = [head];
  let length = head.length;
  cuts.forEach((cut, index) => {
    const boundary = (index + 1) * MiB;
    parts.push(filler(boundary - cut.cutAfter - length, encode), cut.bytes);
    length = boundary - cut.cutAfter + cut.bytes.length;
  });
  parts.push(tail);
  const file = Buffer.concat(parts);
  // The layout is what the test is about: check it.
  cuts.forEach((cut, index) => {
    const start = (index + 1) * MiB - cut.cutAfter;
    if (!file.subarray(start, start + cut.bytes.length).equals(cut.bytes)) throw new Error('row misplaced');
  });
  return file;
}

/** 1-based line of the first occurrence of `text` in a file whose lines end in \n or \r\n. */
function lineOf(file: Buffer, text: string): number {
  const at = file.indexOf(text);
  if (at < 0) throw new Error(`"${text}" is not in the file`);
  let line = 1;
  for (let index = file.indexOf(0x0a); index !== -1 && index < at; index = file.indexOf(0x0a, index + 1)) line += 1;
  return line;
}

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');
const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');
const utf16le = (text: string): Buffer => Buffer.from(text, 'utf16le');
const utf16be = (text: string): Buffer => Buffer.from(text, 'utf16le').swap16();

describe('CSV read boundaries and encodings match pandas', () => {
  const dir = useTempDir('assay-ingest-csv-boundaries');

  it.each([
    {
      title: 'UTF-8: split characters, \\r\\n, "" escapes, quoted line breaks and blank lines on read boundaries',
      file: 'split.csv',
      encoding: 'utf-8',
      bytes: () =>
        acrossReads(
          utf8('id,text,n\n'),
          [
            cutAfter('1,"Stra\u00dfe ""quoted"" \u20ac",3\r\n', 'Stra', 1),
            cutAfter('2,plain,4\r\n', '4\r'),
            cutAfter('3,"say ""hi""",5\n', 'say "'),
            cutAfter('4,"a\r\nb",6\n', '"a\r'),
            cutAfter('5,\u{1f600} x,7\n', '5,', 1),
            cutAfter('6,\u{1f600} y,8\n', '6,', 2),
            cutAfter('7,"\u{1f600}",9\n', '7,"', 3),
            cutAfter('  \t  \n', '  \t'),
            cutAfter('8,"5" wide,10\r', '"5"'),
          ],
          utf8('9,last,11'),
        ),
    },
    {
      title: 'UTF-16 LE with BOM: a surrogate pair and a code unit cut by read boundaries',
      file: 'utf16le.csv',
      encoding: 'utf-16',
      bytes: () =>
        acrossReads(
          Buffer.concat([Buffer.from([0xff, 0xfe]), utf16le('Name;Ort;\u{1f600}\n')]),
          // Reads start at even offsets, as code units do: a boundary can split a surrogate pair, not a unit.
          [cutAfter(utf16le('1;"\u{1f600}; x";2\r\n'), utf16le('1;"'), 2), cutAfter(utf16le('2;K\u00f6ln;3\r\n'), utf16le('2;K\u00f6')), cutAfter(utf16le('3;x;4\r\n'), utf16le('4\r'))],
          utf16le('4;"\u00e9\n\u00e8";5\n'),
          (text) => utf16le(text.replaceAll(',', ';')),
        ),
    },
    {
      title: 'UTF-16 BE with BOM',
      file: 'utf16be.csv',
      encoding: 'utf-16',
      bytes: () => Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be('Stadt|Einwohner\nM\u00fcnchen|"1,5 Mio|"\r\n\u{1f600}|2\n')]),
    },
    {
      title: 'invalid UTF-8 after the first read, with a byte undefined in cp1252 before it (as a UTF-8 continuation byte): latin-1',
      file: 'late-latin1.csv',
      encoding: 'latin-1',
      bytes: () => Buffer.concat([utf8('name,value,n\n\u00c1gua,1,2\n'), filler(Math.floor(1.5 * MiB), utf8), latin1('caf\xe9,2\n')]),
    },
    {
      title: 'UTF-8 text with one invalid byte late: cp1252, the UTF-8 header read as cp1252',
      file: 'late-cp1252.csv',
      encoding: 'cp1252',
      bytes: () => Buffer.concat([utf8('pr\u00e9nom;\u20ac;n\n1;2;3\n'), filler(Math.floor(2.2 * MiB), (text) => utf8(text.replaceAll(',', ';'))), latin1('\x80;3\n')]),
    },
    {
      title: 'a character cut off by the end of the file: cp1252',
      file: 'cut-end.csv',
      encoding: 'cp1252',
      bytes: () => Buffer.concat([utf8('a,b\n1,2\n3,'), Buffer.from([0xe2, 0x82])]),
    },
    {
      title: 'a UTF-8 BOM on text that turns out not to be UTF-8 after the first read: cp1252, the BOM part of the header',
      file: 'bom-late.csv',
      encoding: 'cp1252',
      bytes: () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8('\nid,x,n\n'), filler(Math.floor(1.2 * MiB), utf8), latin1('\x93q\x94,1\n')]),
    },
    {
      title: 'only lone \\r line ends, with quoted \\r',
      file: 'classic-mac.csv',
      encoding: 'utf-8',
      bytes: () => utf8('a,b\r1,"x\ry"\r\r  \r2,3\r'),
    },
    {
      title: 'semicolons: quoted delimiters, quotes and line breaks',
      file: 'semicolon.csv',
      encoding: 'utf-8',
      bytes: () => utf8('x;y;z\n"a;b";"c""d";"e\nf"\n1;2;3\n"";;\n'),
    },
    {
      title: 'pipes: quoted delimiters and a shorter row',
      file: 'pipes.csv',
      encoding: 'utf-8',
      bytes: () => utf8('x|y|z\n"a|b"|c|d\n1|2\n'),
    },
    {
      title: 'a .tsv with quoted tabs and line breaks, and an empty header',
      file: 'quoted.tsv',
      encoding: 'utf-8',
      bytes: () => utf8('p\t\tq\n"1\t2"\t"3\n4"\t5\n\t\t\n'),
    },
  ])('$title', async ({ file, bytes, encoding }) => {
    const path = join(dir(), file);
    await writeFile(path, bytes());
    const format = file.endsWith('.tsv') ? 'tsv' : 'csv';
    const metadata = await inspectFile({ path, format, name: file });
    expect(FileMetadataSchema.safeParse(metadata).success).toBe(true);
    expect(metadata.encoding).toBe(encoding);
    const pandas = await readWithPandas(path, format, { delimiter: metadata.delimiter, encoding: metadata.encoding, name: metadata.sheets[0]?.name });
    expect(metadata.sheets).toEqual(pandas);
  });

  it.each([
    {
      title: 'a row with too many fields just after a read boundary',
      file: 'ragged-late.csv',
      encoding: 'utf-8',
      // Lines as an editor shows them (pandas's own message does not count quoted line breaks).
      says: (file: Buffer) => `line ${lineOf(file, '1,"x,y",2,3')} has 4 fields where the rows above have 3`,
      bytes: () => acrossReads(utf8('id,text,n\n'), [cutAfter('0,"a\r\nb",1\r\n', '1\r'), cutAfter('1,"x,y",2,3\n', '1,"x')], utf8('')),
    },
    {
      title: 'a quote opened before a read boundary and never closed',
      file: 'unclosed-late.csv',
      encoding: 'utf-8',
      says: (file: Buffer) => `a quoted field that starts on line ${lineOf(file, '1,"open')} is never closed`,
      bytes: () => acrossReads(utf8('id,text,n\n'), [cutAfter('1,"open,2\n', '"op')], utf8('2,b,3\n')),
    },
    {
      title: 'UTF-16 with an unpaired surrogate',
      file: 'bad-utf16.csv',
      encoding: 'utf-16',
      says: () => 'not valid utf-16',
      bytes: () => Buffer.concat([Buffer.from([0xff, 0xfe]), utf16le('a,b\n1,'), Buffer.from([0x00, 0xd8]), utf16le('x\n')]),
    },
  ])('refuses what pandas cannot read either: $title', async ({ file, bytes, encoding, says }) => {
    const path = join(dir(), file);
    const content = bytes();
    await writeFile(path, content);
    const error = await inspectFile({ path, format: 'csv', name: file }).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(isAssayError(error) && error.code).toBe(ErrorCode.FILE_UNREADABLE);
    expect(error instanceof Error ? error.message : '').toContain(says(content));
    const [pandas] = await readManyCsvWithPandas([{ path, delimiter: ',', encoding }]);
    expect(pandas?.ok).toBe(false);
  });

  it('refuses a header row longer than 4 Mi characters (an unclosed quote in it)', async () => {
    const path = join(dir(), 'long-header.csv');
    await writeFile(path, Buffer.concat([utf8('a,"b\n'), filler(5 * MiB, utf8)]));
    const error = await inspectFile({ path, format: 'csv', name: 'long-header.csv' }).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(isAssayError(error) && error.code).toBe(ErrorCode.FILE_UNREADABLE);
    expect(error instanceof Error ? error.message : '').toContain('header row (line 1) is longer than 4194304 characters');
  });

  it('stops reading a large file when the time limit is reached', async () => {
    const path = join(dir(), 'large.csv');
    await writeFile(path, Buffer.concat([utf8('id,text,n\n'), filler(40 * MiB, utf8)]));
    const error = await inspectFile({ path, format: 'csv', name: 'large.csv', limits: { timeoutMs: 1 } }).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(isAssayError(error) && error.code).toBe(ErrorCode.FILE_UNREADABLE);
    expect(error instanceof Error ? error.message : '').toContain('took longer than');
  });
});
