import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { isAssayError } from '@assay/errors';
import type { BlobStore } from '@assay/storage';
import { generatedContent } from './generated-content';

/** A store under test and what a test needs to look behind it. */
export interface StoreUnderTest {
  store: BlobStore;
  /** Keys of the complete blobs the backend holds, whatever the store's API says. */
  storedKeys(): Promise<string[]>;
  /** Anything a write may leave besides complete blobs: partial files, unfinished uploads. */
  leftovers(): Promise<string[]>;
  /** Releases everything the setup made. */
  close(): Promise<void>;
}

/**
 * Part size the setups give stores that upload in parts (the S3 minimum), so that the large
 * cases below span several parts.
 */
export const TEST_PART_BYTES = 5 * 1024 * 1024;

/** A source that sends `bytesBeforeFailure` bytes, then fails as a dropped client does. */
function failingSource(bytesBeforeFailure: number, message: string): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= bytesBeforeFailure) {
        this.destroy(new Error(message));
        return;
      }
      const chunk = Buffer.alloc(Math.min(256 * 1024, bytesBeforeFailure - sent), 7);
      sent += chunk.length;
      this.push(chunk);
    },
  });
}

async function sha256Of(stream: Readable): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    bytes += buffer.length;
    hash.update(buffer);
  }
  return { sha256: hash.digest('hex'), bytes };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

/**
 * What every BlobStore promises (see packages/storage/src/types.ts), as one suite run against
 * each implementation with its real backend.
 */
export function describeBlobStoreConformance(name: string, setup: () => Promise<StoreUnderTest>): void {
  describe(`${name} (BlobStore conformance)`, () => {
    let subject: StoreUnderTest;
    let store: BlobStore;

    beforeEach(async () => {
      subject = await setup();
      store = subject.store;
    });

    afterEach(async () => {
      await subject?.close();
    });

    it('stores a small stream under the key prefix and reports its size and SHA-256', async () => {
      const content = 'region,sales\nnorth,10\nsouth,7\n'.repeat(500);
      const blob = await store.put(Readable.from([content]), { keyPrefix: 'tenant-a' });
      expect(blob.key).toMatch(/^tenant-a\/[0-9a-f-]{36}$/);
      expect(blob.sizeBytes).toBe(Buffer.byteLength(content));
      expect(blob.sha256).toBe(createHash('sha256').update(content).digest('hex'));
      expect(await text(await store.get(blob.key))).toBe(content);
      expect(await store.exists(blob.key)).toBe(true);
      expect(await subject.storedKeys()).toEqual([blob.key]);
    });

    it('round-trips content spanning several parts byte for byte', async () => {
      const size = 4 * TEST_PART_BYTES + 12_345;
      const content = generatedContent(size, 42);
      const blob = await store.put(content.stream(), { keyPrefix: 'big', maxBytes: 100 * 1024 * 1024 });
      expect(blob).toEqual({ key: expect.stringMatching(/^big\//), sizeBytes: size, sha256: content.sha256 });
      expect(await sha256Of(await store.get(blob.key))).toEqual({ sha256: content.sha256, bytes: size });
      expect(await subject.leftovers()).toEqual([]);
    });

    it('stores content of exactly one part', async () => {
      const content = generatedContent(TEST_PART_BYTES, 7);
      const blob = await store.put(content.stream());
      expect(blob.sizeBytes).toBe(TEST_PART_BYTES);
      expect(await sha256Of(await store.get(blob.key))).toEqual({ sha256: content.sha256, bytes: TEST_PART_BYTES });
    });

    it('stores empty content', async () => {
      const blob = await store.put(Readable.from([]));
      expect(blob.sizeBytes).toBe(0);
      expect(blob.sha256).toBe(createHash('sha256').digest('hex'));
      expect(await text(await store.get(blob.key))).toBe('');
    });

    it('accepts content exactly at the limit', async () => {
      const blob = await store.put(Readable.from([Buffer.alloc(100, 1)]), { maxBytes: 100 });
      expect(blob.sizeBytes).toBe(100);
    });

    it('refuses content over the limit with PAYLOAD_TOO_LARGE and keeps nothing, also after several parts', async () => {
      const limit = 2 * TEST_PART_BYTES + 1000;
      const error = await rejectionOf(store.put(generatedContent(3 * TEST_PART_BYTES, 3).stream(), { maxBytes: limit, keyPrefix: 't' }));
      expect(isAssayError(error) && { code: error.code, status: error.status }).toEqual({ code: 'PAYLOAD_TOO_LARGE', status: 413 });
      expect(await subject.storedKeys()).toEqual([]);
      expect(await subject.leftovers()).toEqual([]);
    });

    it('keeps nothing when the source fails before the first part is full', async () => {
      await expect(store.put(failingSource(1024, 'client went away early'))).rejects.toThrow('client went away early');
      expect(await subject.storedKeys()).toEqual([]);
      expect(await subject.leftovers()).toEqual([]);
    });

    it('keeps nothing when the source fails after several parts were sent', async () => {
      await expect(store.put(failingSource(2 * TEST_PART_BYTES + 300_000, 'client went away late'))).rejects.toThrow('client went away late');
      expect(await subject.storedKeys()).toEqual([]);
      expect(await subject.leftovers()).toEqual([]);
    });

    it('answers NOT_FOUND for a missing blob and for keys it would never generate', async () => {
      await expect(store.get('nope/00000000-0000-0000-0000-000000000000')).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
      await expect(store.get('../../etc/passwd')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await store.exists('nope/missing')).toBe(false);
      expect(await store.exists('../outside')).toBe(false);
    });

    it('deletes a blob, and deleting it again is fine', async () => {
      const kept = await store.put(Readable.from(['keep']));
      const blob = await store.put(Readable.from(['x']));
      await store.delete(blob.key);
      await store.delete(blob.key);
      expect(await store.exists(blob.key)).toBe(false);
      await expect(store.get(blob.key)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await subject.storedKeys()).toEqual([kept.key]);
    });

    it('keeps concurrent uploads apart', async () => {
      const contents = [generatedContent(TEST_PART_BYTES + 1, 11), generatedContent(3000, 12), generatedContent(2 * TEST_PART_BYTES, 13)];
      const blobs = await Promise.all(contents.map((content) => store.put(content.stream(), { keyPrefix: 'same' })));
      expect(new Set(blobs.map((blob) => blob.key)).size).toBe(3);
      for (const [index, blob] of blobs.entries()) {
        expect(await sha256Of(await store.get(blob.key))).toEqual({ sha256: contents[index]?.sha256, bytes: blob.sizeBytes });
      }
    });

    it('answers ping when it can take writes', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
