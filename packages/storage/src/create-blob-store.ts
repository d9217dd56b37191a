import type { Logger } from '@assay/logger';
import { LocalBlobStore } from './local/local-blob-store';
import { S3BlobStore } from './s3/s3-blob-store';
import type { BlobStore } from './types';

/** Which blob store to build, and its settings (see `blobStoreConfigFromEnv`). */
export type BlobStoreConfig =
  | { kind: 'local'; rootDir: string }
  | {
      kind: 's3';
      endpoint: string;
      accessKey: string;
      secretKey: string;
      bucket: string;
      region: string;
      pathStyle: boolean;
      partSizeBytes: number;
    };

/** Collaborators of {@link createBlobStore}. */
export interface CreateBlobStoreOptions {
  logger?: Logger;
}

/**
 * Builds the configured blob store, ready for use: an S3 store has checked (and if needed
 * created) its bucket, so a wrong endpoint or key fails here, at start-up, with a message that
 * names the setting to fix.
 */
export async function createBlobStore(config: BlobStoreConfig, options: CreateBlobStoreOptions = {}): Promise<BlobStore> {
  switch (config.kind) {
    case 'local':
      return new LocalBlobStore({ rootDir: config.rootDir });
    case 's3': {
      const { kind: _kind, ...s3 } = config;
      return S3BlobStore.open({ ...s3, logger: options.logger });
    }
  }
}
