import { FileResource, Page, ResourceId } from '@assay/contracts';
import { toFileResource } from '@assay/db';
import type { Logger } from '@assay/logger';
import type { JobQueues } from '@assay/queue';
import type { BlobStore } from '@assay/storage';
import { Router } from 'express';
import { tenantOf } from '../auth';
import { claimIdempotencyKey, idempotencyKeyOf, type IdempotencyOptions } from '../idempotency';
import { pageOf, pageRequest } from '../pagination';
import { receiveUpload } from '../upload';
import { sendValid } from '../validate';

export interface FileRoutesOptions {
  queues: JobQueues;
  blobs: BlobStore;
  logger: Logger;
  maxUploadBytes: number;
  /** Bytes a tenant may store when it has no quota of its own. */
  defaultStorageQuotaBytes: number;
  /** Uploads with an Idempotency-Key are fingerprinted by name and content once stored. */
  idempotency: IdempotencyOptions;
}

/** `/v1/files`: upload a table, list files, read one's metadata and ingest status, delete an unused one. */
export function fileRoutes(options: FileRoutesOptions): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const tenant = tenantOf(res);
    const idempotencyKey = idempotencyKeyOf(req);
    let upload;
    try {
      upload = await receiveUpload(req, { blobs: options.blobs, maxBytes: options.maxUploadBytes, keyPrefix: tenant.tenantId });
    } catch (error) {
      // The client may still be sending: answer now and close, rather than read a body we refused.
      res.setHeader('Connection', 'close');
      req.unpipe();
      req.resume();
      throw error;
    }

    if (idempotencyKey !== undefined) {
      // Only now is the request known (name and content): a retry has sent its bytes again, which
      // are dropped (its new blob is referenced by nothing) and the first answer is replayed.
      const fingerprint = `POST /v1/files\n${upload.name}\n${upload.format}\n${upload.blob.sha256}\n${upload.blob.sizeBytes}`;
      const dropUpload = () => options.blobs.delete(upload.blob.key).catch(() => undefined);
      let proceed = false;
      try {
        proceed = await claimIdempotencyKey(res, idempotencyKey, fingerprint, { ...options.idempotency, beforeReplay: dropUpload });
      } catch (error) {
        await dropUpload();
        throw error;
      }
      if (!proceed) return;
    }

    let stored;
    try {
      stored = await tenant.files.createStored(
        { name: upload.name, format: upload.format, sizeBytes: upload.blob.sizeBytes, sha256: upload.blob.sha256, blobKey: upload.blob.key },
        { defaultStorageQuotaBytes: options.defaultStorageQuotaBytes },
      );
    } catch (error) {
      await options.blobs.delete(upload.blob.key).catch(() => undefined);
      throw error;
    }
    const { file, deduplicated } = stored;
    // Same content as a file the tenant already has: the new row shares that blob.
    if (deduplicated) await options.blobs.delete(upload.blob.key).catch(() => undefined);

    try {
      await options.queues.add('ingest', { tenantId: tenant.tenantId, fileId: file.id });
    } catch (error) {
      // Nothing half-created: without its ingest job the file would stay pending forever.
      const orphanBlob = await tenant.files.delete(file.id).catch(() => undefined);
      if (orphanBlob !== undefined) await options.blobs.delete(orphanBlob).catch(() => undefined);
      throw error;
    }
    options.logger.info({ tenantId: tenant.tenantId, fileId: file.id, sizeBytes: upload.blob.sizeBytes, deduplicated }, 'file uploaded');
    sendValid(res, FileResource, toFileResource(file), 202);
  });

  router.get('/', async (req, res) => {
    const page = pageRequest(req, ResourceId);
    const rows = await tenantOf(res).files.list({ take: page.take, afterId: page.after });
    sendValid(res, FilePage, pageOf(rows, page, (row) => row.id, toFileResource));
  });

  /** 409 while a message uses the file; the blob goes once no file of the tenant shares it. */
  router.delete('/:fileId', async (req, res) => {
    const tenant = tenantOf(res);
    const orphanBlob = await tenant.files.deleteUnattached(req.params.fileId);
    if (orphanBlob !== undefined) {
      await options.blobs.delete(orphanBlob).catch((error: unknown) => {
        // The row is gone; a blob left behind costs space, not correctness.
        options.logger.warn({ err: error, tenantId: tenant.tenantId, fileId: req.params.fileId }, 'blob of a deleted file could not be removed');
      });
    }
    options.logger.info({ tenantId: tenant.tenantId, fileId: req.params.fileId }, 'file deleted');
    res.status(204).end();
  });

  router.get('/:fileId', async (req, res) => {
    sendValid(res, FileResource, toFileResource(await tenantOf(res).files.get(req.params.fileId)));
  });

  return router;
}

const FilePage = Page(FileResource);
