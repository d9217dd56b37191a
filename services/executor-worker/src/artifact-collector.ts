import fs from 'node:fs';
import { type ArtifactLimits, WorkspaceSnapshot, selectArtifacts } from '@assay/artifacts';
import type { CellOutput } from '@assay/contracts';
import { type TenantScope, toArtifactResource } from '@assay/db';
import type { ChatEventLog } from '@assay/events';
import type { Logger } from '@assay/logger';
import type { BlobStore } from '@assay/storage';

/** Options of {@link ArtifactCollector}. */
export interface ArtifactCollectorOptions {
  blobs: BlobStore;
  events: ChatEventLog;
  limits: ArtifactLimits;
}

/** Which cell wrote the files. */
export interface CellRef {
  scope: TenantScope;
  chatId: string;
  messageId: string;
  cellId: string;
  logger: Logger;
}

/**
 * Keeps the files a cell wrote under /mnt/data: take a snapshot of the workspace before the
 * cell, then {@link ArtifactCollector.collect} after it stores each new or changed file of a
 * downloadable kind in the blob store, records it, and announces it with an artifact.created
 * event. The files stay in the workspace for later cells.
 */
export class ArtifactCollector {
  constructor(private readonly options: ArtifactCollectorOptions) {}

  /** The workspace as it is before a cell runs. */
  snapshot(dataDir: string): Promise<WorkspaceSnapshot> {
    return WorkspaceSnapshot.take(dataDir);
  }

  /**
   * Stores what the cell wrote since `before`.
   * @returns stderr outputs to show under the cell for files that were not kept (too large, too many)
   */
  async collect(before: WorkspaceSnapshot, cell: CellRef): Promise<CellOutput[]> {
    const after = await WorkspaceSnapshot.take(before.rootDir);
    const { keep, notices } = selectArtifacts(before.changedIn(after), this.options.limits);
    for (const candidate of keep) {
      let stored;
      try {
        stored = await this.options.blobs.put(fs.createReadStream(candidate.absolutePath), {
          keyPrefix: cell.scope.tenantId,
          maxBytes: this.options.limits.maxBytes,
        });
      } catch (error) {
        // The code may have removed or grown the file meanwhile; the cell's result stands.
        cell.logger.warn({ err: error, artifact: candidate.relativePath }, 'could not keep a file the cell wrote');
        notices.push(`${candidate.relativePath} was not kept: it changed or disappeared while it was being saved.`);
        continue;
      }
      const row = await cell.scope.artifacts.create({
        chatId: cell.chatId,
        messageId: cell.messageId,
        cellId: cell.cellId,
        name: candidate.relativePath,
        mimeType: candidate.mimeType,
        sizeBytes: stored.sizeBytes,
        sha256: stored.sha256,
        blobKey: stored.key,
      });
      await this.options.events.publish({
        type: 'artifact.created',
        chatId: cell.chatId,
        messageId: cell.messageId,
        data: { artifact: toArtifactResource(row) },
      });
      cell.logger.info({ artifactId: row.id, artifact: candidate.relativePath, sizeBytes: stored.sizeBytes }, 'artifact kept');
    }
    return notices.map((text) => ({ output_type: 'stream', name: 'stderr', text: `${text}\n` }));
  }
}
