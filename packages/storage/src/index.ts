export { LocalBlobStore, formatBytes } from './local/local-blob-store';
export type { LocalBlobStoreOptions } from './local/local-blob-store';
export type { BlobStore, PutOptions, StoredBlob } from './types';
export { withLocalFile } from './local-copy';
