import { AssayError, ErrorCode } from '@assay/errors';

/**
 * Bounds on the work {@link inspectFile} does for one file. Exceeding one fails the file with
 * `FILE_UNREADABLE` and a message naming the limit; none of them is reached by an ordinary table.
 */
export interface InspectLimits {
  /**
   * Wall-clock budget for inspecting one file, in milliseconds (includes the XLS subprocess).
   * @defaultValue 120_000
   */
  timeoutMs: number;
  /**
   * Most sheets a workbook may have.
   * @defaultValue 200
   */
  maxSheets: number;
  /**
   * Most columns a table (CSV/TSV, or one sheet) may have. Headers go to the language model, so
   * this also bounds the prompt.
   * @defaultValue 2_048
   */
  maxColumns: number;
  /**
   * Most entries in an .xlsx zip.
   * @defaultValue 10_000
   */
  maxZipEntries: number;
  /**
   * Most bytes an .xlsx may inflate to, all entries together (zip bomb guard), in bytes.
   * @defaultValue 2_147_483_648 (2 GiB)
   */
  maxUncompressedBytes: number;
  /**
   * Highest compression ratio (uncompressed / compressed) allowed for an .xlsx entry that
   * inflates to more than 1 MiB. Spreadsheet XML compresses 5-50x; zip bombs go far beyond 1000x.
   * @defaultValue 500
   */
  maxCompressionRatio: number;
  /**
   * Most bytes (UTF-8) of all column names of one workbook together (.xlsx and .xls). Headers go
   * into the language model's prompt, and in an .xlsx one long shared string can name every
   * column of every sheet.
   * @defaultValue 8_388_608 (8 MiB)
   */
  maxHeaderTextBytes: number;
  /**
   * Address-space cap of the Python process that reads .xls files (`prlimit --as`), in bytes.
   * @defaultValue 2_147_483_648 (2 GiB)
   */
  xlsMemoryBytes: number;
}

/** The limits {@link inspectFile} applies when the caller does not override them. */
export const DEFAULT_INSPECT_LIMITS: Readonly<InspectLimits> = Object.freeze({
  timeoutMs: 120_000,
  maxSheets: 200,
  maxColumns: 2_048,
  maxZipEntries: 10_000,
  maxUncompressedBytes: 2 * 1024 ** 3,
  maxCompressionRatio: 500,
  maxHeaderTextBytes: 8 * 1024 ** 2,
  xlsMemoryBytes: 2 * 1024 ** 3,
});

/** Applies the defaults and checks every limit is a positive number. */
export function resolveInspectLimits(overrides: Partial<InspectLimits> = {}): InspectLimits {
  const limits: InspectLimits = { ...DEFAULT_INSPECT_LIMITS, ...stripUndefined(overrides) };
  for (const [name, value] of Object.entries(limits)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new AssayError(ErrorCode.CONFIG_INVALID, `inspectFile: limits.${name} must be a positive number (got ${String(value)}).`);
    }
  }
  return limits;
}

function stripUndefined(overrides: Partial<InspectLimits>): Partial<InspectLimits> {
  return Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
}
