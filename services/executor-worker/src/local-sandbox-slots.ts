import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type ChangedFile, WorkspaceSnapshot } from '@assay/artifacts';
import { AssayError, ErrorCode } from '@assay/errors';
import type { Logger } from '@assay/logger';
import type { SandboxBackend } from '@assay/sandbox';
import type { BlobStore } from '@assay/storage';
import { type ChatInputFile, SANDBOX_INPUTS_DIR, type SandboxSlot, type SandboxSlots, type SlotWorkspace } from './sandbox-slots';

/** Options of {@link LocalSandboxSlots}. */
export interface LocalSandboxSlotsOptions {
  backend: SandboxBackend;
  /** Host directory under which each slot gets `k-<uuid>/{data,inputs}`. */
  workspacesDir: string;
  blobs: BlobStore;
  logger: Logger;
}

/** A local slot: the kernel and the host directories it sees. */
interface LocalSlot extends SandboxSlot {
  /** Host directory holding `data` and `inputs`; removed with the slot. */
  readonly rootDir: string;
}

/**
 * Slots of the local backend: each kernel gets `data` mounted read-write at /mnt/data and
 * `inputs` mounted read-only at /mnt/inputs. Input files are hard-linked (or copied, across
 * filesystems) into `inputs`, and /mnt/data/<name> is a link to them: code reads them by their
 * original names but cannot change the stored upload.
 */
export class LocalSandboxSlots implements SandboxSlots {
  /** Local kernels die with their executor. */
  readonly reconnectable = false;

  constructor(private readonly options: LocalSandboxSlotsOptions) {}

  reconnect(): Promise<{ slot: SandboxSlot; resumed: boolean }> {
    return Promise.reject(new AssayError(ErrorCode.SANDBOX_UNAVAILABLE, 'Local kernels cannot be reconnected to: start a new one.'));
  }

  async open(logger: Logger = this.options.logger): Promise<SandboxSlot> {
    const rootDir = path.join(this.options.workspacesDir, `k-${randomUUID()}`);
    const dataDir = path.join(rootDir, 'data');
    const inputsDir = path.join(rootDir, 'inputs');
    // The kernel runs as an unprivileged user: it must be able to traverse down to its workspace
    // but not list the others, hence search-only for others on the shared level.
    await searchableDirectory(this.options.workspacesDir);
    await searchableDirectory(rootDir);
    await fs.promises.mkdir(dataDir);
    await searchableDirectory(inputsDir, 0o755);
    try {
      const sandbox = await this.options.backend.create({
        workspaceDir: dataDir,
        readOnlyBinds: [{ hostPath: inputsDir, sandboxPath: SANDBOX_INPUTS_DIR }],
        logger,
      });
      const slot: LocalSlot = { sandbox, rootDir, workspace: new HostWorkspace(dataDir, inputsDir, this.options.blobs) };
      return slot;
    } catch (error) {
      await fs.promises.rm(rootDir, { recursive: true, force: true });
      throw error;
    }
  }

  async close(slot: SandboxSlot): Promise<void> {
    await slot.sandbox.close().catch((error: unknown) => this.options.logger.warn({ err: error, sandboxId: slot.sandbox.id }, 'kernel did not close cleanly'));
    const rootDir = (slot as LocalSlot).rootDir;
    await fs.promises.rm(rootDir, { recursive: true, force: true }).catch((error: unknown) =>
      this.options.logger.warn({ err: error, dir: rootDir }, 'could not remove a kernel workspace'),
    );
  }

  /** Local kernels die with their executor: detaching is closing. */
  detach(slot: SandboxSlot): Promise<void> {
    return this.close(slot);
  }
}

/** A workspace on this machine's disk. */
class HostWorkspace implements SlotWorkspace {
  constructor(
    private readonly dataDir: string,
    private readonly inputsDir: string,
    private readonly blobs: BlobStore,
  ) {}

  /**
   * Each upload keeps its own read-only input, by file id; /mnt/data/<name> links to it. A file
   * the code wrote under that name is the user's and is left alone.
   */
  async provideFiles(files: readonly ChatInputFile[]): Promise<void> {
    for (const file of files) {
      const inputDir = path.join(this.inputsDir, file.fileId);
      const input = path.join(inputDir, file.name);
      if (!(await exists(input))) {
        await searchableDirectory(inputDir, 0o755);
        await this.materialise(file.blobKey, input);
      }
      const link = path.join(this.dataDir, file.name);
      const target = path.posix.join(SANDBOX_INPUTS_DIR, file.fileId, file.name);
      const current = await fs.promises.lstat(link).catch(() => undefined);
      if (current && !current.isSymbolicLink()) continue;
      if (current && (await fs.promises.readlink(link)) === target) continue;
      if (current) await fs.promises.rm(link);
      await fs.promises.symlink(target, link);
    }
  }

  async snapshot(): Promise<() => Promise<ChangedFile[]>> {
    const before = await WorkspaceSnapshot.take(this.dataDir);
    return async () => before.changedIn(await WorkspaceSnapshot.take(this.dataDir));
  }

  async open(file: ChangedFile): Promise<Readable> {
    return fs.createReadStream(file.absolutePath);
  }

  /** Puts a blob's bytes at `target`: a hard link when the store is local, else a copy. */
  private async materialise(blobKey: string, target: string): Promise<void> {
    const local = this.blobs.localPath(blobKey);
    if (local !== undefined) {
      try {
        await fs.promises.link(local, target);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      }
    }
    const partial = `${target}.partial`;
    const handle = await fs.promises.open(partial, 'w', 0o644);
    try {
      await pipeline(await this.blobs.get(blobKey), handle.createWriteStream());
      await fs.promises.rename(partial, target);
    } catch (error) {
      await handle.close().catch(() => undefined);
      await fs.promises.rm(partial, { force: true });
      throw error;
    }
  }
}

/** Creates a directory (and its parents) and sets its mode, whatever the process umask. */
export async function searchableDirectory(dir: string, mode = 0o711): Promise<void> {
  await fs.promises.mkdir(dir, { recursive: true });
  await fs.promises.chmod(dir, mode);
}

async function exists(file: string): Promise<boolean> {
  return fs.promises.access(file).then(
    () => true,
    () => false,
  );
}
