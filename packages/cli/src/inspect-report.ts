import { FileFormat, SheetMetadata } from '@assay/contracts';
import { z } from 'zod';

/**
 * What `assay inspect --json` prints: the metadata the ingest worker would store for the file,
 * plus its size and digest. Fields that only CSV/TSV files have are null for workbooks, so every
 * report has the same keys.
 */
export const InspectReport = z.object({
  format: FileFormat,
  /** Python codec name to pass to `pandas.read_csv(encoding=...)`; null for workbooks. */
  encoding: z.string().nullable(),
  /** Field delimiter to pass to `pandas.read_csv(sep=...)`; null for workbooks. */
  delimiter: z.string().nullable(),
  sizeBytes: z.number().int().nonnegative(),
  /** Hex SHA-256 of the file's bytes (what deduplication of uploads compares). */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  sheets: z.array(SheetMetadata),
});
export type InspectReport = z.infer<typeof InspectReport>;
