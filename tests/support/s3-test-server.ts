import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import S3rver from '@20minutes/s3rver';

/**
 * A local server that speaks the S3 API, for tests and benchmarks of the S3 blob store: s3rver
 * (a fork maintained as @20minutes/s3rver) on 127.0.0.1, a free port, and a fresh directory.
 * It checks AWS signature V4 like S3 does, so a wrong secret is refused, and it does multipart
 * uploads. Its one key pair is fixed: {@link S3TestServer.accessKey} / {@link S3TestServer.secretKey}.
 *
 * s3rver lacks AbortMultipartUpload (it answers 405); this helper adds it (removing the upload's
 * parts, as S3 does), without checking that one request's signature. It also lacks
 * ListMultipartUploads: {@link S3TestServer.pendingUploads} reads its directory instead.
 */
export class S3TestServer {
  /** The key pair s3rver accepts. */
  readonly accessKey = 'S3RVER';
  readonly secretKey = 'S3RVER';

  private constructor(
    private readonly server: S3rver,
    /** Base URL of the S3 API, e.g. http://127.0.0.1:41234. */
    readonly endpoint: string,
    /** Where the server keeps buckets, objects and pending uploads. */
    readonly directory: string,
    private readonly errors: string[],
  ) {}

  /**
   * Requests the server failed on (5xx) so far. A client that retries can hide them (the minio
   * client repeats a request once after a 5xx), so tests check this list too.
   */
  internalErrors(): readonly string[] {
    return [...this.errors];
  }

  /** Starts a server on a free port of 127.0.0.1 with an empty directory of its own. */
  static async start(options: { buckets?: string[] } = {}): Promise<S3TestServer> {
    const directory = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'assay-s3-'));
    const server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      directory,
      silent: true,
      // Keys are not bucket subdomains here: every request is path-style.
      vhostBuckets: false,
      configureBuckets: (options.buckets ?? []).map((name) => ({ name })),
    });
    // Before s3rver's router (the last middleware), which would refuse the request.
    server.middleware.splice(server.middleware.length - 1, 0, abortMultipartUpload(directory));
    const internalErrors: string[] = [];
    server.on('error', (error: unknown, ctx?: { method?: string; url?: string }) => {
      // S3's own answers (404 NoSuchKey, 403 AccessDenied, ...) are emitted too, with their status;
      // anything without one becomes a 500.
      const status = (error as { status?: unknown }).status;
      if (typeof status !== 'number' || status >= 500) internalErrors.push(`${ctx?.method ?? '?'} ${ctx?.url ?? '?'}: ${String(error)}`);
    });
    try {
      const address: AddressInfo = await server.run();
      return new S3TestServer(server, `http://127.0.0.1:${address.port}`, directory, internalErrors);
    } catch (error) {
      await fs.promises.rm(directory, { recursive: true, force: true });
      throw error;
    }
  }

  /** Environment that makes a service use this server, bucket `bucket`. */
  env(bucket: string): Record<string, string> {
    return {
      ASSAY_STORAGE: 's3',
      ASSAY_S3_ENDPOINT: this.endpoint,
      ASSAY_S3_ACCESS_KEY: this.accessKey,
      ASSAY_S3_SECRET_KEY: this.secretKey,
      ASSAY_S3_BUCKET: bucket,
      ASSAY_S3_PATH_STYLE: 'true',
    };
  }

  /** Keys of the complete objects in `bucket` (empty when the bucket does not exist). */
  async objectKeys(bucket: string): Promise<string[]> {
    const root = path.join(this.directory, bucket);
    const entries = await fs.promises.readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
    return entries
      .filter((entry) => entry.isFile() && entry.name.endsWith('._S3rver_object'))
      .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name.slice(0, -'._S3rver_object'.length))))
      .sort();
  }

  /** Multipart uploads of `bucket` that were started and neither completed nor aborted. */
  async pendingUploads(bucket: string): Promise<string[]> {
    return fs.promises.readdir(uploadsDir(this.directory, bucket)).catch(() => []);
  }

  /** Stops the server and removes its directory. */
  async stop(): Promise<void> {
    await this.server.close().catch(() => undefined);
    await fs.promises.rm(this.directory, { recursive: true, force: true });
  }
}

/** Where s3rver keeps the parts of unfinished multipart uploads of a bucket. */
function uploadsDir(directory: string, bucket: string): string {
  return path.join(directory, bucket, '._S3rver_uploads');
}

/** `DELETE /<bucket>/<key>?uploadId=<id>`: drops the upload's parts, answers 204 like S3. */
function abortMultipartUpload(directory: string): S3rver.Middleware {
  return async (ctx, next) => {
    const uploadId = ctx.query.uploadId;
    if (ctx.method !== 'DELETE' || typeof uploadId !== 'string') return next();
    const bucket = ctx.path.split('/')[1] ?? '';
    if (!/^[0-9a-f]+$/.test(uploadId) || !/^[a-z0-9.-]+$/.test(bucket)) {
      ctx.status = 404;
      return undefined;
    }
    await fs.promises.rm(path.join(uploadsDir(directory, bucket), uploadId), { recursive: true, force: true });
    ctx.status = 204;
    return undefined;
  };
}
