import { EventEmitter } from 'node:events';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AssayError, ErrorCode } from '@assay/errors';
import type { Logger } from '@assay/logger';
import { DEFAULT_CELL_TIMEOUT_MS } from '../consts';
import type { Execution } from '../execution';
import { ExecutionRecorder } from '../execution-recorder';
import type { ExecuteReplyContent } from '../protocol/messages';
import type { KernelExit, RunCodeOptions, Sandbox, SandboxEvents } from '../types';
import type { KernelEnd, KernelMounts, LocalKernelConfig, StopReason } from './local-kernel';
import { LocalKernel, describeKernelEnd } from './local-kernel';

/** Settings of a {@link LocalSandbox}, resolved by the backend. */
export interface LocalSandboxConfig extends LocalKernelConfig {
  interruptGraceMs: number;
  workspaceLimitBytes: number;
  maxOutputBytes: number;
}

/** How often the workspace size is checked while a cell runs. */
const WORKSPACE_CHECK_INTERVAL_MS = 1_000;

/** What ended the wait for a cell. */
type CellOutcome =
  | { kind: 'done'; reply: ExecuteReplyContent }
  | { kind: 'ended'; end: KernelEnd }
  | { kind: 'timer' };

/**
 * A {@link Sandbox} backed by a {@link LocalKernel}. Holds the current kernel as a promise so
 * that runs queued behind a restart wait for the fresh kernel.
 */
export class LocalSandbox implements Sandbox {
  private kernel: Promise<LocalKernel>;
  private runChain: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;
  private running = false;
  /** The kernel runs go to; undefined while a fresh one starts. */
  private current: LocalKernel | undefined;
  private readonly events = new EventEmitter();
  private generation = 0;

  private constructor(
    readonly id: string,
    private readonly mounts: KernelMounts,
    private readonly config: LocalSandboxConfig,
    private readonly logger: Logger,
    first: LocalKernel,
    private readonly onClosed: () => void,
  ) {
    this.kernel = Promise.resolve(first);
    this.adopt(first);
  }

  /** Starts the first kernel; throws `SANDBOX_UNAVAILABLE` when it cannot. */
  static async create(
    id: string,
    mounts: KernelMounts,
    config: LocalSandboxConfig,
    logger: Logger,
    onClosed: () => void = () => undefined,
  ): Promise<LocalSandbox> {
    const kernel = await LocalKernel.start(config, mounts, logger);
    return new LocalSandbox(id, mounts, config, logger, kernel, onClosed);
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
    if (kernel.isRunning) await kernel.client.interrupt();
  }

