import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '@assay/logger';
import type { Sandbox, SandboxBackend } from '@assay/sandbox';

/** Where a chat's input files appear inside its sandbox (read-only). */
export const SANDBOX_INPUTS_DIR = '/mnt/inputs';

/** A started kernel with its own workspace directories, not yet or already bound to a chat. */
export interface SandboxSlot {
  readonly sandbox: Sandbox;
  /** Host directory holding `data` and `inputs`; removed with the slot. */
  readonly rootDir: string;
  /** Host directory mounted read-write at /mnt/data. */
  readonly dataDir: string;
  /** Host directory mounted read-only at /mnt/inputs. */
  readonly inputsDir: string;
}

/** Options of {@link SandboxSlots}. */
export interface SandboxSlotsOptions {
  backend: SandboxBackend;
  /** Host directory under which each slot gets `k-<uuid>/{data,inputs}`. */
  workspacesDir: string;
  logger: Logger;
}

/**
 * Starts kernels, each with a fresh workspace of its own. Workspaces are per kernel rather than
 * per chat so that a kernel can be started before anyone knows which chat will use it (the warm
 * pool); what a chat's code wrote is kept as artifacts, and a chat's variables and files are
 * rebuilt by replaying its cells when its kernel is replaced.
 */
export class SandboxSlots {
  constructor(private readonly options: SandboxSlotsOptions) {}

  /** Starts a kernel in a new workspace; removes the workspace again if the kernel cannot start. */
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
      return { sandbox, rootDir, dataDir, inputsDir };
    } catch (error) {
      await fs.promises.rm(rootDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Stops the kernel and removes its workspace. Never throws: a slot being closed is gone either way. */
  async close(slot: SandboxSlot): Promise<void> {
    await slot.sandbox.close().catch((error: unknown) => this.options.logger.warn({ err: error, sandboxId: slot.sandbox.id }, 'kernel did not close cleanly'));
    await fs.promises.rm(slot.rootDir, { recursive: true, force: true }).catch((error: unknown) =>
      this.options.logger.warn({ err: error, dir: slot.rootDir }, 'could not remove a kernel workspace'),
    );
  }
}

/** Creates a directory (and its parents) and sets its mode, whatever the process umask. */
export async function searchableDirectory(dir: string, mode = 0o711): Promise<void> {
  await fs.promises.mkdir(dir, { recursive: true });
  await fs.promises.chmod(dir, mode);
}
