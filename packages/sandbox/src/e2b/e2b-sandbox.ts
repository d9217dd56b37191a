import { EventEmitter } from 'node:events';
import { AssayError, ErrorCode } from '@assay/errors';
import type { Logger } from '@assay/logger';
import type { Context, ExecutionError as E2bExecutionError, Sandbox as CodeInterpreterSandbox } from '@e2b/code-interpreter';
import { DEFAULT_CELL_TIMEOUT_MS } from '../consts';
import type { Execution } from '../execution';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { KernelExit, RemoteWorkspace, RunCodeOptions, Sandbox, SandboxEvents, WorkspaceEntry } from '../types';
import { E2B_INPUTS_MANIFEST_PATH, E2B_LIFETIME_MARGIN_MS } from './e2b-consts';
import { e2bFailure, isE2bNotFound, isE2bTimeout } from './e2b-errors';
import { E2bExecutionRecorder } from './e2b-execution-recorder';
import { type E2bInputFile, InputsManifest, uploadBody, workspaceTarget } from './e2b-files';

/** Settings of an {@link E2bSandbox}, resolved by the backend. */
export interface E2bSandboxConfig {
  /** Working directory of the code context and home of uploaded files. */
  workspacePath: string;
  /** Sandbox user that writes files. */
  filesUser: string;
  /** Lifetime E2B gives the sandbox from its last use. */
  sandboxTimeoutMs: number;
  /** Limit of each request that is not a cell. */
  requestTimeoutMs: number;
  /** After a cell's timeout, how long the kernel may take to answer again before it is replaced. */
  interruptGraceMs: number;
}

/**
 * Errors that E2B's code-interpreter server reports about the kernel rather than the code
 * (`template/server/messaging.py`): they become Assay's own failure names.
 */
const SERVER_ERROR_NAMES = new Set(['ContextRestarting', 'ExecutionAborted', 'UnexpectedEndOfExecution', 'WebSocketError']);

/**
 * A {@link Sandbox} that is an E2B sandbox running E2B's code-interpreter template, driven with
 * the `@e2b/code-interpreter` SDK. Cells run in one Python code context of the sandbox whose
 * working directory is the workspace path (/mnt/data).
 *
 * Differences from the local backend, all forced by E2B's protocol:
 * - `interrupt()` stops a running cell by replacing the kernel, so variables are lost (E2B has
 *   no interrupt call; its server interrupts a cell when the request's `timeoutMs` passes, which
 *   is how timeouts work here, and those keep the variables).
 * - A restart replaces the code context (a new kernel in the same sandbox), since a restarted
 *   E2B kernel would forget its working directory.
 * - The sandbox outlives this object: `close()` kills it, `detach()` leaves it running for
 *   `E2bSandboxBackend.connect()` from any process.
 */
export class E2bSandbox implements Sandbox, RemoteWorkspace {
  readonly id: string;
  private context: Promise<Context>;
  /** Grows each time the code context is replaced; a cell that sees it change was cut short. */
  private generation = 0;
  private runChain: Promise<unknown> = Promise.resolve();
  private inputChain: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;
  /** Set when `close()` kills the sandbox (unlike `detach()`, which lets a running cell finish). */
  private killed = false;
  /** Set once E2B no longer has the sandbox (killed elsewhere, or past its timeout). */
  private gone = false;
  private running = false;
  /** The kernel's last execution count, when this object knows it (not after a reconnect). */
  private lastExecutionCount: number | undefined;
  /** When E2B will kill the sandbox unless told otherwise (ms since the epoch). */
  private expiresAt: number;
  private manifest: InputsManifest | undefined;
  private readonly events = new EventEmitter();
  /** The generation an `interrupt()` replaced the kernel for: a cell it cut short ends with KeyboardInterrupt. */
  private interruptedGeneration: number | undefined;

  /**
   * Use `E2bSandboxBackend.create()` or `connect()`.
   *
   * @param fresh true when `context` was just created (its execution count is 0).
   */
  constructor(
    private readonly sdk: CodeInterpreterSandbox,
    context: Context,
    private readonly fresh: boolean,
    private readonly config: E2bSandboxConfig,
    private readonly logger: Logger,
  ) {
    this.id = sdk.sandboxId;
    this.context = Promise.resolve(context);
    this.lastExecutionCount = fresh ? 0 : undefined;
    this.expiresAt = Date.now() + config.sandboxTimeoutMs;
  }

  get isAlive(): boolean {
    return this.closing === undefined && !this.gone;
  }

