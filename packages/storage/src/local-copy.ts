import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { BlobStore } from './types';

/**
 * Runs `use` with a path to the blob's bytes on this machine: the blob's own file for a local
 * store, otherwise a temporary copy streamed from the store and removed afterwards.
 */
export async function withLocalFile<T>(blobs: BlobStore, key: string, use: (filePath: string) => Promise<T>): Promise<T> {
  const local = blobs.localPath(key);
  if (local !== undefined) return use(local);
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'assay-blob-'));
  const copy = path.join(dir, 'blob');
  try {
    await pipeline(await blobs.get(key), fs.createWriteStream(copy));
    return await use(copy);
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}
