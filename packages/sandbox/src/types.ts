import type { Readable } from 'node:stream';
import type { CellOutput } from '@assay/contracts';
import type { Logger } from '@assay/logger';
import type { Execution } from './execution';

/** Options of one {@link Sandbox.runCode} call. */
export interface RunCodeOptions {
  /**
   * Wall-clock limit of the cell in milliseconds. When it passes, the cell is interrupted and the
   * execution ends with a `TimeoutError`; a kernel that does not stop is restarted.
   * @defaultValue 60_000 ({@link DEFAULT_CELL_TIMEOUT_MS})
   */
  timeoutMs?: number;
  /** Called with each nbformat output as it arrives (stream chunks unmerged), in order. */
  onOutput?: (output: CellOutput) => void;
  /** Called with each chunk the cell writes to stdout, in order. */
  onStdout?: (text: string) => void;
  /** Called with each chunk the cell writes to stderr (warnings included), in order. */
  onStderr?: (text: string) => void;
  /**
   * Python expressions the kernel evaluates after the cell succeeds, in the same request (no
   * extra round trip, no execution count); results arrive in `Execution.userExpressions` by key.
   * Backends without the Jupyter protocol ignore them. @defaultValue none
   */
  userExpressions?: Record<string, string>;
}

/** How a kernel ended on its own (not through `restart()` or `close()`). */
export interface KernelExit {
  /** Exit status of the kernel process, null when a signal ended it. */
  exitCode: number | null;
  /** Signal that ended it (`SIGKILL` usually means the OOM killer), null when it exited. */
  signal: NodeJS.Signals | null;
  /**
   * True when a cell was running: that `runCode` ends with a `KernelDied` error and the sandbox
   * starts a fresh kernel by itself. When false, the sandbox stays without a kernel
   * (`isAlive` false) until `restart()`.
   */
  duringExecution: boolean;
}

/** Events of a {@link Sandbox}, with their listener signatures. */
export interface SandboxEvents {
  /** The kernel ended without being asked to (crash, `os._exit`, killed). */
  exit: (exit: KernelExit) => void;
}

/**
 * One stateful Python kernel in a sandbox, with a workspace directory at /mnt/data.
 *
 * Runs are serialised: a `runCode` called while another runs waits for it. A failure inside the
 * cell (exception, timeout, dead kernel) is data in the returned {@link Execution}; only
 * infrastructure failures are thrown (`AssayError` with code `SANDBOX_UNAVAILABLE` or
 * `KERNEL_DIED`).
 *
 * @example
 * const sandbox = await backend.create({ workspaceDir });
 * try {
 *   const execution = await sandbox.runCode('import pandas as pd\npd.read_csv("sales.csv").head()');
 *   console.log(execution.results[0]?.html);
 * } finally {
 *   await sandbox.close();
 * }
 */
export interface Sandbox {
  /** Stable id of this sandbox (kept across restarts). */
  readonly id: string;
  /** True while a kernel is running and the sandbox is not closed. */
  readonly isAlive: boolean;
  /**
   * Counts the kernels this sandbox has started, from 1. It grows whenever the kernel was
   * replaced (after a crash, an unresponsive timeout, `restart()`), i.e. whenever variables were
   * lost: a caller that remembers the value can tell that it must rebuild state. Backends that
   * cannot tell leave it undefined.
   */
  readonly kernelGeneration?: number;
  /**
   * Runs one cell and resolves when the kernel is done with it.
   * @throws AssayError `SANDBOX_UNAVAILABLE` when the sandbox is closed or no kernel could be
   * started, `KERNEL_DIED` when the kernel had died while idle (call `restart()`).
   */
  runCode(code: string, options?: RunCodeOptions): Promise<Execution>;
  /** Interrupts the running cell (KeyboardInterrupt in Python); harmless when none runs. */
  interrupt(): Promise<void>;
  /**
   * Replaces the kernel with a fresh one: variables and imports are gone, the workspace stays.
   * A cell running at that moment ends with a `KernelRestarted` error.
   */
  restart(): Promise<void>;
  /**
   * Stops the kernel and removes what it left on the host (sockets, connection file). Idempotent;
   * a cell running at that moment ends with a `SandboxClosed` error, later runs are refused.
   */
  close(): Promise<void>;
  /** Subscribes to an event. */
  on<E extends keyof SandboxEvents>(event: E, listener: SandboxEvents[E]): this;
  /** Unsubscribes a listener added with `on`. */
  off<E extends keyof SandboxEvents>(event: E, listener: SandboxEvents[E]): this;
}

/** A host path the kernel may read but not change. */
export interface ReadOnlyBind {
  /** Host file or directory (must exist, readable by the kernel's user). */
  hostPath: string;
  /** Absolute path inside the sandbox, under /mnt/ and outside /mnt/data (e.g. /mnt/inputs). */
  sandboxPath: string;
}

/** Options of {@link SandboxBackend.create}. */
export interface CreateSandboxOptions {
  /** Host directory (must exist) mounted read-write at /mnt/data, the kernel's working directory. */
  workspaceDir: string;
  /** Host paths mounted read-only, e.g. uploaded files the code must not alter. @defaultValue none */
  readOnlyBinds?: readonly ReadOnlyBind[];
  /** @defaultValue a random UUID */
  sandboxId?: string;
  /** Logger for this sandbox (ids such as chatId belong on it as a child). @defaultValue the backend's */
  logger?: Logger;
}

/**
 * Starts sandboxes. Implemented by `LocalSandboxBackend`, `JupyterSandboxBackend` and
 * `E2bSandboxBackend` (whose sandboxes also implement {@link RemoteWorkspace}).
 */
export interface SandboxBackend {
  /**
   * Starts a kernel and resolves when it answers.
   * @throws AssayError `SANDBOX_UNAVAILABLE` with what to install or change when it cannot start.
   */
  create(options: CreateSandboxOptions): Promise<Sandbox>;
}

/**
 * A file to put into a remote sandbox's workspace with {@link RemoteWorkspace.provideFiles}.
 *
 * @example
 * { name: 'sales.csv', key: file.id, open: async () => blobs.get(file.blobKey) }
 */
export interface SandboxInputFile {
  /** Path under the workspace, e.g. `sales.csv`: relative, normalised, without `..`. */
  name: string;
  /** Identity of the content (a file id, a digest): a name already provided with the same key is not uploaded again. */
  key: string;
  /** Opens the bytes; called only when the file must be uploaded. */
  open: () => Promise<Uint8Array | Readable>;
}

/** One regular file of a workspace as its backend lists it. */
export interface WorkspaceEntry {
  /** Path relative to the workspace, with `/` separators. */
  path: string;
  sizeBytes: number;
  /** Changes whenever the file is rewritten (modification time, size…); compare for equality only. */
  version: string;
}

/**
 * The file operations of a sandbox whose workspace is not a directory of this machine (Jupyter
 * Server, E2B): files go in and come out through the backend's file API.
 */
export interface RemoteWorkspace {
  /** Puts input files into the workspace, each uploaded once per sandbox (by `key`). */
  provideFiles(files: readonly SandboxInputFile[]): Promise<void>;
  /**
   * The regular files of the workspace, at most `maxDepth` directory levels down (0: only the
   * workspace's own files), at most `maxEntries` of them. @defaultValue maxDepth 3, maxEntries 5_000
   */
  listWorkspace(options?: { maxDepth?: number; maxEntries?: number }): Promise<WorkspaceEntry[]>;
  /** Streams one workspace file (a path from `listWorkspace`). */
  readWorkspaceFile(path: string): Promise<Readable>;
}
