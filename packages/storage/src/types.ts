import type { Readable } from 'node:stream';

/** What the store knows about a blob it has just written. */
export interface StoredBlob {
  key: string;
  sizeBytes: number;
  /** Hex SHA-256 of the content, computed while it streamed in. */
  sha256: string;
}

/** Options of {@link BlobStore.put}. */
export interface PutOptions {
  /**
   * Largest accepted content, in bytes. Past it the write is abandoned (nothing is kept) and
   * `put` rejects with a PayloadTooLargeError.
   */
  maxBytes?: number;
  /** Folder-like prefix of the generated key, e.g. the tenant id. */
  keyPrefix?: string;
}

/**
 * Where uploaded files and generated artifacts live. Implementations stream in both directions
 * and never hold a whole blob in memory. A failed or rejected `put` leaves nothing behind.
 */
export interface BlobStore {
  /** Streams `source` into a new blob and returns its key, size and digest. */
  put(source: Readable, options?: PutOptions): Promise<StoredBlob>;
  /**
   * Opens a blob for reading.
   * @throws NotFoundError when there is no such blob
   */
  get(key: string): Promise<Readable>;
  /**
   * The blob's path on this machine when the store is a local filesystem, so that sandboxes can
   * link it instead of copying; undefined for remote stores.
   */
  localPath(key: string): string | undefined;
  /** Whether the blob exists. */
  exists(key: string): Promise<boolean>;
  /** Removes a blob; removing a missing blob is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Resolves when the store can take writes right now (readiness checks call it), rejects with
   * an AssayError saying what is wrong otherwise. Cheap: one metadata request at most.
   */
  ping(): Promise<void>;
}
