import { unreadableError } from '../../errors';
import { formatBytes } from '../format-bytes';
import type { InspectLimits } from '../inspect-limits';
import type { ZipEntry } from './zip-archive';

/** Entries that inflate to less than this are not held to the compression ratio limit. */
const RATIO_CHECK_MIN_BYTES = 1024 * 1024;

/**
 * Refuses a workbook zip before anything inflates it: encrypted entries, more inflated bytes
 * than allowed in total, or an entry compressed far beyond what spreadsheet XML allows (zip
 * bomb). Sizes come from the central directory; {@link ZipArchive} enforces them while inflating.
 */
export function guardZipEntries(
  entries: ReadonlyMap<string, ZipEntry>,
  fileName: string,
  limits: Pick<InspectLimits, 'maxUncompressedBytes' | 'maxCompressionRatio'>,
): void {
  let total = 0;
  for (const entry of entries.values()) {
    if (entry.isEncrypted()) {
      throw unreadableError(fileName, 'the workbook is password-protected: remove the password and upload it again.', {
        details: { reason: 'encrypted' },
      });
    }
    total += entry.uncompressedSize;
    const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
    if (entry.uncompressedSize > RATIO_CHECK_MIN_BYTES && ratio > limits.maxCompressionRatio) {
      throw unreadableError(
        fileName,
        `its part ${entry.fileName} is compressed ${Math.round(ratio)} times, far more than a spreadsheet is (this is how zip bombs look). Save the workbook again in Excel and upload the new file.`,
        { details: { limit: 'maxCompressionRatio', part: entry.fileName, value: Math.round(ratio), max: limits.maxCompressionRatio } },
      );
    }
  }
  if (total > limits.maxUncompressedBytes) {
    throw unreadableError(
      fileName,
      `it unpacks to ${formatBytes(total)}; Assay reads workbooks of at most ${formatBytes(limits.maxUncompressedBytes)} unpacked. Split it into smaller workbooks or export the sheets as CSV.`,
      { details: { limit: 'maxUncompressedBytes', value: total, max: limits.maxUncompressedBytes } },
    );
  }
}
