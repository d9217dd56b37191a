import { toFileResource } from '@assay/db';
import type { Logger } from '@assay/logger';
import type { JobQueues } from '@assay/queue';
import type { BlobStore } from '@assay/storage';
import { Router } from 'express';
import { tenantOf } from '../auth';
import { receiveUpload } from '../upload';

export interface FileRoutesOptions {
  queues: JobQueues;
  blobs: BlobStore;
  logger: Logger;
  maxUploadBytes: number;
}

/** `/v1/files`: upload a table, read its metadata and ingest status. */
export function fileRoutes(options: FileRoutesOptions): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const tenant = tenantOf(res);
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

    let fileId: string | undefined;
    try {
      const file = await tenant.files.create({
        name: upload.name,
        format: upload.format,
        sizeBytes: upload.blob.sizeBytes,
        sha256: upload.blob.sha256,
        blobKey: upload.blob.key,
      });
      fileId = file.id;
      await options.queues.add('ingest', { tenantId: tenant.tenantId, fileId: file.id });
      options.logger.info({ tenantId: tenant.tenantId, fileId: file.id, sizeBytes: upload.blob.sizeBytes }, 'file uploaded');
      res.status(202).json(toFileResource(file));
    } catch (error) {
      // Nothing half-created: without its ingest job the file would stay pending forever.
      if (fileId !== undefined) await tenant.files.delete(fileId).catch(() => undefined);
      await options.blobs.delete(upload.blob.key).catch(() => undefined);
      throw error;
    }
  });

  router.get('/:fileId', async (req, res) => {
    res.json(toFileResource(await tenantOf(res).files.get(req.params.fileId)));
  });

  return router;
}
