import { spawn } from 'node:child_process';
import type { SheetMetadata } from '@assay/contracts';
import { AssayError, ErrorCode } from '@assay/errors';
import { OLE2_MAGIC, ZIP_MAGIC } from '../../content/content-kind';
import { unreadableError } from '../../errors';
import { readHead } from '../file-bytes';
import type { InspectContext } from '../inspect-context';
import { excelColumnNames, type HeaderCell } from '../pandas-headers';
import { formatBytes } from '../format-bytes';
import { checkHeaderText, headerTextLimitError } from '../sheet-shape';
import { XLS_METADATA_SCRIPT } from './xls-script';
import { XlsReport, type XlsHeaderCell } from './xls-report';

/**
 * The script prints a few KiB per sheet; JSON holds each header text twice (key and text), and
 * escapes can make a character 6 bytes. Beyond this the headers are over the limit anyway.
 */
function maxStdoutBytes(maxHeaderTextBytes: number): number {
  return maxHeaderTextBytes * 12 + 1024 * 1024;
}
/** Kept for the error's cause (never shown to users: a traceback may quote file content). */
const MAX_STDERR_BYTES = 16 * 1024;

/** What the subprocess did. */
interface ProcessResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The script printed more than the header text limit allows; it was killed. */
  overflowed: boolean;
}

/**
 * Sheet names, headers and data row counts of an .xls (BIFF/OLE2) workbook, as
 * `pandas.read_excel(engine='xlrd')` reports them.
 *
 * The kernel environment's xlrd reads the file in a subprocess: `prlimit --as=<xlsMemoryBytes>`
 * caps its memory, the inspection's signal (timeout) kills it, no shell is involved, the path
 * is an argument and the JSON it prints is validated with zod. xlrd holds one sheet at a time.
 */
export async function inspectXls(context: InspectContext): Promise<SheetMetadata[]> {
  const { path, fileName, limits } = context;
  const head = await readHead(path, OLE2_MAGIC.length);
  if (!head.equals(OLE2_MAGIC)) {
    if (head.subarray(0, ZIP_MAGIC.length).equals(ZIP_MAGIC)) {
      throw unreadableError(fileName, 'it is an .xlsx workbook, not an Excel 97-2003 (.xls) file. Rename it to end in .xlsx and upload it again.');
    }
    throw unreadableError(fileName, 'it is not an Excel 97-2003 (.xls) workbook. Save it as .xlsx in Excel and upload it again.');
  }

  const result = await runScript(context);
  if (result.overflowed) throw headerTextLimitError(fileName, limits.maxHeaderTextBytes);
  const report = parseReport(result, context);
  if (!report.ok) {
    switch (report.reason) {
      case 'encrypted':
        throw unreadableError(fileName, 'the workbook is password-protected: remove the password (in Excel: File > Info > Protect Workbook) and upload it again.', {
          details: { reason: 'encrypted' },
        });
      case 'corrupt':
        throw unreadableError(fileName, 'the workbook is damaged or is not an Excel 97-2003 workbook. Open it in Excel, save it as .xlsx and upload the new file.', {
          details: { reason: 'corrupt', error: report.detail },
        });
      case 'memory':
        throw memoryLimitError(fileName, limits.xlsMemoryBytes);
      case 'environment':
        throw environmentMissing(context, new Error(`xlrd import failed: ${report.detail}`));
    }
  }
  if (report.sheets.length > limits.maxSheets) {
    throw unreadableError(
      fileName,
      `it has ${report.sheets.length} sheets; Assay reads workbooks with at most ${limits.maxSheets}. Remove the sheets you do not need and upload it again.`,
      { details: { limit: 'maxSheets', value: report.sheets.length, max: limits.maxSheets } },
    );
  }
  const tables = report.sheets.map((sheet) => {
    if (sheet.ncols > limits.maxColumns) {
      throw unreadableError(
        fileName,
        `sheet "${sheet.name}" has ${sheet.ncols} columns; Assay reads tables with at most ${limits.maxColumns}. Remove the columns you do not need and upload it again.`,
        { details: { limit: 'maxColumns', value: sheet.ncols, max: limits.maxColumns } },
      );
    }
    // pandas's xlrd reader keeps every row xlrd reports (no trimming) and uses the first as header.
    if (sheet.nrows === 0) return { name: sheet.name, headers: [], rowCount: 0 };
    return { name: sheet.name, headers: excelColumnNames(sheet.header.map(headerCell)), rowCount: sheet.nrows - 1 };
  });
  checkHeaderText(tables, fileName, limits.maxHeaderTextBytes);
  return tables;
}

