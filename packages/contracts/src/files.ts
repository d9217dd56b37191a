import { z } from 'zod';
import { Failure, ResourceId, Timestamp } from './ids';

/** The table formats Assay accepts. */
export const FileFormat = z.enum(['csv', 'tsv', 'xlsx', 'xls']);
export type FileFormat = z.infer<typeof FileFormat>;

/** pending: uploaded, not yet inspected; ready: metadata available; failed: see `failure`. */
export const FileStatus = z.enum(['pending', 'ready', 'failed']);
export type FileStatus = z.infer<typeof FileStatus>;

/**
 * What the ingest worker learns about one sheet (a CSV/TSV file has exactly one).
 * Headers and counts only: cell values never leave the blob store and the sandbox.
 */
export const SheetMetadata = z.object({
  name: z.string(),
  headers: z.array(z.string()),
  /** Data rows below the header row. */
  rowCount: z.number().int().nonnegative(),
});
export type SheetMetadata = z.infer<typeof SheetMetadata>;

export const FileMetadata = z.object({
  format: FileFormat,
  /** Text encoding of a CSV/TSV file, as Python names it (e.g. "utf-8", "utf-8-sig"). */
  encoding: z.string().optional(),
  /** Field delimiter of a CSV/TSV file. */
  delimiter: z.string().optional(),
  sheets: z.array(SheetMetadata),
});
export type FileMetadata = z.infer<typeof FileMetadata>;

/** A file as the API returns it. */
export const FileResource = z.object({
  id: ResourceId,
  name: z.string(),
  format: FileFormat,
  sizeBytes: z.number().int().nonnegative(),
  sha256: z.string(),
  status: FileStatus,
  failure: Failure.nullable(),
  metadata: FileMetadata.nullable(),
  createdAt: Timestamp,
  ingestedAt: Timestamp.nullable(),
});
export type FileResource = z.infer<typeof FileResource>;