  runCode(code: string, options: RunCodeOptions = {}): Promise<Execution> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_CELL_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      return Promise.reject(
        new AssayError(ErrorCode.VALIDATION_FAILED, `timeoutMs must be a positive number of milliseconds, got ${timeoutMs}.`, {
          status: 400,
        }),
      );
    }
    const run = this.runChain.then(() => this.execute(code, timeoutMs, options));
    this.runChain = run.catch(() => undefined);
    return run;
  }

  /**
   * Harmless when no cell runs. E2B's code interpreter has no call that interrupts a cell (the
   * installed @e2b/code-interpreter offers only `restartCodeContext`/`removeCodeContext`; its
   * server interrupts a cell only when the request's `timeoutMs` passes). So a running cell is
   * stopped by replacing the kernel: the cell ends with `KeyboardInterrupt`, and unlike the other
   * backends the variables of earlier cells are gone (`kernelGeneration` grows, so a caller that
   * replays its cells, as the executor does, rebuilds them).
   */
  async interrupt(): Promise<void> {
    this.assertUsable();
    if (!this.running) return;
    this.logger.info('E2B cannot interrupt a cell: replacing the kernel to stop it');
    this.interruptedGeneration = this.generation + 1;
    try {
      await this.replaceContext();
    } catch (error) {
      throw e2bFailure(error, 'replacing the kernel to stop the running cell', this.id);
    }
  }

  /** Counts the code contexts (kernels) this object has started or adopted, from 0; grows when variables are lost. */
  get kernelGeneration(): number {
    return this.generation;
  }

  /** True when `connect()` found the sandbox's code context, with the variables of earlier cells (as connected). */
  get resumedState(): boolean {
    return !this.fresh;
  }

  async restart(): Promise<void> {
    this.assertUsable();
    try {
      await this.replaceContext();
    } catch (error) {
      throw e2bFailure(error, 'restarting the kernel', this.id);
    }
  }

  /** Kills the E2B sandbox (its files go with it). Idempotent; never throws. */
  close(): Promise<void> {
    this.closing ??= this.shutDown(true);
    return this.closing;
  }

  /**
   * Forgets this object but leaves the E2B sandbox running, with its variables and files, until
   * its timeout: `E2bSandboxBackend.connect(id)` picks it up again, in this process or another
   * (e.g. after a deploy). A running cell finishes first. Idempotent, like `close()`.
   */
  detach(): Promise<void> {
    this.closing ??= this.shutDown(false);
    return this.closing;
  }

  /**
   * Puts input files in the workspace (`/mnt/data/<name>`), each once per sandbox: a record of
   * what was uploaded is kept in the sandbox itself, so a replica that reconnected skips them
   * too. A file at that path that this method did not put there (one the code wrote) is left
   * alone. Calls are serialised.
   *
   * @throws AssayError `VALIDATION_FAILED` for a name outside the workspace, `SANDBOX_UNAVAILABLE`
   * when E2B fails.
   */
  provideFiles(files: readonly E2bInputFile[]): Promise<void> {
    const run = this.inputChain.then(() => this.uploadInputs(files));
    this.inputChain = run.catch(() => undefined);
    return run;
  }

  /**
   * The regular files under the workspace path, through E2B's filesystem API (one `list` call
   * per directory). The version of a file is its modification time and size.
   * @throws AssayError `SANDBOX_UNAVAILABLE` when E2B fails.
   */
  async listWorkspace(options: { maxDepth?: number; maxEntries?: number } = {}): Promise<WorkspaceEntry[]> {
    this.assertUsable();
    const maxDepth = options.maxDepth ?? 3;
    let budget = options.maxEntries ?? 5_000;
    const entries: WorkspaceEntry[] = [];
    const request = { user: this.config.filesUser, requestTimeoutMs: this.config.requestTimeoutMs };
    const walk = async (dir: string, prefix: string, depth: number): Promise<void> => {
      for (const entry of await this.sdk.files.list(dir, { ...request, depth: 1 })) {
        if (budget <= 0) return;
        budget -= 1;
        const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
        if (entry.type === 'dir') {
          if (depth < maxDepth) await walk(entry.path, path, depth + 1);
        } else if (entry.type === 'file' && entry.symlinkTarget === undefined) {
          entries.push({ path, sizeBytes: entry.size, version: `${entry.modifiedTime?.getTime() ?? ''}:${entry.size}` });
        }
      }
    };
    try {
      await walk(this.config.workspacePath, '', 0);
    } catch (error) {
      throw e2bFailure(error, 'listing the workspace', this.id);
    }
    return entries;
  }

  /** Streams a workspace file through E2B's filesystem API. */
  async readWorkspaceFile(path: string): Promise<Readable> {
    this.assertUsable();
    const target = workspaceTarget(this.config.workspacePath, path);
    try {
      const stream = await this.sdk.files.read(target, {
        format: 'stream',
        user: this.config.filesUser,
        requestTimeoutMs: this.config.requestTimeoutMs,
      });
      return Readable.fromWeb(stream as NodeReadableStream<Uint8Array>);
    } catch (error) {
      throw e2bFailure(error, `reading ${target}`, this.id);
    }
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
    this.assertUsable();
    let context: Context;
    try {
      context = await this.context;
    } catch (error) {
      throw e2bFailure(error, 'starting a kernel', this.id);
    }
    this.assertUsable();
    await this.extendLifetime(timeoutMs);
    const generation = this.generation;
    const expectedCount = this.lastExecutionCount === undefined ? undefined : this.lastExecutionCount + 1;
    const recorder = new E2bExecutionRecorder(options, expectedCount, this.logger);
    let serverError: E2bExecutionError | undefined;
    // Tells the SDK's own timeout (a TimeoutError) from a sandbox that went away mid-request.
    let overTime = false;
    const timer = setTimeout(() => {
      overTime = true;
    }, timeoutMs);
    this.running = true;
    try {
      const execution = await this.sdk.runCode(code, {
        context,
        timeoutMs,
        requestTimeoutMs: this.config.requestTimeoutMs,
        onStdout: (output) => recorder.stream('stdout', output.line),
        onStderr: (output) => recorder.stream('stderr', output.line),
        onResult: (result) => recorder.result(result),
        onError: (error) => {
          if (SERVER_ERROR_NAMES.has(error.name)) serverError = error;
          else recorder.pythonError(error);
        },
      });
      if (this.cutShort(generation, recorder)) return recorder.finish(undefined);
      this.lastExecutionCount = execution.executionCount ?? expectedCount;
      if (serverError !== undefined) await this.serverFailure(serverError, recorder);
      return recorder.finish(execution.executionCount);
    } catch (error) {
      if (this.cutShort(generation, recorder)) return recorder.finish(undefined);
      if (isE2bTimeout(error) && overTime) {
        this.lastExecutionCount = expectedCount;
        await this.afterTimeout(context, timeoutMs, recorder);
        return recorder.finish(undefined);
      }
      const gone = await this.sandboxGone();
      if (isE2bNotFound(error) && !gone) {
        // The context is gone but the sandbox is not: another connection replaced the kernel.
        await this.adoptOtherContext();
        recorder.fail(
          'KernelRestarted',
          'The kernel was replaced through another connection to this sandbox before this cell ran; ' +
            'variables from earlier cells are gone. Run the cell again.',
        );
        return recorder.finish(undefined);
      }
      if (gone) {
        this.markGone(true);
        recorder.fail(
          'KernelDied',
          `E2B sandbox ${this.id} stopped while this cell was running (killed, or past its timeout): ` +
            'variables and files are gone. Create a new sandbox.',
        );
        return recorder.finish(undefined);
      }
      throw e2bFailure(error, 'running a cell', this.id);
    } finally {
      clearTimeout(timer);
      this.running = false;
    }
  }

  /** Ends a cell that `close()` or `restart()` cut short; true if it did. */
  private cutShort(generation: number, recorder: E2bExecutionRecorder): boolean {
    if (this.killed) {
      recorder.fail('SandboxClosed', 'The sandbox was closed while this cell was running.');
      return true;
    }
    if (this.generation !== generation && this.interruptedGeneration === generation + 1) {
      recorder.fail(
        'KeyboardInterrupt',
        'The cell was interrupted. E2B cannot interrupt a running cell, so its kernel was replaced: variables from earlier cells are gone.',
      );
      return true;
    }
    if (this.generation !== generation) {
      recorder.fail('KernelRestarted', 'The kernel was restarted while this cell was running; variables from earlier cells are gone.');
      return true;
    }
    return false;
  }

  /** Turns the server's report about the kernel into the cell's failure. */
  private async serverFailure(error: E2bExecutionError, recorder: E2bExecutionRecorder): Promise<void> {
    if (error.name === 'ContextRestarting') {
      // The kernel died and Jupyter started it again, in its default directory: replace it.
      this.emitExit({ exitCode: null, signal: null, duringExecution: true });
      const restarted = await this.restartAfterFailure();
      recorder.fail(
        'KernelDied',
        'The kernel died while running this cell (most likely for using too much memory, or os._exit). ' +
          `A fresh kernel was started: variables and imports from earlier cells are gone.${restarted}`,
      );
    } else if (error.name === 'ExecutionAborted') {
      recorder.fail('Aborted', 'The kernel skipped this cell because an earlier request failed.');
    } else {
      recorder.fail(error.name, `${error.value}. Part of the output may be missing; run the cell again.`);
    }
  }

  /**
   * After the SDK's timeout: the server interrupts a cell whose request was dropped. An empty
   * cell (which takes no execution count) shows whether the kernel answers again within the
   * grace period; if not, the kernel is replaced.
   */
  private async afterTimeout(context: Context, timeoutMs: number, recorder: E2bExecutionRecorder): Promise<void> {
    let answered = false;
    try {
      await this.sdk.runCode('', { context, timeoutMs: this.config.interruptGraceMs, requestTimeoutMs: this.config.requestTimeoutMs });
      answered = true;
    } catch (error) {
      this.logger.debug({ err: error }, 'the kernel did not answer after the interrupt');
    }
    if (answered) {
      recorder.fail(
        'TimeoutError',
        `The cell ran longer than ${formatSeconds(timeoutMs)} and was interrupted; variables defined before ` +
          `the interruption are kept. ${RAISE_TIMEOUT}`,
      );
      return;
    }
    this.logger.warn({ timeoutMs }, 'cell did not stop when interrupted; replacing the kernel');
    const restarted = await this.restartAfterFailure();
    recorder.fail(
      'TimeoutError',
      `The cell ran longer than ${formatSeconds(timeoutMs)} and did not stop when interrupted, so the kernel ` +
        `was restarted: variables and imports from earlier cells are gone.${restarted} ${RAISE_TIMEOUT}`,
    );
  }

  /**
   * Replaces the kernel after a failure during a cell. Returns a sentence to add to the cell's
   * error when that failed ('' otherwise), as the cell itself must still end.
   */
  private async restartAfterFailure(): Promise<string> {
    try {
      await this.replaceContext();
      return '';
    } catch (error) {
      this.logger.error({ err: error }, 'could not start a fresh kernel');
      return ` Starting a fresh kernel failed: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  /**
   * Removes the code context (its kernel) and creates a new one in the workspace; cells started
   * meanwhile wait for it.
   */
  private replaceContext(): Promise<void> {
    const previous = this.context;
    this.generation += 1;
    const next = (async () => {
      const old = await previous.catch(() => undefined);
      if (old !== undefined) {
        await this.sdk.removeCodeContext(old).catch((error: unknown) => {
          if (!isE2bNotFound(error)) this.logger.warn({ err: error }, 'could not remove the old code context');
        });
      }
      if (this.closing !== undefined) throw this.closedError();
      const context = await createWorkspaceContext(this.sdk, this.config);
      this.lastExecutionCount = 0;
      return context;
    })();
    this.context = next;
    return next.then(() => undefined);
  }

  /** Takes the workspace context another connection created in place of ours. */
  private async adoptOtherContext(): Promise<void> {
    this.generation += 1;
    this.lastExecutionCount = undefined;
    this.context = findOrCreateWorkspaceContext(this.sdk, this.config).then(({ context }) => context);
    await this.context.catch((error: unknown) => this.logger.warn({ err: error }, 'could not find the new code context'));
  }

  /** Pushes E2B's kill deadline forward when less than half the lifetime (or less than the cell needs) is left. */
  private async extendLifetime(timeoutMs: number): Promise<void> {
    const now = Date.now();
    const needed = timeoutMs + this.config.interruptGraceMs + E2B_LIFETIME_MARGIN_MS;
    if (this.expiresAt - now >= Math.max(needed, this.config.sandboxTimeoutMs / 2)) return;
    const lifetimeMs = Math.max(this.config.sandboxTimeoutMs, needed);
    try {
      await this.sdk.setTimeout(lifetimeMs, { requestTimeoutMs: this.config.requestTimeoutMs });
    } catch (error) {
      if (isE2bNotFound(error)) this.markGone(false);
      throw e2bFailure(error, 'extending the sandbox lifetime', this.id);
    }
    this.expiresAt = now + lifetimeMs;
  }

  /** True when E2B says the sandbox no longer runs (false when that cannot be told). */
  private async sandboxGone(): Promise<boolean> {
    try {
      return !(await this.sdk.isRunning({ requestTimeoutMs: this.config.requestTimeoutMs }));
    } catch (error) {
      return isE2bNotFound(error);
    }
  }

  private markGone(duringExecution: boolean): void {
    if (this.gone) return;
    this.gone = true;
    this.logger.warn({ duringExecution }, 'E2B sandbox is gone');
    this.emitExit({ exitCode: null, signal: null, duringExecution });
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

  private async uploadInputs(files: readonly E2bInputFile[]): Promise<void> {
    this.assertUsable();
    const targets = files.map((file) => ({ file, path: workspaceTarget(this.config.workspacePath, file.name) }));
    const options = { user: this.config.filesUser, requestTimeoutMs: this.config.requestTimeoutMs };
    try {
      this.manifest ??= await this.readManifest();
      const manifest = this.manifest;
      let changed = false;
      for (const { file, path } of targets) {
        const known = manifest.files[path];
        if (known === file.key) continue;
        if (known === undefined && (await this.sdk.files.exists(path, options))) {
          this.logger.warn({ path }, 'not providing an input file: a file the code wrote has its name');
          continue;
        }
        await this.sdk.files.write(path, uploadBody(await file.open()), options);
        manifest.files[path] = file.key;
        changed = true;
        this.logger.debug({ path }, 'input file uploaded');
      }
      if (changed) await this.sdk.files.write(E2B_INPUTS_MANIFEST_PATH, JSON.stringify(manifest), options);
    } catch (error) {
      // What was uploaded is not known for sure any more: read the record again next time.
      this.manifest = undefined;
      throw e2bFailure(error, 'uploading input files', this.id);
    }
  }

  private async readManifest(): Promise<InputsManifest> {
    let text: string;
    try {
      text = await this.sdk.files.read(E2B_INPUTS_MANIFEST_PATH, {
        user: this.config.filesUser,
        requestTimeoutMs: this.config.requestTimeoutMs,
      });
    } catch (error) {
      if (isE2bNotFound(error)) return { version: 1, files: {} };
      throw error;
    }
    const parsed = InputsManifest.safeParse(safeJson(text));
    if (parsed.success) return parsed.data;
    this.logger.warn('the record of uploaded input files is unreadable; files will be uploaded again');
    return { version: 1, files: {} };
  }

  private async shutDown(kill: boolean): Promise<void> {
    this.killed = kill;
    if (kill && !this.gone) {
      try {
        await this.sdk.kill({ requestTimeoutMs: this.config.requestTimeoutMs });
      } catch (error) {
        this.logger.warn({ err: error }, 'could not kill the E2B sandbox; it ends at its timeout');
      }
    }
    await this.runChain;
    await this.inputChain;
    this.events.removeAllListeners();
    this.logger.debug(kill ? 'sandbox closed' : 'sandbox detached');
  }

  private assertUsable(): void {
    if (this.closing !== undefined) throw this.closedError();
    if (this.gone) {
      throw new AssayError(
        ErrorCode.SANDBOX_UNAVAILABLE,
        `E2B sandbox ${this.id} is gone (killed, or past its timeout): create a new sandbox.`,
        { details: { sandboxId: this.id } },
      );
    }
  }

  private closedError(): AssayError {
    return new AssayError(ErrorCode.SANDBOX_UNAVAILABLE, `Sandbox ${this.id} is closed: create a new one or connect again.`, {
      details: { sandboxId: this.id },
    });
  }
}

/**
 * Creates a Python code context working in the workspace. The directory is made first: E2B's
 * server runs `%cd` into it, which fails for a missing directory.
 */
export async function createWorkspaceContext(sdk: CodeInterpreterSandbox, config: E2bSandboxConfig): Promise<Context> {
  await sdk.files.makeDir(config.workspacePath, { user: config.filesUser, requestTimeoutMs: config.requestTimeoutMs });
  return sdk.createCodeContext({ cwd: config.workspacePath, language: 'python', requestTimeoutMs: config.requestTimeoutMs });
}

/**
 * The Python context working in the workspace that an earlier connection created, or a new one
 * (`fresh`) when there is none. E2B's own default contexts work in /home/user and are not used.
 */
export async function findOrCreateWorkspaceContext(
  sdk: CodeInterpreterSandbox,
  config: E2bSandboxConfig,
): Promise<{ context: Context; fresh: boolean }> {
  const contexts = await sdk.listCodeContexts();
  const existing = contexts.find((context) => context.language === 'python' && context.cwd === config.workspacePath);
  if (existing !== undefined) return { context: existing, fresh: false };
  return { context: await createWorkspaceContext(sdk, config), fresh: true };
}

/** Names the option that raises the limit, as every timeout message should. */
const RAISE_TIMEOUT = 'Pass a larger timeoutMs to runCode to allow longer cells.';

/** "60 s", "1.5 s". */
function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
