import type { Readable } from 'node:stream';
import type { ChangedFile } from '@assay/artifacts';
import type { Logger } from '@assay/logger';
import type { Sandbox } from '@assay/sandbox';

/** Where a chat's input files appear inside a local sandbox (read-only). */
export const SANDBOX_INPUTS_DIR = '/mnt/inputs';

/** A file a chat's code may read: its name under /mnt/data and where its bytes are. */
export interface ChatInputFile {
  fileId: string;
  name: string;
  blobKey: string;
}

/**
 * The files side of a slot, the same for every backend: input files go in, and what a cell
 * wrote comes out (to become artifacts). Local slots work on host directories; remote ones
 * (Jupyter, E2B) through the backend's file API.
 */
export interface SlotWorkspace {
  /** Makes the files readable by the code as /mnt/data/<name>; each is put in once per slot. */
  provideFiles(files: readonly ChatInputFile[]): Promise<void>;
  /**
   * Records the workspace as it is (before a cell). The returned function, called after the
   * cell, lists the regular files that are new or changed since, input files excluded.
   */
  snapshot(): Promise<() => Promise<ChangedFile[]>>;
  /** Streams one file that `snapshot` reported. */
  open(file: ChangedFile): Promise<Readable>;
}

/** A started kernel with its workspace, not yet or already bound to a chat. */
export interface SandboxSlot {
  readonly sandbox: Sandbox;
  readonly workspace: SlotWorkspace;
}

/**
 * Starts kernels, each with a fresh workspace of its own. Workspaces are per kernel rather than
 * per chat so that a kernel can be started before anyone knows which chat will use it (the warm
 * pool); what a chat's code wrote is kept as artifacts, and a chat's variables and files are
 * rebuilt by replaying its cells when its kernel is replaced. One implementation per kind of
 * backend (`LocalSandboxSlots`, `RemoteSandboxSlots`); the rest of the executor sees only this.
 */
export interface SandboxSlots {
  /**
   * Whether sandboxes outlive this process and any replica can reach one by its id (E2B): then
   * a chat's sandbox id is remembered and `reconnect` is used before starting a new one.
   */
  readonly reconnectable: boolean;
  /**
   * Reaches a sandbox by id (only when `reconnectable`); `resumed` says whether its kernel still
   * holds the variables of the chat's earlier cells.
   * @throws AssayError `SANDBOX_UNAVAILABLE` when the sandbox is gone: start a new one.
   */
  reconnect(sandboxId: string, logger?: Logger): Promise<{ slot: SandboxSlot; resumed: boolean }>;
  /** Starts a kernel in a new workspace; leaves nothing behind if the kernel cannot start. */
  open(logger?: Logger): Promise<SandboxSlot>;
  /** Stops the kernel and removes its workspace. Never throws: a slot being closed is gone either way. */
  close(slot: SandboxSlot): Promise<void>;
  /**
   * Lets go of the kernel at executor shutdown. Backends whose sandboxes outlive the process
   * (E2B) leave them running for another replica to reconnect; the others close them.
   */
  detach(slot: SandboxSlot): Promise<void>;
}
