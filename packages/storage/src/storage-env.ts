import path from 'node:path';
import { BoolEnv, PositiveIntEnv } from '@assay/config';
import { z } from 'zod';
import type { BlobStoreConfig } from './create-blob-store';

/**
 * Where blobs live, for the services that read or write them (gateway, ingest and executor
 * workers). A plain shape, spread into each service's env schema next to CoreEnv; pair it with
 * {@link refineStorageEnv}, which requires the S3 settings once ASSAY_STORAGE is `s3`.
 */
export const StorageEnv = z.object({
  /**
   * `local`: files under ASSAY_DATA_DIR/blobs (one machine, or a volume every service mounts).
   * `s3`: an S3-compatible object store (MinIO, AWS S3, Cloudflare R2, ...).
   */
  ASSAY_STORAGE: z.enum(['local', 's3']).default('local'),
  /** Base URL of the S3 API, http(s)://host[:port] without a path, e.g. http://minio:9000. */
  ASSAY_S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  ASSAY_S3_ACCESS_KEY: z.string().trim().min(1).optional(),
  ASSAY_S3_SECRET_KEY: z.string().trim().min(1).optional(),
  /** Bucket of the blobs; created at start-up when missing. S3's naming rules apply. */
  ASSAY_S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, '3-63 lowercase letters, digits, dots and hyphens')
    .default('assay'),
  /** Region the requests are signed for (MinIO accepts the default). */
  ASSAY_S3_REGION: z.string().trim().min(1).default('us-east-1'),
  /** `true`: http://host/bucket/key (MinIO, most self-hosted servers); `false`: http://bucket.host/key. */
  ASSAY_S3_PATH_STYLE: BoolEnv.default(true),
  /** Size of one multipart upload part (bytes): what one upload holds in memory, twice at most. */
  ASSAY_S3_PART_SIZE_BYTES: PositiveIntEnv.min(5 * 1024 * 1024, 'must be at least 5 MiB (5242880), S3’s smallest part').default(
    8 * 1024 * 1024,
  ),
});
export type StorageEnv = z.infer<typeof StorageEnv>;

/** The variables ASSAY_STORAGE=s3 cannot do without (the others have defaults). */
const REQUIRED_FOR_S3 = ['ASSAY_S3_ENDPOINT', 'ASSAY_S3_ACCESS_KEY', 'ASSAY_S3_SECRET_KEY'] as const;

/**
 * Cross-field rule of {@link StorageEnv}, for `.superRefine` on a service's env schema: with
 * ASSAY_STORAGE=s3 the endpoint and both keys are required (each missing one is named).
 */
export function refineStorageEnv(env: Partial<StorageEnv>, ctx: z.RefinementCtx): void {
  if (env.ASSAY_STORAGE !== 's3') return;
  for (const name of REQUIRED_FOR_S3) {
    if (env[name] === undefined) ctx.addIssue({ code: 'custom', path: [name], message: 'is required when ASSAY_STORAGE is s3' });
  }
}

/**
 * The blob store a service's parsed env asks for; `dataDir` is its ASSAY_DATA_DIR (the local
 * store keeps blobs under `<dataDir>/blobs`).
 */
export function blobStoreConfigFromEnv(env: StorageEnv, dataDir: string): BlobStoreConfig {
  if (env.ASSAY_STORAGE === 'local') return { kind: 'local', rootDir: path.join(dataDir, 'blobs') };
  const { ASSAY_S3_ENDPOINT: endpoint, ASSAY_S3_ACCESS_KEY: accessKey, ASSAY_S3_SECRET_KEY: secretKey } = env;
  if (endpoint === undefined || accessKey === undefined || secretKey === undefined) {
    // refineStorageEnv reports this while parsing; reaching here means it was left out.
    throw new Error(`ASSAY_STORAGE=s3 needs ${REQUIRED_FOR_S3.join(', ')} (parse the env with refineStorageEnv).`);
  }
  return {
    kind: 's3',
    endpoint,
    accessKey,
    secretKey,
    bucket: env.ASSAY_S3_BUCKET,
    region: env.ASSAY_S3_REGION,
    pathStyle: env.ASSAY_S3_PATH_STYLE,
    partSizeBytes: env.ASSAY_S3_PART_SIZE_BYTES,
  };
}
