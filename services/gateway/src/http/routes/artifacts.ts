import { pipeline } from 'node:stream/promises';
import type { Logger } from '@assay/logger';
import type { BlobStore } from '@assay/storage';
import { Router } from 'express';
import { tenantOf } from '../auth';

export interface ArtifactRoutesOptions {
  blobs: BlobStore;
  logger: Logger;
}

/** `/v1/artifacts`: download the files analysis code wrote. */
export function artifactRoutes(options: ArtifactRoutesOptions): Router {
  const router = Router();

  router.get('/:artifactId', async (req, res) => {
    const tenant = tenantOf(res);
    const artifact = await tenant.artifacts.get(req.params.artifactId);
    const body = await options.blobs.get(artifact.blobKey);
    const fileName = artifact.name.slice(artifact.name.lastIndexOf('/') + 1);
    res.status(200);
    res.setHeader('Content-Type', artifact.mimeType);
    res.setHeader('Content-Length', String(artifact.sizeBytes));
    res.setHeader('Content-Disposition', `attachment; filename="${asciiFallback(fileName)}"; filename*=UTF-8''${encodeURIComponent(fileName)}`);
    res.setHeader('ETag', `"${artifact.sha256}"`);
    // Model-written files (SVG can hold scripts) must never run in the API's origin.
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    try {
      await pipeline(body, res);
    } catch (error) {
      // The client went away, or the store failed mid-stream: the response cannot be fixed now.
      options.logger.warn({ err: error, tenantId: tenant.tenantId, artifactId: artifact.id }, 'artifact download ended early');
      res.destroy();
    }
  });

  return router;
}

/** The filename= parameter for clients that ignore filename*: ASCII only, no quotes or backslashes. */
function asciiFallback(name: string): string {
  return name.replace(/[^\x20-\x7e]|["\\]/g, '_');
}
