import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AssayError, ErrorCode, NotFoundError, UnavailableError } from '@assay/errors';
import type { Logger } from '@assay/logger';
import { Client } from 'minio';
import { isBlobKey, newBlobKey } from '../blob-key';
import { DigestMeter } from '../digest-meter';
import type { BlobStore, PutOptions, StoredBlob } from '../types';
import { describeRuntimeFailure, describeS3Failure, errorCode, type S3Place } from './s3-failure';

/** Options of {@link S3BlobStore}. */
export interface S3BlobStoreOptions {
  /** Base URL of the S3 API: `http(s)://host[:port]`, without a path (e.g. http://minio:9000). */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  /** Bucket holding the blobs; {@link S3BlobStore.open} creates it when missing. */
  bucket: string;
  /**
   * Region the requests are signed for. Setting it spares a bucket-location request per bucket.
   * @defaultValue 'us-east-1'
   */
  region?: string;
  /**
   * Address buckets as `endpoint/bucket` (MinIO and most self-hosted servers) rather than as
   * `bucket.endpoint` (virtual-hosted, AWS's preference).
   * @defaultValue true
   */
  pathStyle?: boolean;
  /**
   * Size of one part of a multipart upload. An upload holds at most two parts in memory (one
   * being filled, one being sent), whatever the blob's size; content that ends within the first
   * part is sent in a single request. Raised automatically when `maxBytes` needs more than
   * S3's 10,000 parts. At least 5 MiB (S3's smallest part).
   * @defaultValue 8 MiB
   */
  partSizeBytes?: number;
  /**
   * Longest wait of {@link S3BlobStore.open} and {@link S3BlobStore.ping} for an answer: an
   * endpoint that drops packets would otherwise hang start-up and readiness checks.
   * @defaultValue 10_000
   */
  timeoutMs?: number;
  /** Where failures to clean up after a failed upload are reported. */
  logger?: Logger;
}

const MIN_PART_BYTES = 5 * 1024 * 1024;
const MAX_PARTS = 10_000;

/**
 * Blob store on an S3-compatible object store (MinIO, AWS S3, Cloudflare R2, ...), through the
 * `minio` client. Uploads stream: content is counted and hashed on the way and sent in parts, so
 * memory stays bounded by the part size, not the blob size. A failed or refused upload leaves
 * nothing: no object, and its multipart upload (and with it every uploaded part) is aborted.
 *
 * minio's own `putObject` is not used for streams: for content of unknown length it sizes parts
 * for a 5 TiB object (about 560 MiB each, held in memory), looks up earlier uploads of the same
 * name before each upload (ListMultipartUploads, which some servers lack), and leaves the
 * multipart upload behind when the stream fails.
 */
export class S3BlobStore implements BlobStore {
  private readonly client: Client;
  private readonly bucket: string;
  private readonly region: string;
  private readonly partSizeBytes: number;
  private readonly timeoutMs: number;
  private readonly logger: Logger | undefined;
  private readonly place: S3Place;

  constructor(options: S3BlobStoreOptions) {
    const endpoint = parseEndpoint(options.endpoint);
    this.bucket = options.bucket;
    this.region = options.region ?? 'us-east-1';
    this.partSizeBytes = Math.max(MIN_PART_BYTES, options.partSizeBytes ?? 8 * 1024 * 1024);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.logger = options.logger;
    this.place = { endpoint: endpoint.origin, bucket: options.bucket };
    try {
      this.client = new Client({
        endPoint: endpoint.hostname,
        port: endpoint.port,
        useSSL: endpoint.useSSL,
        accessKey: options.accessKey,
        secretKey: options.secretKey,
        region: this.region,
        pathStyle: options.pathStyle ?? true,
      });
    } catch (error) {
      throw new AssayError(ErrorCode.CONFIG_INVALID, `The S3 settings are not usable: ${messageOf(error)}.`, { cause: error });
    }
  }

  /**
   * A store whose bucket exists and answers to these credentials: checks (and creates) the bucket
   * once, so a wrong endpoint or key stops a service at start-up with a message that says what to
   * fix, instead of failing the first upload.
   *
   * @throws UnavailableError when the endpoint does not answer
   * @throws AssayError CONFIG_INVALID when it refuses the credentials
   */
  static async open(options: S3BlobStoreOptions): Promise<S3BlobStore> {
    const store = new S3BlobStore(options);
    await store.ensureBucket();
    return store;
  }

  /** Creates the bucket when it does not exist yet. */
  async ensureBucket(): Promise<void> {
    await this.checked('ensureBucket', async () => {
      if (await this.client.bucketExists(this.bucket)) return;
      try {
        await this.client.makeBucket(this.bucket, this.region);
      } catch (error) {
        // Another process may have created it in between.
        const code = errorCode(error);
        if (code !== 'BucketAlreadyOwnedByYou' && code !== 'BucketAlreadyExists') throw error;
      }
    });
  }

  async put(source: Readable, options: PutOptions = {}): Promise<StoredBlob> {
    const key = newBlobKey(options.keyPrefix);
    const meter = new DigestMeter(options.maxBytes);
    const upload = new ObjectUpload(this.client, this.bucket, key, this.partSizeFor(options.maxBytes));
    try {
      await pipeline(source, meter, (chunks: AsyncIterable<Buffer>) => upload.send(chunks));
    } catch (error) {
      await upload.discard().catch((cleanupError: unknown) =>
        this.logger?.warn({ err: cleanupError, key }, 'could not remove a failed upload from S3; its parts may be left'),
      );
      throw describeRuntimeFailure(error);
    }
    return { key, sizeBytes: meter.bytes, sha256: meter.digest() };
  }

