import type { Readable } from 'node:stream';
import type { ChangedFile } from '@assay/artifacts';
import { AssayError, ErrorCode } from '@assay/errors';
import type { Logger } from '@assay/logger';
import type { RemoteWorkspace, Sandbox, WorkspaceEntry } from '@assay/sandbox';
import type { BlobStore } from '@assay/storage';
import type { ChatInputFile, SandboxSlot, SandboxSlots, SlotWorkspace } from './sandbox-slots';

/** A sandbox whose workspace is reached through its backend's file API. */
export type RemoteSandbox = Sandbox & RemoteWorkspace;

/** How a remote backend starts, ends and lets go of its sandboxes. */
export interface RemoteSandboxProvider {
  /** Starts a sandbox with an empty workspace of its own. */
  create(logger: Logger): Promise<RemoteSandbox>;
  /** Ends the sandbox and removes its workspace (best effort). */
  close(sandbox: RemoteSandbox): Promise<void>;
  /** Lets go of the sandbox at executor shutdown (E2B: leave it running for another replica). */
  detach(sandbox: RemoteSandbox): Promise<void>;
  /**
   * Reaches a running sandbox by id, for backends whose sandboxes any replica can reach (E2B);
   * `resumed`: its kernel kept the variables of earlier cells. Absent: not reconnectable.
   */
  reconnect?(sandboxId: string, logger: Logger): Promise<{ sandbox: RemoteSandbox; resumed: boolean }>;
}

/** Options of {@link RemoteSandboxSlots}. */
export interface RemoteSandboxSlotsOptions {
  provider: RemoteSandboxProvider;
  blobs: BlobStore;
  logger: Logger;
  /** Path in the sandbox that reported files are under (for logs and the collector's `absolutePath`). @defaultValue "/mnt/data" */
  workspacePath?: string;
}

/**
 * Slots of the remote backends (Jupyter Server, E2B): input files are uploaded into the
 * sandbox's workspace once per sandbox, and the files a cell wrote are found by listing the
 * workspace before and after the cell (modification time and size) and downloaded through the
 * backend's file API.
 */
export class RemoteSandboxSlots implements SandboxSlots {
  readonly reconnectable: boolean;

  constructor(private readonly options: RemoteSandboxSlotsOptions) {
    this.reconnectable = options.provider.reconnect !== undefined;
  }

  async reconnect(sandboxId: string, logger: Logger = this.options.logger): Promise<{ slot: SandboxSlot; resumed: boolean }> {
    if (this.options.provider.reconnect === undefined) {
      throw new AssayError(ErrorCode.SANDBOX_UNAVAILABLE, 'This sandbox backend cannot reconnect to a sandbox: start a new one.');
    }
    const { sandbox, resumed } = await this.options.provider.reconnect(sandboxId, logger);
    return { slot: this.slotOf(sandbox), resumed };
  }

  async open(logger: Logger = this.options.logger): Promise<SandboxSlot> {
    return this.slotOf(await this.options.provider.create(logger));
  }

  private slotOf(sandbox: RemoteSandbox): SandboxSlot {
    return { sandbox, workspace: new RemoteSlotWorkspace(sandbox, this.options.blobs, this.options.workspacePath ?? '/mnt/data') };
  }

  async close(slot: SandboxSlot): Promise<void> {
    await this.options.provider.close(slot.sandbox as RemoteSandbox).catch((error: unknown) =>
      this.options.logger.warn({ err: error, sandboxId: slot.sandbox.id }, 'remote sandbox did not close cleanly'),
    );
  }

  async detach(slot: SandboxSlot): Promise<void> {
    await this.options.provider.detach(slot.sandbox as RemoteSandbox).catch((error: unknown) =>
      this.options.logger.warn({ err: error, sandboxId: slot.sandbox.id }, 'could not detach from a remote sandbox'),
    );
  }
}

class RemoteSlotWorkspace implements SlotWorkspace {
  constructor(
    private readonly sandbox: RemoteSandbox,
    private readonly blobs: BlobStore,
    private readonly workspacePath: string,
  ) {}

  /** Uploaded before the cell's snapshot, so inputs never count as files a cell wrote. */
  async provideFiles(files: readonly ChatInputFile[]): Promise<void> {
    await this.sandbox.provideFiles(
      files.map((file) => ({ name: file.name, key: file.fileId, open: (): Promise<Readable> => this.blobs.get(file.blobKey) })),
    );
  }

  async snapshot(): Promise<() => Promise<ChangedFile[]>> {
    const before = versions(await this.sandbox.listWorkspace());
    return async () => {
      const changed: ChangedFile[] = [];
      for (const entry of await this.sandbox.listWorkspace()) {
        if (before.get(entry.path) === entry.version) continue;
        changed.push({ relativePath: entry.path, absolutePath: `${this.workspacePath}/${entry.path}`, sizeBytes: entry.sizeBytes });
      }
      return changed.sort((a, b) => a.relativePath.localeCompare(b.relativePath));
    };
  }

  open(file: ChangedFile): Promise<Readable> {
    return this.sandbox.readWorkspaceFile(file.relativePath);
  }
}

function versions(entries: readonly WorkspaceEntry[]): Map<string, string> {
  return new Map(entries.map((entry) => [entry.path, entry.version]));
}
