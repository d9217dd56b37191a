import { FileFormat, type FileMetadata } from '@assay/contracts';
import { AssayError, ErrorCode, isAssayError } from '@assay/errors';
import { unreadableError } from '../errors';
import { inspectDelimited } from './delimited/inspect-delimited';
import type { InspectContext } from './inspect-context';
import { type InspectLimits, resolveInspectLimits } from './inspect-limits';
import { inspectXls } from './xls/inspect-xls';
import { inspectXlsx } from './xlsx/inspect-xlsx';

/** Options of {@link inspectFile}. */
export interface InspectFileOptions {
  /** Local path of the file (a temp copy of the blob, or the local blob path). */
  path: string;
  /** The format its name announced and the upload check confirmed (see `formatFromFileName`). */
  format: FileFormat;
  /** The name the user gave the file: names a CSV's only sheet and appears in messages. */
  name: string;
  /** Overrides of {@link DEFAULT_INSPECT_LIMITS}. */
  limits?: Partial<InspectLimits>;
  /** Cancels the inspection (worker shutdown); the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Python interpreter of the kernel environment, used to read .xls files with its xlrd.
   * @defaultValue '/usr/bin/python3'
   */
  pythonPath?: string;
  /**
   * `prlimit` binary (util-linux) that caps the memory of that interpreter.
   * @defaultValue '/usr/bin/prlimit'
   */
  prlimitPath?: string;
}

/** Defaults of the tool paths in {@link InspectFileOptions}. */
const DEFAULT_PYTHON_PATH = '/usr/bin/python3';
const DEFAULT_PRLIMIT_PATH = '/usr/bin/prlimit';

/**
 * Reads a table file's metadata (sheet names, headers, data row counts; encoding and delimiter
 * for CSV/TSV) the way pandas 1.5 will read the same file in the kernel, streaming it so that
 * memory stays bounded whatever the file size. Cell values are never returned.
 *
 * - CSV/TSV: `read_csv(path, sep=metadata.delimiter, encoding=metadata.encoding)`; one sheet
 *   named after the file without its extension.
 * - XLSX: `read_excel(path, sheet_name=None)` (openpyxl), worksheets in workbook order.
 * - XLS: `read_excel(path, sheet_name=None, engine='xlrd')`, read by the kernel environment's
 *   xlrd in a memory-capped subprocess.
 *
 * @returns the metadata, valid against `FileMetadata` from `@assay/contracts`
 * @throws `UnprocessableError` with `FILE_UNREADABLE` (422) for a file that cannot be read as a
 *   table: damaged, truncated, password-protected, malformed rows, beyond a limit, or slower
 *   than `limits.timeoutMs`. The message says what to change.
 * @throws `AssayError` with `ENVIRONMENT_MISSING` when Python/xlrd/prlimit are missing (.xls only).
 * @throws the signal's reason when `signal` aborts; file system errors (missing path) as they are.
 *
 * @example
 * ```ts
 * const metadata = await inspectFile({ path: '/tmp/blob-123', format: 'xlsx', name: 'Sales.xlsx' });
 * // { format: 'xlsx', sheets: [{ name: 'Q1', headers: ['Region', 'Revenue'], rowCount: 1200 }, ...] }
 * ```
 */
export async function inspectFile(options: InspectFileOptions): Promise<FileMetadata> {
  const format = FileFormat.safeParse(options.format);
  if (!format.success) {
    throw new AssayError(ErrorCode.CONFIG_INVALID, `inspectFile: format must be one of ${FileFormat.options.join(', ')}.`);
  }
  const limits = resolveInspectLimits(options.limits);
  options.signal?.throwIfAborted();

  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort(
      unreadableError(
        options.name,
        `reading it took longer than ${Math.round(limits.timeoutMs / 1000)} s, the limit for one file. Split it into smaller files and upload them again.`,
        { details: { limit: 'timeoutMs', max: limits.timeoutMs } },
      ),
    );
  }, limits.timeoutMs);
  const onCallerAbort = (): void => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onCallerAbort, { once: true });

  const context: InspectContext = {
    path: options.path,
    fileName: options.name,
    limits,
    signal: controller.signal,
    python: { pythonPath: options.pythonPath ?? DEFAULT_PYTHON_PATH, prlimitPath: options.prlimitPath ?? DEFAULT_PRLIMIT_PATH },
  };
  const work = inspectByFormat(context, format.data);
  // The race below may leave `work` to settle later: never let that become an unhandled rejection.
  work.catch(() => undefined);
  const aborted = new Promise<never>((_resolve, reject) => {
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
  });
  aborted.catch(() => undefined);

  try {
    return await Promise.race([work, aborted]);
  } catch (error) {
    if (controller.signal.aborted) throw controller.signal.reason;
    throw classifyFailure(error, options.name);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onCallerAbort);
  }
}

async function inspectByFormat(context: InspectContext, format: FileFormat): Promise<FileMetadata> {
  switch (format) {
    case 'csv':
    case 'tsv':
      return inspectDelimited(context, format);
    case 'xlsx':
      return { format, sheets: await inspectXlsx(context) };
    case 'xls':
      return { format, sheets: await inspectXls(context) };
  }
}

/**
 * Our errors and file system errors (the path is the caller's responsibility) pass through; any
 * other exception comes from a parser meeting content it cannot handle.
 */
function classifyFailure(error: unknown, fileName: string): unknown {
  if (isAssayError(error)) return error;
  // Checked by shape: errors from node core may come from another realm (jest sandboxes).
  if (typeof error === 'object' && error !== null && 'syscall' in error && typeof error.syscall === 'string') return error;
  return unreadableError(fileName, 'its content could not be parsed as a table. Open it in a spreadsheet program, save it again and upload the new file.', {
    cause: error,
  });
}