  async get(key: string): Promise<Readable> {
    if (!isBlobKey(key)) throw new NotFoundError('Blob', key);
    try {
      return await this.client.getObject(this.bucket, key);
    } catch (error) {
      if (isMissing(error)) throw new NotFoundError('Blob', key);
      throw describeRuntimeFailure(error);
    }
  }

  /** Remote: there is no path on this machine; readers stream with {@link S3BlobStore.get}. */
  localPath(_key: string): undefined {
    return undefined;
  }

  async exists(key: string): Promise<boolean> {
    if (!isBlobKey(key)) return false;
    try {
      await this.client.statObject(this.bucket, key);
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw describeRuntimeFailure(error);
    }
  }

  async delete(key: string): Promise<void> {
    if (!isBlobKey(key)) return;
    try {
      // S3 answers 204 for a key that does not exist: deleting twice is fine.
      await this.client.removeObject(this.bucket, key);
    } catch (error) {
      throw describeRuntimeFailure(error);
    }
  }

  /** One HEAD request on the bucket. */
  async ping(): Promise<void> {
    await this.checked('ping', async () => {
      if (!(await this.client.bucketExists(this.bucket))) {
        throw new UnavailableError(`The S3 bucket "${this.bucket}" at ${this.place.endpoint} does not exist (any more).`, {
          details: { ...this.place },
        });
      }
    });
  }

  /** The configured part size, or larger when `maxBytes` would not fit in 10,000 parts. */
  private partSizeFor(maxBytes: number | undefined): number {
    if (maxBytes === undefined) return this.partSizeBytes;
    return Math.max(this.partSizeBytes, Math.ceil(maxBytes / MAX_PARTS));
  }

  /** Runs a configuration check with a deadline, explaining failures to the operator. */
  private async checked(what: string, check: () => Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new UnavailableError(
              `The S3 endpoint ${this.place.endpoint} did not answer within ${this.timeoutMs} ms (${what}): check ASSAY_S3_ENDPOINT and the network.`,
              { details: { ...this.place } },
            ),
          ),
        this.timeoutMs,
      );
    });
    try {
      await Promise.race([check(), deadline]);
    } catch (error) {
      throw describeS3Failure(error, this.place);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * One object being written: a single PUT when the content fits in the first part, otherwise a
 * multipart upload with one part in flight while the next one fills.
 */
class ObjectUpload {
  private uploadId: string | undefined;
  private readonly parts: { part: number; etag: string }[] = [];
  private inFlight: Promise<void> | undefined;
  private partsStarted = 0;

  constructor(
    private readonly client: Client,
    private readonly bucket: string,
    private readonly key: string,
    private readonly partSizeBytes: number,
  ) {}

  private sending: Promise<void> | undefined;

  /** Consumes the content and writes the object; settles only once no request is left running. */
  send(chunks: AsyncIterable<Buffer>): Promise<void> {
    this.sending = this.write(chunks);
    return this.sending;
  }

  private async write(chunks: AsyncIterable<Buffer>): Promise<void> {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    for await (const chunk of chunks) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes < this.partSizeBytes) continue;
      const part = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      this.uploadId ??= await this.client.initiateNewMultipartUpload(this.bucket, this.key, {});
      await this.inFlight;
      this.inFlight = this.sendPart(part);
      // Seen at the next await; until then the next part keeps filling.
      this.inFlight.catch(() => undefined);
    }
    await this.inFlight;
    const rest = Buffer.concat(pending, pendingBytes);
    if (this.uploadId === undefined) {
      await this.client.putObject(this.bucket, this.key, rest, rest.length);
      return;
    }
    if (rest.length > 0) await this.sendPart(rest);
    await this.client.completeMultipartUpload(this.bucket, this.key, this.uploadId, this.parts);
  }

  /**
   * Removes whatever this upload left: its multipart upload (S3 then drops the parts) and the
   * object, in case it was written before the failure surfaced.
   */
  async discard(): Promise<void> {
    // pipeline() may reject before the consumer has stopped: let it stop first (it fails at its
    // next read), then let the part still being sent land, as it could survive the abort.
    await this.sending?.catch(() => undefined);
    await this.inFlight?.catch(() => undefined);
    if (this.uploadId !== undefined) await this.client.abortMultipartUpload(this.bucket, this.key, this.uploadId);
    await this.client.removeObject(this.bucket, this.key);
  }

  private async sendPart(content: Buffer): Promise<void> {
    const uploadId = this.uploadId;
    if (uploadId === undefined) throw new Error('sendPart before the multipart upload started');
    const partNumber = ++this.partsStarted;
    const { etag } = await this.client.uploadPart(
      { bucketName: this.bucket, objectName: this.key, uploadID: uploadId, partNumber, headers: {} },
      content,
    );
    this.parts.push({ part: partNumber, etag });
  }
}

/** Whether minio says the object (not the bucket) does not exist. */
function isMissing(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'NoSuchKey' || code === 'NotFound';
}

/** The parts of an endpoint URL the minio client takes separately. */
function parseEndpoint(text: string): { hostname: string; port: number; useSSL: boolean; origin: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch (error) {
    throw new AssayError(ErrorCode.CONFIG_INVALID, `The S3 endpoint "${text}" is not a URL: use http(s)://host[:port].`, { cause: error });
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || (url.pathname !== '/' && url.pathname !== '') || url.search !== '') {
    throw new AssayError(
      ErrorCode.CONFIG_INVALID,
      `The S3 endpoint "${text}" must be http(s)://host[:port] without a path; the bucket is configured separately.`,
    );
  }
  const useSSL = url.protocol === 'https:';
  const port = url.port === '' ? (useSSL ? 443 : 80) : Number(url.port);
  // URL keeps IPv6 hosts in brackets; the client wants the bare address.
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { hostname, port, useSSL, origin: url.origin };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
