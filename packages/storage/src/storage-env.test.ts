import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { isAssayError } from '@assay/errors';
import { parseEnv } from '@assay/config';
import { StorageEnv, blobStoreConfigFromEnv, refineStorageEnv } from './storage-env';

/** StorageEnv as a service composes it: the shape, plus the cross-field rule. */
const Schema = StorageEnv.superRefine(refineStorageEnv);

describe('StorageEnv', () => {
  it('defaults to the local store under <data dir>/blobs', () => {
    const env = parseEnv(Schema, {});
    expect(env.ASSAY_STORAGE).toBe('local');
    expect(blobStoreConfigFromEnv(env, '/var/lib/assay')).toEqual({ kind: 'local', rootDir: path.join('/var/lib/assay', 'blobs') });
  });

  it('reads an S3 configuration with defaults for bucket, region, path style and part size', () => {
    const env = parseEnv(Schema, {
      ASSAY_STORAGE: 's3',
      ASSAY_S3_ENDPOINT: 'http://minio:9000',
      ASSAY_S3_ACCESS_KEY: 'assay',
      ASSAY_S3_SECRET_KEY: 'secret-value',
    });
    expect(blobStoreConfigFromEnv(env, '/data')).toEqual({
      kind: 's3',
      endpoint: 'http://minio:9000',
      accessKey: 'assay',
      secretKey: 'secret-value',
      bucket: 'assay',
      region: 'us-east-1',
      pathStyle: true,
      partSizeBytes: 8 * 1024 * 1024,
    });
  });

  it('takes every S3 setting', () => {
    const env = parseEnv(Schema, {
      ASSAY_STORAGE: 's3',
      ASSAY_S3_ENDPOINT: 'https://account.r2.cloudflarestorage.com',
      ASSAY_S3_ACCESS_KEY: 'key',
      ASSAY_S3_SECRET_KEY: 'secret',
      ASSAY_S3_BUCKET: 'team-uploads',
      ASSAY_S3_REGION: 'auto',
      ASSAY_S3_PATH_STYLE: 'false',
      ASSAY_S3_PART_SIZE_BYTES: String(16 * 1024 * 1024),
    });
    expect(blobStoreConfigFromEnv(env, '/data')).toMatchObject({
      bucket: 'team-uploads',
      region: 'auto',
      pathStyle: false,
      partSizeBytes: 16 * 1024 * 1024,
    });
  });

  it('names each missing S3 setting when ASSAY_STORAGE is s3', () => {
    let caught: unknown;
    try {
      parseEnv(Schema, { ASSAY_STORAGE: 's3', ASSAY_S3_ENDPOINT: 'http://minio:9000' });
    } catch (error) {
      caught = error;
    }
    expect(isAssayError(caught) && caught.code).toBe('CONFIG_INVALID');
    expect(isAssayError(caught) && caught.details?.variables).toEqual(['ASSAY_S3_ACCESS_KEY', 'ASSAY_S3_SECRET_KEY']);
    expect((caught as Error).message).toContain('is required when ASSAY_STORAGE is s3');
  });

  it('refuses a bucket name S3 would refuse, a non-http endpoint and parts under 5 MiB', () => {
    const result = Schema.safeParse({
      ASSAY_STORAGE: 's3',
      ASSAY_S3_ENDPOINT: 's3://bucket',
      ASSAY_S3_ACCESS_KEY: 'k',
      ASSAY_S3_SECRET_KEY: 's',
      ASSAY_S3_BUCKET: 'Uploads_2024',
      ASSAY_S3_PART_SIZE_BYTES: '1048576',
    });
    expect(result.error?.issues.map((issue) => issue.path.join('.')).sort()).toEqual([
      'ASSAY_S3_BUCKET',
      'ASSAY_S3_ENDPOINT',
      'ASSAY_S3_PART_SIZE_BYTES',
    ]);
  });

  it('does not ask for S3 settings with the local store', () => {
    expect(Schema.safeParse({ ASSAY_STORAGE: 'local' }).success).toBe(true);
  });
});
