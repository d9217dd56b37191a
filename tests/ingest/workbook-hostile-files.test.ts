import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it, jest } from '@jest/globals';
import type { FileFormat } from '@assay/contracts';
import { z } from 'zod';
import { billionLaughs, craftEncryptedOoxml, lieAboutZipEntrySize, MINIMAL_PDF } from './support/crafted-files';
import { runPython } from './support/python';
import {
  handWrittenWorkbookEntries,
  type HandWrittenWorkbook,
  SPREADSHEET_NS,
  writeXlsWithXlwt,
  writeZip,
  writeZips,
  type ZipEntrySpec,
} from './support/table-files';
import { useTempDir } from './support/temp-dir';

/** The built package, as services run it; `npm test` builds before running jest. */
const INGEST_DIST = resolve(__dirname, '../../packages/ingest/dist/index.js');

/** Peak resident memory allowed for the process that inspects one hostile file. */
const MEMORY_BUDGET_BYTES = 200 * 1024 * 1024;
/** Time budget given to each inspection: a file that defeats the limits ends as a timeout, never a hang. */
const TIMEOUT_MS = 30_000;
/** For files that must reach the XML scanner's own limits rather than the zip's compression ratio check. */
const NO_RATIO_LIMIT = { maxCompressionRatio: 1_000_000 };

// Each case starts a process; generous against a loaded machine, above TIMEOUT_MS.
jest.setTimeout(120_000);

/** Inspects one file in a fresh Node process and reports the outcome and that process's peak RSS (VmHWM). */
const CHILD = String.raw`
const { inspectFile } = require(process.env.INGEST_DIST);
let input = '';
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  // VmHWM: this process's own peak (getrusage's maxRSS can include what the parent had before exec).
  const peak = () => {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(require('node:fs').readFileSync('/proc/self/status', 'utf8'));
    return match === null ? process.resourceUsage().maxRSS * 1024 : Number(match[1]) * 1024;
  };
  const finish = (outcome) => process.stdout.write(JSON.stringify({ ...outcome, maxRssBytes: peak() }));
  inspectFile(JSON.parse(input)).then(
    (metadata) => finish({ ok: true, sheets: metadata.sheets.map((sheet) => ({ name: sheet.name, columns: sheet.headers.length, rowCount: sheet.rowCount })) }),
    (error) => finish({ ok: false, code: String(error.code), message: String(error.message), details: error.details ?? {} }),
  );
});
`;

const ChildOutcome = z.intersection(
  z.union([
    z.object({ ok: z.literal(true), sheets: z.array(z.object({ name: z.string(), columns: z.number(), rowCount: z.number() })) }),
    z.object({ ok: z.literal(false), code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()) }),
  ]),
  z.object({ maxRssBytes: z.number() }),
);
type ChildOutcome = z.infer<typeof ChildOutcome>;

async function inspectInChild(options: { path: string; format: FileFormat; name: string; limits?: Record<string, number> }): Promise<ChildOutcome> {
  const out = await new Promise<string>((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['-e', CHILD], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, INGEST_DIST } });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolvePromise(Buffer.concat(chunks).toString('utf8'));
      else reject(new Error(`the inspecting process exited with ${String(code)}: ${stderr}`));
    });
    child.stdin.end(JSON.stringify({ ...options, limits: { timeoutMs: TIMEOUT_MS, ...options.limits } }));
  });
  return ChildOutcome.parse(JSON.parse(out));
}

/**
 * Hostile and broken workbooks: each is inspected in its own process, and must end as a clear
 * `FILE_UNREADABLE` (saying what is wrong) with that process's peak RSS under 200 MB, inside
 * the time limit (`limits.timeoutMs`; a hang would end as a timeout, which these tests reject).
 */