  async restart(): Promise<void> {
    this.assertOpen();
    await this.replaceKernel('restart', { graceful: true });
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
        `The kernel of sandbox ${this.id} died while idle (${describeKernelEnd(end)}): ` +
          'call restart() for a fresh kernel; variables from earlier cells are gone.',
        { details: { sandboxId: this.id, exitCode: end.exitCode, signal: end.signal } },
      );
    }
    const recorder = new ExecutionRecorder(options, this.logger, this.config.maxOutputBytes);
    const done = kernel.client.execute(code, (msg) => recorder.handleIopub(msg), options.userExpressions);
    this.running = true;
    const watchdog = new WorkspaceWatchdog(this.mounts.workspaceDir, this.config.workspaceLimitBytes, () => {
      this.logger.warn({ limitBytes: this.config.workspaceLimitBytes }, 'workspace over its limit; interrupting the cell');
      kernel.client.interrupt().catch((error: unknown) => this.logger.debug({ err: error }, 'interrupt_request failed'));
    });
    const failIfWorkspaceFull = (): void => {
      if (watchdog.exceededBytes === undefined) return;
      recorder.fail(
        'WorkspaceFull',
        `The cell was stopped because /mnt/data grew to ${formatGiB(watchdog.exceededBytes)}, over its limit of ${formatGiB(this.config.workspaceLimitBytes)}. ` +
          'Delete files you do not need (os.remove) or write smaller outputs.',
      );
    };
    try {
      let outcome = await this.waitForCell(kernel, done, timeoutMs);
      if (outcome.kind === 'timer') {
        // Over time: interrupt, and give the cell a grace period to stop.
        kernel.client.interrupt().catch((error: unknown) => {
          this.logger.debug({ err: error }, 'interrupt_request failed');
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
        failIfWorkspaceFull();
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
        const cause = end.signal === 'SIGKILL' ? ', most likely for using too much memory' : '';
        const restarted = await this.restartAfterFailure('restart');
        recorder.fail(
          'KernelDied',
          `The kernel died while running this cell (${describeKernelEnd(end)}${cause}). ` +
            `A fresh kernel was started: variables and imports from earlier cells are gone.${restarted}`,
        );
      }
      return recorder.finish();
    } finally {
      watchdog.stop();
      this.running = false;
    }
  }

  /** Waits for the cell's reply and idle, the kernel's end, or `ms`, whichever comes first. */
  private async waitForCell(kernel: LocalKernel, done: Promise<ExecuteReplyContent>, ms: number): Promise<CellOutcome> {
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
      await this.replaceKernel(reason, { graceful: false });
      return '';
    } catch (error) {
      this.logger.error({ err: error }, 'could not start a fresh kernel');
      return ` Starting a fresh kernel failed: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  /** Stops the current kernel and starts a new one; runs started meanwhile wait for it. */
  private replaceKernel(reason: StopReason, options: { graceful: boolean }): Promise<void> {
    const previous = this.kernel;
    this.current = undefined;
    const next = (async () => {
      const old = await previous.catch(() => undefined);
      if (old !== undefined) await old.stop(reason, options);
      if (this.closing !== undefined) throw this.closedError();
      const kernel = await LocalKernel.start(this.config, this.mounts, this.logger);
      this.adopt(kernel);
      return kernel;
    })();
    this.kernel = next;
    return next.then(() => undefined);
  }

  /** Makes `kernel` current and reports it if it ends by itself. */
  private adopt(kernel: LocalKernel): void {
    this.current = kernel;
    this.generation += 1;
    void kernel.ended.then((end) => {
      if (end.stopReason !== undefined) return;
      const exit: KernelExit = { exitCode: end.exitCode, signal: end.signal, duringExecution: this.running };
      this.logger.warn({ ...exit }, 'kernel died');
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
    if (kernel !== undefined) await kernel.stop('close', { graceful: true });
    await this.runChain;
    this.events.removeAllListeners();
    this.onClosed();
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

/**
 * Checks a workspace's size about every second while a cell runs and calls `onExceeded` once
 * when the cell has grown it beyond the limit. A workspace already over the limit when the cell
 * starts is left alone until it grows, so that a cell deleting files can still run.
 */
class WorkspaceWatchdog {
  exceededBytes: number | undefined;
  private readonly timer: NodeJS.Timeout;
  private startBytes: number | undefined;
  private checking = false;

  constructor(
    private readonly dir: string,
    private readonly limitBytes: number,
    private readonly onExceeded: () => void,
  ) {
    void directorySize(dir).then((bytes) => {
      this.startBytes = bytes;
    });
    this.timer = setInterval(() => void this.check(), WORKSPACE_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async check(): Promise<void> {
    if (this.checking || this.exceededBytes !== undefined || this.startBytes === undefined) return;
    this.checking = true;
    try {
      const bytes = await directorySize(this.dir);
      if (bytes > this.limitBytes && bytes > this.startBytes) {
        this.exceededBytes = bytes;
        this.onExceeded();
      }
    } finally {
      this.checking = false;
    }
  }
}

/** Bytes of the regular files under `dir` (links not followed); 0 when it cannot be read. */
async function directorySize(dir: string): Promise<number> {
  let total = 0;
  const walk = async (current: string): Promise<void> => {
    const entries = await readdir(current, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) total += (await lstat(path).catch(() => undefined))?.size ?? 0;
    }
  };
  await walk(dir);
  return total;
}

function formatGiB(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(2)} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`;
}
