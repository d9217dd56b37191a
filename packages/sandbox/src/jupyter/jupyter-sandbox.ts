import { EventEmitter } from 'node:events';
import { AssayError, ErrorCode } from '@assay/errors';
import type { Logger } from '@assay/logger';
import { DEFAULT_CELL_TIMEOUT_MS } from '../consts';
import type { Execution } from '../execution';
import { ExecutionRecorder } from '../execution-recorder';
import type { ExecuteReplyContent } from '../protocol/messages';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import type { KernelExit, RemoteWorkspace, RunCodeOptions, Sandbox, SandboxEvents, SandboxInputFile, WorkspaceEntry } from '../types';
import type { JupyterKernelConfig, JupyterKernelEnd, KernelPlacement, KernelSource, StopReason } from './jupyter-kernel';
import { JupyterKernel } from './jupyter-kernel';

/** Settings of a {@link JupyterSandbox}, resolved by the backend. */
export interface JupyterSandboxConfig extends JupyterKernelConfig {
  interruptGraceMs: number;
}

/** What ended the wait for a cell. */
type CellOutcome =
  | { kind: 'done'; reply: ExecuteReplyContent }
  | { kind: 'ended'; end: JupyterKernelEnd }
  | { kind: 'timer' };

/**
 * A {@link Sandbox} backed by a kernel on a Jupyter server. The same behaviour as the local
 * sandbox: serialised runs, timeout -> interrupt -> restart when unresponsive, `KernelDied` and
 * a fresh kernel when it dies during a cell. Holds the current kernel as a promise so that runs
 * queued behind a restart wait for the fresh kernel.
 */
export class JupyterSandbox implements Sandbox, RemoteWorkspace {
  private kernel: Promise<JupyterKernel>;
  private runChain: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;
  private running = false;
  /** The kernel runs go to; undefined while a fresh one starts. */
  private current: JupyterKernel | undefined;
  private readonly events = new EventEmitter();
  private generation = 0;
  /** Input files this object uploaded: workspace path -> key (the workspace is this sandbox's own). */
  private readonly provided = new Map<string, string>();

  private constructor(
    readonly id: string,
    private readonly placement: KernelPlacement,
    private readonly config: JupyterSandboxConfig,
    private readonly logger: Logger,
    first: JupyterKernel,
  ) {
    this.kernel = Promise.resolve(first);
    this.adopt(first);
  }

  /** Starts the first kernel; throws `SANDBOX_UNAVAILABLE` when it cannot. */
  static async create(
    id: string,
    placement: KernelPlacement,
    config: JupyterSandboxConfig,
    logger: Logger,
  ): Promise<JupyterSandbox> {
    const kernel = await JupyterKernel.launch(config, { kind: 'new', placement }, logger);
    return new JupyterSandbox(id, placement, config, logger, kernel);
  }

  /**
   * Uploads each input file not yet provided with the same key into the workspace through the
   * Contents API (`PUT /api/contents/<workspace>/<name>`). Needs a server with the Contents API.
   */
  async provideFiles(files: readonly SandboxInputFile[]): Promise<void> {
    for (const file of files) {
      const relative = workspaceRelative(file.name);
      if (this.provided.get(relative) === file.key) continue;
      const data = await file.open();
      const bytes = data instanceof Readable ? Buffer.concat(await data.toArray()) : data;
      await this.config.rest.writeFile(this.apiPathOf(relative), bytes);
      this.provided.set(relative, file.key);
      this.logger.debug({ path: relative }, 'input file uploaded');
    }
  }

  /** The regular files of the workspace through the Contents API; a file's version is its modification time and size. */
  async listWorkspace(options: { maxDepth?: number; maxEntries?: number } = {}): Promise<WorkspaceEntry[]> {
    const maxDepth = options.maxDepth ?? 3;
    let budget = options.maxEntries ?? 5_000;
    const entries: WorkspaceEntry[] = [];
    const walk = async (relativeDir: string, depth: number): Promise<void> => {
      for (const entry of await this.config.rest.listDirectory(this.apiPathOf(relativeDir))) {
        if (budget <= 0) return;
        budget -= 1;
        const path = relativeDir === '' ? entry.name : `${relativeDir}/${entry.name}`;
        if (entry.type === 'directory') {
          if (depth < maxDepth) await walk(path, depth + 1);
        } else {
          const sizeBytes = entry.size ?? 0;
          entries.push({ path, sizeBytes, version: `${entry.last_modified ?? ''}:${sizeBytes}` });
        }
      }
    };
    await walk('', 0);
    return entries;
  }

  /** A workspace file's bytes, read through the Contents API. */
  async readWorkspaceFile(path: string): Promise<Readable> {
    return Readable.from([await this.config.rest.readFile(this.apiPathOf(workspaceRelative(path)))]);
  }

  private apiPathOf(relative: string): string {
    if (relative === '') return this.placement.apiPath;
    return this.placement.apiPath === '' ? relative : `${this.placement.apiPath}/${relative}`;
  }

