import { z } from 'zod';
import { ResourceId, Timestamp } from './ids';

/**
 * A file that analysis code wrote under /mnt/data (an Excel export, a chart saved as PNG, ...),
 * kept in storage after the cell that wrote it. Download it from `GET /v1/artifacts/:id`.
 */
export const ArtifactResource = z.object({
  id: ResourceId,
  chatId: ResourceId,
  messageId: ResourceId,
  /** The cell after which the file was found new or changed. */
  cellId: ResourceId,
  /** Path relative to /mnt/data, e.g. `summary.xlsx` or `charts/sales.png`. */
  name: z.string(),
  /** Content type it is served with. */
  mimeType: z.string(),
  sizeBytes: z.number().int().nonnegative(),
  sha256: z.string(),
  createdAt: Timestamp,
});
export type ArtifactResource = z.infer<typeof ArtifactResource>;
