/**
 * Ingest read speed and memory: `inspectFile` (headers and row counts, exactly as pandas reads
 * them) on a large CSV and a large XLSX, against the libraries one would reach for otherwise and
 * against a floor that only moves the bytes, side by side in one run.
 *
 * - CSV (default ~1 GiB): Assay, papaparse's streaming parser, `wc -l` (floor).
 * - XLSX (default ~100 MiB): Assay, exceljs's streaming WorkbookReader, `unzip -p | wc -c` (floor:
 *   inflating every part, no XML read).
 *
 *   npx tsx bench/ingest/run.ts [--csv-mb 1024] [--xlsx-mb 100] [--runs 3] [--only csv|xlsx] [--no-build]
 *
 * The files are generated once into bench/.data/ingest/ (gitignored) and reused. Each reader runs
 * in a process of its own (plain `node`, the built @assay/ingest), so its peak resident memory is
 * its own; the runs are interleaved (reader A, B, floor, A, B, floor, ...) so that load from other
 * work on the machine hits every reader alike, and medians are reported. Prints tables; nothing
 * is asserted.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import ts from 'typescript';
import { z } from 'zod';
import { ensureCsv, ensureXlsx } from './generate';

const REPO_ROOT = path.resolve(__dirname, '../..');
const DATA_DIR = path.join(REPO_ROOT, 'bench/.data/ingest');
const MIB = 1024 * 1024;

function numberArg(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  const value = index >= 0 ? Number(process.argv[index + 1]) : Number.NaN;
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

function stringArg(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

const CSV_MB = numberArg('--csv-mb', 1024);
const XLSX_MB = numberArg('--xlsx-mb', 100);
const RUNS = numberArg('--runs', 3);
const ONLY = stringArg('--only');

/** What reader.ts prints. */
const ReaderResult = z.object({ ms: z.number(), rows: z.number(), peakRssKiB: z.number() });

/** One measurement of one reader. */
interface Sample {
  seconds: number;
  rssMiB: number;
  rows: number | undefined;
}

/** A reader: a node reader (reader.ts) or a shell command (the floors); `counts` says what its count is. */
type Reader = { label: string; counts: string } & ({ node: string } | { shell: string });

