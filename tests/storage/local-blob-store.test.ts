import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalBlobStore } from '@assay/storage';
import { describeBlobStoreConformance } from './support/blob-store-conformance';

/** Every file under `root`, relative paths. */
async function filesUnder(root: string): Promise<string[]> {
  const entries = await fs.promises.readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)));
}

describeBlobStoreConformance('LocalBlobStore', async () => {
  const rootDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'assay-blobs-'));
  return {
    store: new LocalBlobStore({ rootDir }),
    storedKeys: async () => (await filesUnder(rootDir)).filter((file) => !file.endsWith('.partial')).sort(),
    leftovers: async () => (await filesUnder(rootDir)).filter((file) => file.endsWith('.partial')),
    close: () => fs.promises.rm(rootDir, { recursive: true, force: true }),
  };
});