  get kernelGeneration(): number {
    return this.generation;
  }

  get isAlive(): boolean {
    return this.closing === undefined && this.current?.isRunning === true;
  }

  runCode(code: string, options: RunCodeOptions = {}): Promise<Execution> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_CELL_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      return Promise.reject(
        new AssayError(
          ErrorCode.VALIDATION_FAILED,
          `timeoutMs must be a positive number of milliseconds, got ${timeoutMs}.`,
          { status: 400 },
        ),
      );
    }
    const run = this.runChain.then(() => this.execute(code, timeoutMs, options));
    this.runChain = run.catch(() => undefined);
    return run;
  }

  async interrupt(): Promise<void> {
    this.assertOpen();
    const kernel = await this.kernel;
    if (kernel.isRunning) await kernel.interrupt();
  }

  async restart(): Promise<void> {
    this.assertOpen();
    await this.replaceKernel('restart');
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  on<E extends keyof SandboxEvents>(event: E, listener: SandboxEvents[E]): this {
    this.events.on(event, listener);
    return this;
  }

  off<E extends keyof SandboxEvents>(event: E, listener: SandboxEvents[E]): this {
    this.events.off(event, listener);
    return this;
  }

  private async execute(code: string, timeoutMs: number, options: RunCodeOptions): Promise<Execution> {
    this.assertOpen();
    const kernel = await this.kernel;
    this.assertOpen();
    if (!kernel.isRunning) {
      const end = await kernel.ended;
      throw new AssayError(
        ErrorCode.KERNEL_DIED,
        `The kernel of sandbox ${this.id} ended while idle (${end.detail}): ` +
          'call restart() for a fresh kernel; variables from earlier cells are gone.',
        { details: { sandboxId: this.id, cause: end.cause } },
      );
    }
    const recorder = new ExecutionRecorder(options, this.logger);
    const done = kernel.client.execute(code, (msg) => recorder.handleIopub(msg), options.userExpressions);
    this.running = true;
    try {
      let outcome = await this.waitForCell(kernel, done, timeoutMs);
      if (outcome.kind === 'timer') {
        // Over time: interrupt, and give the cell a grace period to stop.
        kernel.interrupt().catch((error: unknown) => {
          this.logger.debug({ err: error }, 'interrupt through the Jupyter server failed');
        });
        outcome = await this.waitForCell(kernel, done, this.config.interruptGraceMs);
        if (outcome.kind === 'done') {
          recorder.handleReply(outcome.reply);
          recorder.fail(
            'TimeoutError',
            `The cell ran longer than ${formatSeconds(timeoutMs)} and was interrupted; variables defined ` +
              `before the interruption are kept. ${RAISE_TIMEOUT}`,
          );
          return recorder.finish();
        }
        if (outcome.kind === 'timer') {
          this.logger.warn({ timeoutMs }, 'cell did not stop when interrupted; restarting the kernel');
          const restarted = await this.restartAfterFailure('unresponsive');
          recorder.fail(
            'TimeoutError',
            `The cell ran longer than ${formatSeconds(timeoutMs)} and did not stop when interrupted, so the ` +
              `kernel was restarted: variables and imports from earlier cells are gone.${restarted} ${RAISE_TIMEOUT}`,
          );
          return recorder.finish();
        }
      }
      if (outcome.kind === 'done') {
        recorder.handleReply(outcome.reply);
        return recorder.finish();
      }
      // The kernel ended while the cell ran.
      const { end } = outcome;
      if (end.stopReason === 'restart') {
        recorder.fail(
          'KernelRestarted',
          'The kernel was restarted while this cell was running; variables from earlier cells are gone.',
        );
      } else if (end.stopReason === 'close') {
        recorder.fail('SandboxClosed', 'The sandbox was closed while this cell was running.');
      } else {
        const restarted = await this.restartAfterFailure('restart');
        recorder.fail(
          'KernelDied',
          `The kernel died while running this cell (${end.detail}). ` +
            `A fresh kernel was started: variables and imports from earlier cells are gone.${restarted}`,
        );
      }
      return recorder.finish();
    } finally {
      this.running = false;
    }
  }

  /** Waits for the cell's reply and idle, the kernel's end, or `ms`, whichever comes first. */
  private async waitForCell(
    kernel: JupyterKernel,
    done: Promise<ExecuteReplyContent>,
    ms: number,
  ): Promise<CellOutcome> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race<CellOutcome>([
        // `done` rejects only when the client closes, which happens when the kernel ends.
        done.then(
          (reply) => ({ kind: 'done', reply }),
          () => kernel.ended.then((end) => ({ kind: 'ended', end })),
        ),
        kernel.ended.then((end) => ({ kind: 'ended', end })),
        new Promise<CellOutcome>((resolve) => {
          timer = setTimeout(() => resolve({ kind: 'timer' }), ms);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Replaces a kernel that failed during a cell. Returns a sentence to add to the cell's error
   * when no fresh kernel could be started ('' otherwise), as the cell itself must still end.
   */
  private async restartAfterFailure(reason: StopReason): Promise<string> {
    if (this.closing !== undefined) return '';
    try {
      await this.replaceKernel(reason);
      return '';
    } catch (error) {
      this.logger.error({ err: error }, 'could not start a fresh kernel');
      return ` Starting a fresh kernel failed: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  /** Stops the current kernel and brings up a fresh one; runs started meanwhile wait for it. */
  private replaceKernel(reason: StopReason): Promise<void> {
    const previous = this.kernel;
    this.current = undefined;
    const next = (async () => {
      const old = await previous.catch(() => undefined);
      const end = await old?.stop(reason, { deleteKernel: false });
      if (this.closing !== undefined) {
        // close() waits for this replacement and deletes what it yields: nothing, so delete here.
        if (old !== undefined) await this.deleteQuietly(old.kernelId);
        throw this.closedError();
      }
      const kernel = await this.freshKernel(old, end);
      this.adopt(kernel);
      return kernel;
    })();
    this.kernel = next;
    return next.then(() => undefined);
  }

  /**
   * A fresh kernel in place of `old`: restarted in place when Assay stopped it, re-attached when
   * the server already restarted it by itself; otherwise, or when that fails, a new kernel (the
   * old one deleted), so that the sandbox recovers from whatever happened on the server.
   */
  private async freshKernel(old: JupyterKernel | undefined, end: JupyterKernelEnd | undefined): Promise<JupyterKernel> {
    if (old !== undefined && end !== undefined) {
      const source: KernelSource | undefined =
        end.cause === 'stopped'
          ? { kind: 'restart', kernelId: old.kernelId }
          : end.cause === 'server-restarted'
            ? { kind: 'attach', kernelId: old.kernelId }
            : undefined;
      if (source !== undefined) {
        try {
          return await JupyterKernel.launch(this.config, source, this.logger);
        } catch (error) {
          this.logger.warn({ err: error, kind: source.kind }, 'could not reuse the kernel; starting a new one');
        }
      }
      await this.deleteQuietly(old.kernelId);
    }
    return JupyterKernel.launch(this.config, { kind: 'new', placement: this.placement }, this.logger);
  }

  /** Deletes a kernel Assay no longer uses; a failure is logged, as nothing waits on it. */
  private async deleteQuietly(kernelId: string): Promise<void> {
    await this.config.rest.deleteKernel(kernelId).catch((error: unknown) => {
      this.logger.warn({ err: error, kernelId }, 'could not delete an old kernel on the Jupyter server');
    });
  }

  /** Makes `kernel` current and reports it if it ends by itself. */
  private adopt(kernel: JupyterKernel): void {
    this.current = kernel;
    this.generation += 1;
    void kernel.ended.then((end) => {
      if (end.stopReason !== undefined) return;
      // The REST API does not say how a kernel process ended.
      const exit: KernelExit = { exitCode: null, signal: null, duringExecution: this.running };
      this.logger.warn({ ...exit, cause: end.cause }, 'kernel died');
      this.emitExit(exit);
    });
  }

  private emitExit(exit: KernelExit): void {
    for (const listener of this.events.listeners('exit')) {
      try {
        (listener as SandboxEvents['exit'])(exit);
      } catch (error) {
        this.logger.warn({ err: error }, "a sandbox 'exit' listener threw");
      }
    }
  }

  private async shutDown(): Promise<void> {
    const kernel = await this.kernel.catch(() => undefined);
    // Deleted even when it died: the server may have restarted it by itself.
    if (kernel !== undefined) await kernel.stop('close', { deleteKernel: true });
    await this.runChain;
    this.events.removeAllListeners();
    this.logger.debug('sandbox closed');
  }

  private assertOpen(): void {
    if (this.closing !== undefined) throw this.closedError();
  }

  private closedError(): AssayError {
    return new AssayError(ErrorCode.SANDBOX_UNAVAILABLE, `Sandbox ${this.id} is closed: create a new one.`, {
      details: { sandboxId: this.id },
    });
  }
}

/** Names the option that raises the limit, as every timeout message should. */
const RAISE_TIMEOUT = 'Pass a larger timeoutMs to runCode to allow longer cells.';

/** "60 s", "1.5 s". */
function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** A path inside the workspace, refusing absolute paths and `..`. */
function workspaceRelative(name: string): string {
  const normalised = posix.normalize(name);
  if (name === '' || posix.isAbsolute(name) || normalised !== name || normalised === '..' || normalised.startsWith('../')) {
    throw new AssayError(
      ErrorCode.VALIDATION_FAILED,
      `A workspace file name must be a normalised relative path (like "sales.csv"), got "${name}".`,
      { status: 400 },
    );
  }
  return normalised;
}
