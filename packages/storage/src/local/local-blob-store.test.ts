import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { isAssayError } from '@assay/errors';
import { formatBytes } from '../format-bytes';
import { LocalBlobStore } from './local-blob-store';

let rootDir: string;
let store: LocalBlobStore;

beforeEach(async () => {
  rootDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'assay-blobs-'));
  store = new LocalBlobStore({ rootDir });
});

afterEach(async () => {
  await fs.promises.rm(rootDir, { recursive: true, force: true });
});

/** Every file under the store's root, relative paths. */
async function filesOnDisk(): Promise<string[]> {
  const entries = await fs.promises.readdir(rootDir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(rootDir, path.join(entry.parentPath, entry.name)));
}

describe('LocalBlobStore', () => {
  it('stores a stream and reports its size and SHA-256', async () => {
    const content = 'region,sales\nnorth,10\n'.repeat(1000);
    const blob = await store.put(Readable.from([content]), { keyPrefix: 'tenant-a' });
    expect(blob.key.startsWith('tenant-a/')).toBe(true);
    expect(blob.sizeBytes).toBe(Buffer.byteLength(content));
    expect(blob.sha256).toBe(createHash('sha256').update(content).digest('hex'));
    expect(await text(await store.get(blob.key))).toBe(content);
    expect(await store.exists(blob.key)).toBe(true);
    expect(await fs.promises.readFile(store.localPath(blob.key), 'utf8')).toBe(content);
  });

  it('accepts content exactly at the limit', async () => {
    const blob = await store.put(Readable.from([Buffer.alloc(100)]), { maxBytes: 100 });
    expect(blob.sizeBytes).toBe(100);
  });

  it('refuses content over the limit and keeps nothing', async () => {
    const chunks = Array.from({ length: 10 }, () => Buffer.alloc(64 * 1024));
    let caught: unknown;
    try {
      await store.put(Readable.from(chunks), { maxBytes: 100_000, keyPrefix: 't' });
    } catch (error) {
      caught = error;
    }
    expect(isAssayError(caught) && caught.code).toBe('PAYLOAD_TOO_LARGE');
    expect(isAssayError(caught) && caught.status).toBe(413);
    expect(await filesOnDisk()).toEqual([]);
  });

  it('keeps nothing when the source stream fails midway', async () => {
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(1024));
        this.destroy(new Error('client went away'));
      },
    });
    await expect(store.put(failing)).rejects.toThrow('client went away');
    expect(await filesOnDisk()).toEqual([]);
  });

  it('answers NotFound for a missing blob and for keys that try to leave the root', async () => {
    await expect(store.get('nope/missing')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(store.get('../../etc/passwd')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await store.exists('../outside')).toBe(false);
  });

  it('deletes blobs, and deleting twice is fine', async () => {
    const blob = await store.put(Readable.from(['x']));
    await store.delete(blob.key);
    await store.delete(blob.key);
    expect(await store.exists(blob.key)).toBe(false);
  });
});

describe('formatBytes', () => {
  it.each([
    [900, '900 bytes'],
    [52_428_800, '50 MiB'],
    [50_000_000, '47.7 MiB'],
    [3 * 1024 ** 3, '3 GiB'],
  ])('%d -> %s', (bytes, expected) => {
    expect(formatBytes(bytes)).toBe(expected);
  });
});
