/**
 * One reader on one file, in a process of its own (so that its peak memory is its own):
 *
 *   node reader.js <assay|papaparse|exceljs|idle> <file>
 *
 * Prints one JSON line: `{ ms, rows, peakRssKiB }`: the time from opening the file to the result
 * (each reader loads only its own modules, before the clock starts) and the process's peak
 * resident memory. `idle` reads nothing: node's own footprint, which every figure includes.
 *
 * Peak memory is VmHWM from /proc/self/status: `process.resourceUsage().maxRSS` would also count
 * the memory of the parent process this one was forked from before it exec'd node.
 *
 * run.ts transpiles this file and runs it with plain `node`: tsx would add its own ~45 MiB.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

/** Reads a file and returns the rows it counted. */
type Read = (file: string) => Promise<number>;

/** inspectFile: data rows as pandas counts them (header rows not included), over all sheets. */
async function loadAssay(): Promise<Read> {
  const { inspectFile } = await import('@assay/ingest');
  return async (file) => {
    const format = file.endsWith('.xlsx') ? 'xlsx' : 'csv';
    // No time limit: the benchmark wants the time, however long.
    const metadata = await inspectFile({ path: file, format, name: path.basename(file), limits: { timeoutMs: 3_600_000 } });
    return metadata.sheets.reduce((sum, sheet) => sum + sheet.rowCount, 0);
  };
}

/**
 * papaparse's streaming parser, as fast as it goes: whole chunks of rows (`chunk`, not `step`),
 * text decoded by the read stream (so characters cut by a read stay whole), the delimiter given.
 * Rows include the header row.
 */
async function loadPapaparse(): Promise<Read> {
  const { default: Papa } = await import('papaparse');
  return async (file) => {
    let rows = 0;
    await new Promise<void>((resolve, reject) => {
      Papa.parse<string[]>(fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1024 * 1024 }), {
        delimiter: ',',
        chunk: (results) => {
          rows += results.data.length;
        },
        complete: () => resolve(),
        error: (error) => reject(error),
      });
    });
    return rows;
  };
}

/**
 * exceljs's streaming reader with what inspecting a workbook needs (shared strings and styles
 * cached, so that text and dates come out), iterating every row of every sheet. Rows include
 * header rows.
 */
async function loadExceljs(): Promise<Read> {
  const { default: ExcelJS } = await import('exceljs');
  return async (file) => {
    const workbook = new ExcelJS.stream.xlsx.WorkbookReader(file, { sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', worksheets: 'emit', entries: 'ignore' });
    let rows = 0;
    for await (const worksheet of workbook) {
      for await (const _row of worksheet) rows += 1;
    }
    return rows;
  };
}

const READERS: Record<string, () => Promise<Read>> = {
  assay: loadAssay,
  papaparse: loadPapaparse,
  exceljs: loadExceljs,
  idle: async () => async () => 0,
};

/** The peak resident memory of this process since exec, in KiB. */
function peakRssKiB(): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return match === null ? Number.NaN : Number(match[1]);
}

async function main(): Promise<void> {
  const [name, file] = process.argv.slice(2);
  const load = name === undefined ? undefined : READERS[name];
  if (load === undefined || file === undefined) throw new Error(`usage: reader.js <${Object.keys(READERS).join('|')}> <file>`);
  const read = await load();
  const started = performance.now();
  const rows = await read(file);
  const ms = performance.now() - started;
  process.stdout.write(`${JSON.stringify({ ms, rows, peakRssKiB: peakRssKiB() })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