describe('hostile workbooks fail clearly within memory and time budgets', () => {
  const dir = useTempDir('assay-ingest-hostile');
  const file = (name: string): string => join(dir(), name);

  async function expectRefused(name: string, format: FileFormat, says: string[], limits: Record<string, number> = {}): Promise<ChildOutcome> {
    const outcome = await inspectInChild({ path: file(name), format, name, limits });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return outcome;
    expect(outcome.code).toBe('FILE_UNREADABLE');
    expect(outcome.message.startsWith(`${name} cannot be read: `)).toBe(true);
    for (const text of says) expect(outcome.message).toContain(text);
    if (limits.timeoutMs === undefined) expect(outcome.message).not.toContain('took longer than');
    expect(outcome.maxRssBytes).toBeLessThan(MEMORY_BUDGET_BYTES);
    return outcome;
  }

  const sheet = (rows: string, before = ''): string => `<worksheet xmlns="${SPREADSHEET_NS}">${before}<sheetData>${rows}</sheetData></worksheet>`;
  const plainBook = (overrides: Partial<HandWrittenWorkbook> = {}): HandWrittenWorkbook => ({
    sheets: [{ name: 'Data', xml: sheet('<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2"><v>1</v></c></row>') }],
    sharedStrings: `<sst xmlns="${SPREADSHEET_NS}"><si><t>h</t></si></sst>`,
    ...overrides,
  });
  /** A hand-written book with one entry replaced or added. */
  async function bookWith(name: string, entry: ZipEntrySpec, base: HandWrittenWorkbook = plainBook()): Promise<void> {
    const entries: ZipEntrySpec[] = handWrittenWorkbookEntries(base).filter((existing) => existing.name !== entry.name);
    entries.push(entry);
    await writeZips([{ path: file(name), entries }]);
  }

  describe('zip bombs', () => {
    it('a worksheet compressed far beyond spreadsheet XML (ratio check, before inflating)', async () => {
      await bookWith('bomb.xlsx', { name: 'xl/worksheets/sheet1.xml', prefix: `<worksheet xmlns="${SPREADSHEET_NS}"><sheetData>`, repeat: '<row/>', times: 50_000_000, suffix: '</sheetData></worksheet>' });
      await expectRefused('bomb.xlsx', 'xlsx', ['xl/worksheets/sheet1.xml', 'zip bombs']);
    });

    it('a bomb hidden in the shared strings', async () => {
      await bookWith('strings-bomb.xlsx', { name: 'xl/sharedStrings.xml', prefix: `<sst xmlns="${SPREADSHEET_NS}"><si><t>`, repeat: 'a', times: 300_000_000, suffix: '</t></si></sst>' });
      await expectRefused('strings-bomb.xlsx', 'xlsx', ['xl/sharedStrings.xml', 'zip bombs']);
    });

    it('shared strings of 340 MB that compress just under the ratio limit are read in bounded memory', async () => {
      await bookWith('many-strings.xlsx', { name: 'xl/sharedStrings.xml', prefix: `<sst xmlns="${SPREADSHEET_NS}"><si><t>h</t></si>`, repeat: '<si><t>a</t></si>', times: 20_000_000, suffix: '</sst>' });
      const outcome = await inspectInChild({ path: file('many-strings.xlsx'), format: 'xlsx', name: 'many-strings.xlsx' });
      expect(outcome).toMatchObject({ ok: true, sheets: [{ name: 'Data', columns: 1, rowCount: 1 }] });
      expect(outcome.maxRssBytes).toBeLessThan(MEMORY_BUDGET_BYTES);
    });

    it('more unpacked bytes in all than allowed, each part looking ordinary', async () => {
      await writeZips([
        {
          path: file('total.xlsx'),
          entries: [
            ...handWrittenWorkbookEntries(plainBook()),
            { name: 'xl/media/a.bin', prefix: '', repeat: 'abcdefghijklmnopqrstuvwxyz0123456789', times: 200_000, suffix: '' },
          ],
        },
      ]);
      await expectRefused('total.xlsx', 'xlsx', ['unpacks to', 'at most 4 MiB'], { maxUncompressedBytes: 4 * 1024 * 1024 });
    });

    it.each([
      { part: 'xl/sharedStrings.xml', text: `<sst xmlns="${SPREADSHEET_NS}">${'<si><t>header text</t></si>'.repeat(200_000)}</sst>` },
      { part: 'xl/worksheets/sheet1.xml', text: sheet(Array.from({ length: 100_000 }, (_, i) => `<row r="${i + 1}"><c r="A${i + 1}"><v>${i}</v></c></row>`).join('')) },
    ])('a part whose zip headers declare far fewer bytes than it inflates to ($part)', async ({ part, text }) => {
      await bookWith('honest.xlsx', { name: part, text });
      const liar = lieAboutZipEntrySize(await readFile(file('honest.xlsx')), part, 1000);
      await writeFile(file('liar.xlsx'), liar);
      await expectRefused('liar.xlsx', 'xlsx', ['damaged', part, 'more than the 1000 bytes']);
    });
  });

  describe('XML that expands or fetches entities', () => {
    it.each([
      { part: 'xl/sharedStrings.xml', xml: billionLaughs(`<sst xmlns="${SPREADSHEET_NS}">`, '</sst>', '<si><t>ENTITY</t></si>') },
      { part: 'xl/worksheets/sheet1.xml', xml: billionLaughs(`<worksheet xmlns="${SPREADSHEET_NS}"><sheetData>`, '</sheetData></worksheet>', '<row r="1"><c r="A1" t="inlineStr"><is><t>ENTITY</t></is></c></row>') },
      { part: 'xl/styles.xml', xml: billionLaughs(`<styleSheet xmlns="${SPREADSHEET_NS}">`, '</styleSheet>', '<numFmts><numFmt numFmtId="164" formatCode="ENTITY"/></numFmts>') },
      { part: 'xl/workbook.xml', xml: billionLaughs(`<workbook xmlns="${SPREADSHEET_NS}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">`, '</workbook>', '<sheets><sheet name="ENTITY" sheetId="1" r:id="rId1"/></sheets>') },
      { part: '[Content_Types].xml', xml: billionLaughs('<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">', '</Types>', '<Override PartName="/xl/workbook.xml" ContentType="ENTITY"/>') },
    ])('billion laughs (nested internal entities) in $part', async ({ part, xml }) => {
      await bookWith('laughs.xlsx', { name: part, text: xml });
      await expectRefused('laughs.xlsx', 'xlsx', ['document type']);
    });

    it('an external entity naming /etc/passwd: refused, nothing read, nothing in the message', async () => {
      const xxe = `<?xml version="1.0"?>\n<!DOCTYPE w [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n${sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row>')}`;
      await bookWith('xxe.xlsx', { name: 'xl/worksheets/sheet1.xml', text: xxe });
      const outcome = await expectRefused('xxe.xlsx', 'xlsx', ['xl/worksheets/sheet1.xml', 'document type (DTD)']);
      expect(JSON.stringify(outcome)).not.toContain('root:');
    });

    it('an entity used without any declaration', async () => {
      await bookWith('entity.xlsx', { name: 'xl/worksheets/sheet1.xml', text: sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>&secret;</t></is></c></row>') });
      await expectRefused('entity.xlsx', 'xlsx', ['damaged', 'does not define']);
    });
  });

  describe('parts built to exhaust memory', () => {
    it('elements nested 100,000 deep', async () => {
      await bookWith('deep.xlsx', { name: 'xl/worksheets/sheet1.xml', text: sheet(`<row r="1">${'<x>'.repeat(100_000)}${'</x>'.repeat(100_000)}</row>`) });
      await expectRefused('deep.xlsx', 'xlsx', ['nests elements more than'], NO_RATIO_LIMIT);
    });

    it('a 16 MiB attribute value', async () => {
      await bookWith('attribute.xlsx', { name: 'xl/worksheets/sheet1.xml', prefix: `<worksheet xmlns="${SPREADSHEET_NS}"><sheetPr codeName="`, repeat: 'a', times: 16 * 1024 * 1024, suffix: `"/>${'<sheetData/>'}</worksheet>` });
      await expectRefused('attribute.xlsx', 'xlsx', ['tag is longer than'], NO_RATIO_LIMIT);
    });

    it('a header cell of 8 MiB of text', async () => {
      await bookWith('long-cell.xlsx', { name: 'xl/worksheets/sheet1.xml', prefix: `<worksheet xmlns="${SPREADSHEET_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>`, repeat: 'header ', times: 1_200_000, suffix: '</t></is></c></row></sheetData></worksheet>' });
      await expectRefused('long-cell.xlsx', 'xlsx', ['a cell is longer than'], NO_RATIO_LIMIT);
    });

    it('one long shared string naming every column of the header row', async () => {
      const header = Array.from({ length: 2000 }, (_, i) => `<c r="${columnLetters(i + 1)}1" t="s"><v>0</v></c>`).join('');
      await bookWith(
        'header-text.xlsx',
        { name: 'xl/sharedStrings.xml', text: `<sst xmlns="${SPREADSHEET_NS}"><si><t>${'name '.repeat(100_000)}</t></si></sst>` },
        plainBook({ sheets: [{ name: 'Wide', xml: sheet(`<row r="1">${header}</row><row r="2"><c r="A2"><v>1</v></c></row>`) }] }),
      );
      await expectRefused('header-text.xlsx', 'xlsx', ['column names hold more than 8 MiB'], NO_RATIO_LIMIT);
    });

    it('a row of two million cells', async () => {
      await bookWith('cells.xlsx', { name: 'xl/worksheets/sheet1.xml', prefix: `<worksheet xmlns="${SPREADSHEET_NS}"><sheetData><row r="1">`, repeat: '<c/>', times: 2_000_000, suffix: '</row></sheetData></worksheet>' });
      await expectRefused('cells.xlsx', 'xlsx', ['more than 1048576 cells'], NO_RATIO_LIMIT);
    });

    it('ten million empty shared strings are read in bounded memory (one bit each), not refused', async () => {
      await bookWith('empty-strings.xlsx', { name: 'xl/sharedStrings.xml', prefix: `<sst xmlns="${SPREADSHEET_NS}"><si><t>h</t></si>`, repeat: '<si/>', times: 10_000_000, suffix: '</sst>' });
      const outcome = await inspectInChild({ path: file('empty-strings.xlsx'), format: 'xlsx', name: 'empty-strings.xlsx', limits: NO_RATIO_LIMIT });
      expect(outcome).toMatchObject({ ok: true, sheets: [{ name: 'Data', columns: 1, rowCount: 1 }] });
      expect(outcome.maxRssBytes).toBeLessThan(MEMORY_BUDGET_BYTES);
    });
  });

  describe('broken and missing parts', () => {
    it('a zip cut short', async () => {
      await bookWith('whole.xlsx', { name: 'xl/worksheets/sheet1.xml', text: sheet(Array.from({ length: 20_000 }, (_, i) => `<row r="${i + 1}"><c r="A${i + 1}"><v>${i * 7919}</v></c></row>`).join('')) });
      const bytes = await readFile(file('whole.xlsx'));
      await writeFile(file('cut.xlsx'), bytes.subarray(0, Math.floor(bytes.length * 0.7)));
      await expectRefused('cut.xlsx', 'xlsx', ['damaged', 'truncated']);
    });

    it('compressed data overwritten with garbage', async () => {
      await bookWith('whole.xlsx', { name: 'xl/worksheets/sheet1.xml', text: sheet(Array.from({ length: 20_000 }, (_, i) => `<row r="${i + 1}"><c r="A${i + 1}"><v>${i * 7919}</v></c></row>`).join('')) });
      const bytes = Buffer.from(await readFile(file('whole.xlsx')));
      const at = bytes.indexOf(Buffer.from('xl/worksheets/sheet1.xml'));
      bytes.fill(0x5a, at + 100, at + 2000);
      await writeFile(file('garbage.xlsx'), bytes);
      await expectRefused('garbage.xlsx', 'xlsx', ['damaged']);
    });

    it('a central directory that points outside the file', async () => {
      await bookWith('whole.xlsx', { name: 'xl/worksheets/sheet1.xml', text: sheet('<row r="1"><c r="A1"><v>1</v></c></row>') });
      const bytes = Buffer.from(await readFile(file('whole.xlsx')));
      const end = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
      bytes.writeUInt32LE(0x7fff_fff0, end + 16);
      await writeFile(file('directory.xlsx'), bytes);
      await expectRefused('directory.xlsx', 'xlsx', ['damaged']);
    });

    it('no workbook part', async () => {
      await writeZip(file('parts.xlsx'), [
        { name: '[Content_Types].xml', text: '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>' },
        { name: 'xl/worksheets/sheet1.xml', text: sheet('') },
      ]);
      await expectRefused('parts.xlsx', 'xlsx', ['no workbook part', 'not an Excel workbook']);
    });

    it('a sheet whose relationship points at a part the zip does not have', async () => {
      const entries = handWrittenWorkbookEntries(plainBook()).filter((entry) => entry.name !== 'xl/worksheets/sheet1.xml');
      await writeZip(file('missing.xlsx'), entries);
      await expectRefused('missing.xlsx', 'xlsx', ['damaged', 'the data of sheet "Data" is missing']);
    });

    it('a shared string number beyond the table', async () => {
      await bookWith('index.xlsx', { name: 'xl/worksheets/sheet1.xml', text: sheet('<row r="1"><c r="A1" t="s"><v>7</v></c></row>') });
      await expectRefused('index.xlsx', 'xlsx', ['damaged', 'shared string 7']);
    });
  });

  describe('not a workbook at all', () => {
    it('a password-protected workbook (an OLE2 file holding EncryptedPackage)', async () => {
      await writeXlsWithXlwt(file('plain.xls'), [{ name: 'S', rows: [['a'], [1]] }]);
      await writeFile(file('secret.xlsx'), await craftEncryptedOoxml(file('plain.xls')));
      const outcome = await expectRefused('secret.xlsx', 'xlsx', ['password-protected']);
      expect(outcome.ok === false && outcome.details.reason).toBe('encrypted');
    });

    it.each([
      { title: 'a PDF', name: 'report.xlsx', bytes: MINIMAL_PDF, says: ['is not an .xlsx workbook'] },
      { title: 'a CSV', name: 'table.xlsx', bytes: Buffer.from('a,b\n1,2\n'), says: ['is not an .xlsx workbook'] },
      { title: 'random bytes behind a zip signature', name: 'noise.xlsx', bytes: Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(5000, 0x41)]), says: ['damaged'] },
    ])('$title named .xlsx', async ({ name, bytes, says }) => {
      await writeFile(file(name), bytes);
      await expectRefused(name, 'xlsx', says);
    });

    it('a plain zip of text files named .xlsx', async () => {
      await writeZip(file('archive.xlsx'), [
        { name: 'notes.txt', text: 'hello' },
        { name: 'data/table.csv', text: 'a,b\n1,2\n' },
      ]);
      await expectRefused('archive.xlsx', 'xlsx', ['not an Excel workbook']);
    });
  });

  describe('time', () => {
    it('a workbook slower to read than limits.timeoutMs ends with the limit named', async () => {
      await bookWith('slow.xlsx', { name: 'xl/worksheets/sheet1.xml', prefix: `<worksheet xmlns="${SPREADSHEET_NS}"><sheetData>`, repeat: '<row><c t="inlineStr"><is><t>slow</t></is></c><c><v>1</v></c></row>', times: 1_000_000, suffix: '</sheetData></worksheet>' });
      const outcome = await expectRefused('slow.xlsx', 'xlsx', ['took longer than'], { timeoutMs: 20, ...NO_RATIO_LIMIT });
      expect(outcome.ok === false && outcome.details.limit).toBe('timeoutMs');
    });
  });

  describe('.xls', () => {
    it('a directory entry declaring a stream of 2 GiB', async () => {
      await writeXlsWithXlwt(file('plain.xls'), [{ name: 'S', rows: [['a', 'b'], [1, 2]] }]);
      const bytes = Buffer.from(await readFile(file('plain.xls')));
      const entry = bytes.indexOf(Buffer.from('Workbook', 'utf16le'));
      bytes.writeUInt32LE(0x7fff_fff0, entry + 0x78);
      await writeFile(file('stream.xls'), bytes);
      await expectRefused('stream.xls', 'xls', ['damaged']);
    });

    it('cells in the far corner of many sheets, beyond the memory cap of the reader', async () => {
      await runPython(
        String.raw`
import sys, xlwt
book = xlwt.Workbook()
for s in range(4):
    ws = book.add_sheet(f"S{s}")
    ws.write(0, 0, "h"); ws.write(65535, 255, 1)
book.save(sys.argv[1])
`,
        [file('corner.xls')],
      );
      await expectRefused('corner.xls', 'xls', ['memory'], { xlsMemoryBytes: 120 * 1024 * 1024 });
    });

    it('an OLE2 signature followed by noise', async () => {
      await writeFile(file('noise.xls'), Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(100_000, 0x37)]));
      await expectRefused('noise.xls', 'xls', ['damaged']);
    });
  });
});

function columnLetters(column: number): string {
  let letters = '';
  for (let rest = column; rest > 0; rest = Math.floor((rest - 1) / 26)) letters = String.fromCharCode(65 + ((rest - 1) % 26)) + letters;
  return letters;
}
