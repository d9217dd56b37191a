import { CoreEnv, PositiveIntEnv, parseEnv } from '@assay/config';
import { MetricsEnv } from '@assay/metrics';
import { StorageEnv, refineStorageEnv } from '@assay/storage';
import type { z } from 'zod';

/** The ingest worker's settings, read once at start-up. */
export const IngestWorkerEnv = CoreEnv.extend(MetricsEnv.shape).extend(StorageEnv.shape).extend({
  /** Files inspected at the same time by this process. */
  ASSAY_INGEST_CONCURRENCY: PositiveIntEnv.default(2),
}).superRefine(refineStorageEnv);
export type IngestWorkerEnv = z.infer<typeof IngestWorkerEnv>;

export function loadEnv(source: Record<string, string | undefined> = process.env): IngestWorkerEnv {
  return parseEnv(IngestWorkerEnv, source);
}