function headerCell(cell: XlsHeaderCell): HeaderCell {
  if (cell.empty) return cell;
  const { label } = cell;
  switch (label.type) {
    case 'int':
      return { ...cell, label: { type: 'int', value: BigInt(label.value) } };
    case 'float':
      return { ...cell, label: { type: 'float', value: Number(label.value) } };
    default:
      return { ...cell, label };
  }
}

function parseReport(result: ProcessResult, context: InspectContext): XlsReport {
  const { fileName, limits } = context;
  const line = result.stdout.trim().split('\n').pop() ?? '';
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    json = undefined;
  }
  const parsed = XlsReport.safeParse(json);
  if (parsed.success && result.exitCode === 0) return parsed.data;
  const cause = new Error(
    `xls reader exited with ${result.exitCode ?? result.signal ?? 'unknown status'}; stderr: ${result.stderr.slice(-2000)}`,
  );
  // prlimit exits 126/127 when it cannot execute the interpreter.
  if (result.exitCode === 126 || result.exitCode === 127) throw environmentMissing(context, cause);
  if (result.stderr.includes('MemoryError')) throw memoryLimitError(fileName, limits.xlsMemoryBytes, cause);
  throw unreadableError(fileName, 'the workbook is damaged or is not an Excel 97-2003 workbook. Open it in Excel, save it as .xlsx and upload the new file.', {
    cause,
    details: { reason: 'corrupt' },
  });
}

/** Runs the fixed script under prlimit, killing it when the inspection's signal fires. */
async function runScript(context: InspectContext): Promise<ProcessResult> {
  const { path, limits, signal, python } = context;
  signal.throwIfAborted();
  return new Promise<ProcessResult>((resolve, reject) => {
    const child = spawn(
      python.prlimitPath,
      [`--as=${Math.floor(limits.xlsMemoryBytes)}`, '--', python.pythonPath, '-I', '-B', '-c', XLS_METADATA_SCRIPT, path],
      { stdio: ['ignore', 'pipe', 'pipe'], shell: false, env: { LANG: 'C.UTF-8', PATH: '/usr/bin:/bin' } },
    );
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let overflowed = false;
    const maxStdout = maxStdoutBytes(limits.maxHeaderTextBytes);
    let stderr = '';
    let settled = false;
    const finish = (action: () => void): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      action();
    };
    const onAbort = (): void => {
      child.kill('SIGKILL');
      finish(() => reject(signal.reason));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > maxStdout) {
        overflowed = true;
        child.kill('SIGKILL');
        return;
      }
      stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-MAX_STDERR_BYTES);
    });
    child.on('error', (error) => {
      finish(() => reject(environmentMissing(context, error)));
    });
    child.on('close', (exitCode, exitSignal) => {
      finish(() => resolve({ exitCode, signal: exitSignal, stdout: Buffer.concat(stdout).toString('utf8'), stderr, overflowed }));
    });
  });
}

function memoryLimitError(fileName: string, maxBytes: number, cause?: unknown): Error {
  return unreadableError(
    fileName,
    `reading it needs more than the ${formatBytes(maxBytes)} of memory Assay allows per file. Save it as .xlsx (or export the sheets as CSV) and upload that instead.`,
    { cause, details: { limit: 'xlsMemoryBytes', max: maxBytes } },
  );
}

function environmentMissing(context: InspectContext, cause: unknown): AssayError {
  const { pythonPath, prlimitPath } = context.python;
  return new AssayError(
    ErrorCode.ENVIRONMENT_MISSING,
    `Reading .xls files needs ${pythonPath} with xlrd (Debian package python3-xlrd) and ${prlimitPath} (util-linux); one of them is missing or broken.`,
    { cause },
  );
}