interface Suite {
  name: string;
  file: string;
  readers: Reader[];
  /** Label of the reader Assay is compared with. */
  rival: string;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? (sorted[middle] ?? Number.NaN) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** Runs a command, resolving with its stdout and stderr; rejects on a non-zero exit. */
function run(command: string, args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${command} ${args.join(' ')} exited with ${String(code)}: ${stderr}`));
    });
  });
}

/** The reader in its own process: node readers time themselves; shell floors are timed from here. */
async function measure(reader: Reader, file: string, readerScript: string): Promise<Sample> {
  if ('node' in reader) {
    const { stdout } = await run(process.execPath, [readerScript, reader.node, file]);
    const result = ReaderResult.parse(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}'));
    return { seconds: result.ms / 1000, rssMiB: result.peakRssKiB / 1024, rows: result.rows };
  }
  // GNU time reports the peak resident memory of the command (the largest process of a pipeline).
  const started = performance.now();
  const { stdout, stderr } = await run('/usr/bin/time', ['-f', 'maxrss=%M', 'sh', '-c', reader.shell, 'sh', file]);
  const seconds = (performance.now() - started) / 1000;
  const rss = /maxrss=(\d+)/.exec(stderr);
  const count = /^\s*(\d+)/.exec(stdout);
  return { seconds, rssMiB: rss === null ? Number.NaN : Number(rss[1]) / 1024, rows: count === null ? undefined : Number(count[1]) };
}

/** Builds @assay/ingest (the readers use its dist) and transpiles reader.ts for plain node. */
function prepare(): string {
  if (!process.argv.includes('--no-build')) {
    const build = spawnSync('npx', ['turbo', 'run', 'build', '--filter=@assay/ingest'], { cwd: REPO_ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`building @assay/ingest failed:\n${build.stdout}\n${build.stderr}`);
  }
  fs.mkdirSync(DATA_DIR, { recursive: true });
  const source = fs.readFileSync(path.join(__dirname, 'reader.ts'), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  // Inside the repository, so that `require('@assay/ingest')` finds the workspace packages.
  const script = path.join(DATA_DIR, 'reader.js');
  fs.writeFileSync(script, outputText);
  return script;
}

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  console.error(`${label}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

/** Reads a file once so that every reader finds it in the page cache. */
async function warm(file: string): Promise<void> {
  for await (const _chunk of fs.createReadStream(file, { highWaterMark: 4 * MIB })) {
    // nothing: reading is the point
  }
}

const fixed = (value: number, digits = 0): string => (Number.isFinite(value) ? value.toFixed(digits) : '—');

async function main(): Promise<void> {
  const readerScript = prepare();
  const csvFile = path.join(DATA_DIR, `orders-${CSV_MB}mb.csv`);
  const xlsxFile = path.join(DATA_DIR, `orders-${XLSX_MB}mb.xlsx`);
  const suites: Suite[] = [];
  if (ONLY === undefined || ONLY === 'csv') {
    await timed(`generating/checking ${path.relative(REPO_ROOT, csvFile)}`, () => ensureCsv(csvFile, CSV_MB * MIB));
    suites.push({
      name: 'CSV',
      file: csvFile,
      rival: 'papaparse (stream, chunk)',
      readers: [
        { label: 'Assay inspectFile', node: 'assay', counts: 'data rows' },
        { label: 'papaparse (stream, chunk)', node: 'papaparse', counts: 'rows with header' },
        { label: 'wc -l (floor)', shell: 'wc -l < "$1"', counts: 'lines' },
      ],
    });
  }
  if (ONLY === undefined || ONLY === 'xlsx') {
    await timed(`generating/checking ${path.relative(REPO_ROOT, xlsxFile)}`, () => ensureXlsx(xlsxFile, XLSX_MB * MIB));
    suites.push({
      name: 'XLSX',
      file: xlsxFile,
      rival: 'exceljs WorkbookReader',
      readers: [
        { label: 'Assay inspectFile', node: 'assay', counts: 'data rows' },
        { label: 'exceljs WorkbookReader', node: 'exceljs', counts: 'rows with headers' },
        { label: 'unzip -p | wc -c (floor)', shell: 'unzip -p "$1" | wc -c', counts: 'bytes inflated' },
      ],
    });
  }

  for (const suite of suites) await warm(suite.file);
  const idle: number[] = [];
  for (let i = 0; i < 3; i += 1) idle.push((await measure({ label: 'idle', node: 'idle', counts: '' }, csvFile, readerScript)).rssMiB);

  const samples = new Map<string, Sample[]>();
  for (let round = 1; round <= RUNS; round += 1) {
    for (const suite of suites) {
      for (const reader of suite.readers) {
        const sample = await measure(reader, suite.file, readerScript);
        const key = `${suite.name}/${reader.label}`;
        samples.set(key, [...(samples.get(key) ?? []), sample]);
        console.error(`round ${round} ${key}: ${sample.seconds.toFixed(2)} s, ${sample.rssMiB.toFixed(0)} MiB, ${String(sample.rows)} rows`);
      }
    }
  }

  console.log(`\nNode ${process.version}, ${RUNS} interleaved runs per reader, medians. MB/s = 10^6 bytes per second of the file's size.`);
  console.log(`A node process that reads nothing peaks at ${fixed(median(idle))} MiB (included in every node reader's figure).\n`);
  for (const suite of suites) {
    const size = fs.statSync(suite.file).size;
    console.log(`### ${suite.name}: ${path.basename(suite.file)}, ${(size / MIB).toFixed(0)} MiB\n`);
    console.log('| reader | MB/s (median) | MB/s (each run) | seconds (median) | peak RSS MiB (median) | counted |');
    console.log('|---|---:|---|---:|---:|---:|');
    const speed = new Map<string, number>();
    for (const reader of suite.readers) {
      const runs = samples.get(`${suite.name}/${reader.label}`) ?? [];
      const seconds = median(runs.map((sample) => sample.seconds));
      speed.set(reader.label, size / 1e6 / seconds);
      const each = runs.map((sample) => fixed(size / 1e6 / sample.seconds)).join(', ');
      console.log(`| ${reader.label} | ${fixed(size / 1e6 / seconds)} | ${each} | ${fixed(seconds, 2)} | ${fixed(median(runs.map((sample) => sample.rssMiB)))} | ${String(runs[0]?.rows ?? '—')} ${reader.counts} |`);
    }
    const ours = speed.get('Assay inspectFile') ?? Number.NaN;
    const rival = speed.get(suite.rival) ?? Number.NaN;
    console.log(`\nAssay / ${suite.rival}: ${fixed(ours / rival, 1)}x\n`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
