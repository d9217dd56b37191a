import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { isAssayError } from '@assay/errors';
import { inspectFile } from '@assay/ingest';
import { z } from 'zod';
import { runPython } from './support/python';
import { handWrittenWorkbookEntries, SPREADSHEET_NS, writeZips, type ZipSpec } from './support/table-files';
import { useTempDir } from './support/temp-dir';

/** Deterministic generator (same files on every run, so a failure can be reproduced); high bits only. */
function generator(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return Math.floor((state / 2 ** 31) * n);
  };
}

/** Shared strings with the cases openpyxl reads in its own way: empty, `x005F_` only, rich runs, last `<t>` wins, phonetic runs. */
const SHARED_STRINGS = [
  '<si><t>Region</t></si>',
  '<si><t></t></si>',
  '<si><t>x005F_</t></si>',
  '<si><t xml:space="preserve">  </t></si>',
  '<si><r><t>Ri</t></r><r><rPr><b/></rPr><t>ch</t></r></si>',
  '<si><r><t>x00</t></r><r><t>5F_</t></r></si>',
  '<si><t>a</t><t></t></si>',
  '<si><t>b</t><rPh sb="0" eb="1"><t>ignored</t></rPh></si>',
  '<si/>',
  '<si><t>&#120;005F_x005F_</t></si>',
  '<si><t>North &amp; South</t></si>',
  '<si><t>2021</t></si>',
];
const SHARED_STRINGS_XML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="${SPREADSHEET_NS}" count="${SHARED_STRINGS.length}" uniqueCount="${SHARED_STRINGS.length}">${SHARED_STRINGS.join('')}</sst>`;
/** Style 1 is a date, style 2 a plain number format. */
const STYLES_XML = `<styleSheet xmlns="${SPREADSHEET_NS}"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts><cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="2"/></cellXfs></styleSheet>`;

const NUMBERS = ['1', '2.5', '1.0', '-3', '1e3', '0.1', '44197', '2021', '1E+20', '007'];

function columnLetters(column: number): string {
  let letters = '';
  for (let rest = column; rest > 0; rest = Math.floor((rest - 1) / 26)) letters = String.fromCharCode(65 + ((rest - 1) % 26)) + letters;
  return letters;
}

/** One random cell's XML (without the `<c` attributes' reference, added by the caller). */
function randomCell(next: (n: number) => number, reference: string, p: string): string {
  const r = reference === '' ? '' : ` r="${reference}"`;
  switch (next(12)) {
    case 0:
    case 1:
      return `<${p}c${r}${next(3) === 0 ? ` s="${next(3)}"` : ''}><${p}v>${NUMBERS[next(NUMBERS.length)] ?? '1'}</${p}v></${p}c>`;
    case 2:
    case 3:
      return `<${p}c${r} t="s"><${p}v>${next(SHARED_STRINGS.length)}</${p}v></${p}c>`;
    case 4: {
      const inline = ['<is><t>inl</t></is>', '<is><t></t></is>', '', '<is><r><t>a</t></r><r><t></t></r></is>', '<is/>', '<is><t xml:space="preserve"> </t></is>'][next(6)] ?? '';
      return `<${p}c${r} t="inlineStr">${inline.replace(/<(\/?)(is|t|r)\b/g, `<$1${p}$2`)}</${p}c>`;
    }
    case 5:
      return `<${p}c${r} t="str"><${p}f>A1</${p}f><${p}v>${['calc', '', 'x'][next(3)] ?? ''}</${p}v></${p}c>`;
    case 6:
      return `<${p}c${r} t="b"><${p}v>${next(2)}</${p}v></${p}c>`;
    case 7:
      return `<${p}c${r} t="e"><${p}v>#N/A</${p}v></${p}c>`;
    case 8:
      return `<${p}c${r} t="d"><${p}v>${['2021-03-04T05:06:07', '2021-03-04', '05:06'][next(3)] ?? ''}</${p}v></${p}c>`;
    case 9:
      return `<${p}c${r} s="${1 + next(2)}"/>`;
    case 10:
      return `<${p}c${r}><${p}v></${p}v></${p}c>`;
    default:
      return `<${p}c${r}><${p}f>1+1</${p}f></${p}c>`;
  }
}

