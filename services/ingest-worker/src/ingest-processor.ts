import { TenantScope, type PrismaClient } from '@assay/db';
import { ErrorCode, describeFailure, isAssayError } from '@assay/errors';
import { inspectFile } from '@assay/ingest';
import type { MessagePipeline } from '@assay/pipeline';
import type { FinalFailureHandler, JobProcessor } from '@assay/queue';
import { withLocalFile, type BlobStore } from '@assay/storage';

export interface IngestProcessorOptions {
  prisma: PrismaClient;
  blobs: BlobStore;
  pipeline: MessagePipeline;
}

/**
 * Inspects one uploaded file and records its metadata, or why it cannot be read (an unreadable
 * file is an outcome, not a job failure); then lets messages waiting for it start. A file that
 * is not pending any more was handled by an earlier attempt: only the hand-over is repeated.
 */
export function ingestProcessor(options: IngestProcessorOptions): JobProcessor<'ingest'> {
  return async ({ tenantId, fileId }, { logger }) => {
    const scope = new TenantScope(options.prisma, tenantId);
    const file = await scope.files.get(fileId);
    if (file.status === 'pending') {
      try {
        const metadata = await withLocalFile(options.blobs, file.blobKey, (filePath) =>
          inspectFile({ path: filePath, format: file.format, name: file.name }),
        );
        await scope.files.markReady(fileId, metadata);
        logger.info({ sheets: metadata.sheets.length }, 'file ingested');
      } catch (error) {
        if (!isAssayError(error) || error.retryable) throw error;
        await scope.files.markFailed(fileId, { code: error.code, message: error.message });
        logger.info({ code: error.code, reason: error.message }, 'file is unreadable');
      }
    }
    await options.pipeline.fileSettled(tenantId, fileId);
  };
}

/** When inspection keeps failing for another reason, the file is marked failed so nothing waits on it. */
export function ingestFailureHandler(options: IngestProcessorOptions): FinalFailureHandler<'ingest'> {
  return async ({ tenantId, fileId }, error) => {
    const scope = new TenantScope(options.prisma, tenantId);
    await scope.files.markFailed(
      fileId,
      describeFailure(error, { code: ErrorCode.INTERNAL, message: 'The file could not be processed; upload it again.' }),
    );
    await options.pipeline.fileSettled(tenantId, fileId);
  };
}
