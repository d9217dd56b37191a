import { type ArtifactLimits, type ChangedFile, selectArtifacts } from '@assay/artifacts';
import type { CellOutput } from '@assay/contracts';
import { type TenantScope, toArtifactResource } from '@assay/db';
import type { ChatEventLog } from '@assay/events';
import type { Logger } from '@assay/logger';
import type { BlobStore } from '@assay/storage';
import type { SlotWorkspace } from './sandbox-slots';

/** Options of {@link ArtifactCollector}. */
export interface ArtifactCollectorOptions {
  blobs: BlobStore;
  events: ChatEventLog;
  limits: ArtifactLimits;
}

/** A workspace as it was before a cell, from {@link ArtifactCollector.snapshot}. */
export interface WorkspaceBefore {
  readonly workspace: SlotWorkspace;
  /** Lists what changed since. */
  readonly changed: () => Promise<ChangedFile[]>;
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
  async snapshot(workspace: SlotWorkspace): Promise<WorkspaceBefore> {
    return { workspace, changed: await workspace.snapshot() };
  }

  /**
   * Stores what the cell wrote since `before`.
   * @returns stderr outputs to show under the cell for files that were not kept (too large, too many)
   */
  async collect(before: WorkspaceBefore, cell: CellRef): Promise<CellOutput[]> {
    const { keep, notices } = selectArtifacts(await before.changed(), this.options.limits);
    for (const candidate of keep) {
      let stored;
      try {
        stored = await this.options.blobs.put(await before.workspace.open(candidate), {
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
