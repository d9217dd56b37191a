import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { isAssayError } from '@assay/errors';
import { S3BlobStore, createBlobStore, withLocalFile, type S3BlobStoreOptions } from '@assay/storage';
import { S3TestServer } from '../support/s3-test-server';
import { freePort } from '../support/service-stack';
import { describeBlobStoreConformance, TEST_PART_BYTES } from './support/blob-store-conformance';
import { generatedContent } from './support/generated-content';

let server: S3TestServer;

beforeAll(async () => {
  server = await S3TestServer.start();
});

afterAll(async () => {
  const internalErrors = server?.internalErrors() ?? [];
  await server?.stop();
  // Nothing the store did may have made the server fail, even where a retry hid it.
  expect(internalErrors).toEqual([]);
});

/** A bucket name no other test uses. */
function uniqueBucket(): string {
  return `assay-test-${randomUUID().slice(0, 8)}`;
}

function options(bucket: string, overrides: Partial<S3BlobStoreOptions> = {}): S3BlobStoreOptions {
  return {
    endpoint: server.endpoint,
    accessKey: server.accessKey,
    secretKey: server.secretKey,
    bucket,
    partSizeBytes: TEST_PART_BYTES,
    ...overrides,
  };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

describeBlobStoreConformance('S3BlobStore', async () => {
  const bucket = uniqueBucket();
  const store = await S3BlobStore.open(options(bucket));
  return {
    store,
    storedKeys: () => server.objectKeys(bucket),
    leftovers: () => server.pendingUploads(bucket),
    close: async () => undefined,
  };
});

describe('S3BlobStore against a real S3 server', () => {
  it('creates its bucket when missing, and opens an existing one as it is', async () => {
    const bucket = uniqueBucket();
    const first = await S3BlobStore.open(options(bucket));
    const blob = await first.put(Readable.from(['a,b\n1,2\n']));
    const second = await S3BlobStore.open(options(bucket));
    expect(await second.exists(blob.key)).toBe(true);
    expect(await server.objectKeys(bucket)).toEqual([blob.key]);
  });

  it('is built by createBlobStore from its config', async () => {
    const bucket = uniqueBucket();
    const store = await createBlobStore({
      kind: 's3',
      endpoint: server.endpoint,
      accessKey: server.accessKey,
      secretKey: server.secretKey,
      bucket,
      region: 'us-east-1',
      pathStyle: true,
      partSizeBytes: TEST_PART_BYTES,
    });
    expect(store).toBeInstanceOf(S3BlobStore);
    expect(store.localPath('any/key')).toBeUndefined();
    const blob = await store.put(Readable.from(['hello']));
    expect(await server.objectKeys(bucket)).toEqual([blob.key]);
  });

  it('refuses wrong credentials at open with CONFIG_INVALID naming the variables to check', async () => {
    const error = await rejectionOf(S3BlobStore.open(options(uniqueBucket(), { secretKey: 'not-the-secret' })));
    expect(isAssayError(error) && { code: error.code, retryable: error.retryable }).toEqual({ code: 'CONFIG_INVALID', retryable: false });
    expect((error as Error).message).toContain('ASSAY_S3_SECRET_KEY');
    expect((error as Error).message).toContain(server.endpoint);
    expect((error as Error).message).not.toContain('not-the-secret');
  });

  it('reports an endpoint where nothing listens as UNAVAILABLE, retryable, naming ASSAY_S3_ENDPOINT', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const error = await rejectionOf(S3BlobStore.open(options(uniqueBucket(), { endpoint })));
    expect(isAssayError(error) && { code: error.code, status: error.status, retryable: error.retryable }).toEqual({
      code: 'UNAVAILABLE',
      status: 503,
      retryable: true,
    });
    expect((error as Error).message).toContain(endpoint);
    expect((error as Error).message).toContain('ASSAY_S3_ENDPOINT');
  });

  it('refuses an endpoint with a path, which would silently be dropped', () => {
    expect(() => new S3BlobStore(options('assay', { endpoint: `${server.endpoint}/assay` }))).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });

  it('ping fails once the bucket is gone', async () => {
    const bucket = uniqueBucket();
    const store = await S3BlobStore.open(options(bucket));
    await expect(store.ping()).resolves.toBeUndefined();
    await fs.promises.rm(`${server.directory}/${bucket}`, { recursive: true });
    await expect(store.ping()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('answers UNAVAILABLE (503, retryable) to reads and writes once the server is gone', async () => {
    const own = await S3TestServer.start();
    const store = await S3BlobStore.open({ ...options(uniqueBucket()), endpoint: own.endpoint });
    const blob = await store.put(Readable.from(['a,b\n']));
    await own.stop();
    const expected = { code: 'UNAVAILABLE', status: 503, retryable: true };
    const attempts = [() => store.get(blob.key), () => store.put(Readable.from(['c,d\n'])), () => store.exists(blob.key), () => store.delete(blob.key)];
    for (const attempt of attempts) {
      const error = await rejectionOf(attempt());
      expect(isAssayError(error) && { code: error.code, status: error.status, retryable: error.retryable }).toEqual(expected);
    }
  });

  it('gives readers that need a file a temporary copy, removed afterwards', async () => {
    const store = await S3BlobStore.open(options(uniqueBucket()));
    const content = generatedContent(TEST_PART_BYTES + 99, 5);
    const blob = await store.put(content.stream());
    let copyPath = '';
    const size = await withLocalFile(store, blob.key, async (file) => {
      copyPath = file;
      return (await fs.promises.stat(file)).size;
    });
    expect(size).toBe(blob.sizeBytes);
    expect(fs.existsSync(copyPath)).toBe(false);
  });
});