/** A random worksheet: rows and cells with and without references, gaps, repeats, out of order. */
function randomSheet(next: (n: number) => number, rowCount: number, maxCells: number): string {
  const prefixed = next(10) === 0;
  const pretty = next(5) === 0;
  const p = prefixed ? 'x:' : '';
  const gap = pretty ? '\n  ' : '';
  const rows: string[] = [];
  let rowNumber = 0;
  for (let i = 0; i < rowCount; i += 1) {
    const choice = next(10);
    let rowAttribute: string;
    if (choice === 0) {
      rowAttribute = '';
      rowNumber += 1;
    } else if (choice === 1) {
      rowNumber = Math.max(1, rowNumber - next(2));
      rowAttribute = ` r="${rowNumber}"`;
    } else {
      rowNumber += 1 + (next(8) === 0 ? next(3) : 0);
      rowAttribute = ` r="${rowNumber}"`;
    }
    if (next(12) === 0) {
      rows.push(`<${p}row${rowAttribute} s="1" customFormat="1"/>`);
      continue;
    }
    const cells: string[] = [];
    let column = 0;
    const cellCount = next(maxCells + 1);
    for (let j = 0; j < cellCount; j += 1) {
      const how = next(20);
      let reference: string;
      if (how === 0) {
        reference = '';
        column += 1;
      } else if (how === 1) {
        column = 1 + next(6);
        reference = `${columnLetters(column)}${rowNumber}`;
      } else if (how === 2) {
        reference = `${columnLetters(Math.max(1, column))}${rowNumber}`;
      } else {
        column += 1 + (next(6) === 0 ? next(3) : 0);
        reference = `${columnLetters(column)}${rowNumber}`;
      }
      cells.push(randomCell(next, reference, p));
    }
    rows.push(`<${p}row${rowAttribute} spans="1:6">${gap}${cells.join(gap)}${gap}</${p}row>`);
  }
  const namespace = prefixed ? `xmlns:x="${SPREADSHEET_NS}"` : `xmlns="${SPREADSHEET_NS}"`;
  const dimension = next(2) === 0 ? `<${p}dimension ref="${['A1', 'C3:D4', 'A1:Z99'][next(3)] ?? 'A1'}"/>` : '';
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<${p}worksheet ${namespace}>${dimension}<${p}sheetData>${gap}${rows.join(gap)}${gap}</${p}sheetData></${p}worksheet>`;
}

/** What `read_excel(sheet_name=None)` gives per file: the sheets, or the exception. */
const Outcome = z.union([
  z.object({ ok: z.literal(true), sheets: z.array(z.object({ name: z.string(), headers: z.array(z.string()), rowCount: z.number().int() })) }),
  z.object({ ok: z.literal(false), error: z.string() }),
]);
type Outcome = z.infer<typeof Outcome>;

const BATCH_ORACLE = String.raw`
import json, sys, warnings
warnings.simplefilter("ignore")
import pandas as pd
results = []
for path in json.load(sys.stdin):
    try:
        frames = pd.read_excel(path, sheet_name=None)
        results.append({"ok": True, "sheets": [{"name": k, "headers": [str(c) for c in f.columns], "rowCount": len(f)} for k, f in frames.items()]})
    except Exception as error:
        results.append({"ok": False, "error": type(error).__name__ + ": " + str(error)[:200]})
print(json.dumps(results))
`;

/**
 * Randomised differential test of the worksheet scan: hand-written sheets mixing what decides
 * pandas's row count and width — rows and cells with and without references, gaps, repeated and
 * out-of-order rows and cells, styled empty cells and rows, empty `<v>`, formulas without a cached
 * value, every cell type, shared strings that openpyxl reads as empty, prefixed elements and
 * pretty-printed XML. Large sheets cross the 256 KiB read chunks at arbitrary places. Whenever
 * pandas reads a file, inspectFile must report the same sheets.
 */
describe('workbook row counts and headers match pandas on random sheets', () => {
  const dir = useTempDir('assay-ingest-random-xlsx');

  it.each([
    { title: 'small sheets', seed: 5, files: 300, rows: 8, cells: 6 },
    { title: 'large sheets crossing read chunks', seed: 17, files: 4, rows: 12_000, cells: 8 },
  ])('$title', async ({ seed, files, rows, cells }) => {
    const next = generator(seed);
    const zips: ZipSpec[] = [];
    for (let i = 0; i < files; i += 1) {
      const sheetCount = 1 + next(2);
      const sheets = Array.from({ length: sheetCount }, (_, s) => ({ name: `S${s}`, xml: randomSheet(next, rows === 8 ? next(rows) : rows, cells) }));
      zips.push({
        path: join(dir(), `random-${i}.xlsx`),
        entries: handWrittenWorkbookEntries({ sheets, sharedStrings: SHARED_STRINGS_XML, styles: STYLES_XML, date1904: next(4) === 0 }),
      });
    }
    await writeZips(zips);

    const ours: Outcome[] = [];
    for (const { path } of zips) {
      try {
        const metadata = await inspectFile({ path, format: 'xlsx', name: 'random.xlsx' });
        ours.push({ ok: true, sheets: metadata.sheets });
      } catch (error) {
        if (!isAssayError(error)) throw error;
        ours.push({ ok: false, error: error.message });
      }
    }
    const pandas = z.array(Outcome).parse(JSON.parse(await runPython(BATCH_ORACLE, [], JSON.stringify(zips.map((zip) => zip.path)))));

    const differences = zips
      .map((zip, index) => ({ file: zip.path, ours: ours[index], pandas: pandas[index] }))
      .filter(({ ours: a, pandas: b }) => b?.ok === true && JSON.stringify(a) !== JSON.stringify(b));
    expect(differences).toEqual([]);
    // pandas must read nearly all of them, or the test proves little.
    expect(pandas.filter((outcome) => outcome.ok).length).toBeGreaterThan(files * 0.9);
  });
});

