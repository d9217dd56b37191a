import { performance } from 'node:perf_hooks';
import { AssayError, ErrorCode, isAssayError } from '@assay/errors';
import type { Logger } from '@assay/logger';
import { JupyterKernelClient } from './jupyter-kernel-client';
import type { JupyterRestClient } from './jupyter-rest-client';
import type { ServerKernelState } from './server-status';

/** The resolved settings kernels are started with (see `JupyterSandboxBackendOptions`). */
export interface JupyterKernelConfig {
  rest: JupyterRestClient;
  kernelName: string;
  startTimeoutMs: number;
  /** Python run silently in every new or restarted kernel before its first cell ('' for none). */
  startupCode: string;
}

/** Where a kernel's working directory is, in the server's terms. */
export interface KernelPlacement {
  /** API path relative to the server's root directory ('' for the root itself). */
  apiPath: string;
  /** The same directory as an absolute path on the server (for gateways that take one). */
  serverPath: string;
}

/** Where a kernel comes from. */
export type KernelSource =
  /** A new kernel on the server (`POST /api/kernels`). */
  | { kind: 'new'; placement: KernelPlacement }
  /** The same kernel restarted in place (`POST /api/kernels/<id>/restart`). */
  | { kind: 'restart'; kernelId: string }
  /** A kernel the server already restarted by itself; only a new connection is needed. */
  | { kind: 'attach'; kernelId: string };

/** Why Assay stopped a kernel; undefined in {@link JupyterKernelEnd} when it ended by itself. */
export type StopReason = 'restart' | 'close' | 'unresponsive' | 'failed-start';

/** How a kernel (one process, seen through one WebSocket) ended. */
export interface JupyterKernelEnd {
  /** Set when Assay stopped it. */
  stopReason: StopReason | undefined;
  /**
   * `stopped` by Assay; `server-restarted`: the server found the process dead and started a new
   * one under the same id; `server-dead`: it found it dead and gave up; `connection-lost`: the
   * WebSocket closed without being asked to (server stopped, kernel deleted by someone else,
   * network).
   */
  cause: 'stopped' | 'server-restarted' | 'server-dead' | 'connection-lost';
  /** One line for logs and error messages. */
  detail: string;
}

/**
 * One kernel process on a Jupyter server, reached through its own WebSocket. A restart, even
 * in place under the same kernel id, makes a new `JupyterKernel`: the old one has ended, and
 * requests still waiting on it are rejected.
 */
export class JupyterKernel {
  /** Resolves once when this kernel process is gone for Assay (see {@link JupyterKernelEnd}). */
  readonly ended: Promise<JupyterKernelEnd>;
  private resolveEnded: (end: JupyterKernelEnd) => void = () => undefined;
  private running = true;
  private stopReason: StopReason | undefined;

  private constructor(
    /** The server's id of the kernel. */
    readonly kernelId: string,
    readonly client: JupyterKernelClient,
    private readonly config: JupyterKernelConfig,
    private readonly logger: Logger,
  ) {
    this.ended = new Promise((resolve) => {
      this.resolveEnded = resolve;
    });
    void client.closed.then(({ code }) =>
      this.finish('connection-lost', `the connection to the Jupyter server closed (WebSocket code ${code})`),
    );
  }

  /** True until the kernel ended or was stopped. */
  get isRunning(): boolean {
    return this.running;
  }

  /**
   * Starts, restarts or re-attaches to a kernel, opens its WebSocket and resolves once it
   * answers with iopub forwarded and the start-up code has run.
   * @throws AssayError SANDBOX_UNAVAILABLE with what to check.
   */
  static async launch(config: JupyterKernelConfig, source: KernelSource, logger: Logger): Promise<JupyterKernel> {
    const startedAt = performance.now();
    const kernelId = await kernelIdOf(config, source);
    const kernelLogger = logger.child({ kernelId });
    let kernel: JupyterKernel | undefined;
    // The server may report the kernel's death before the constructor has run.
    let reportedEarly: ServerKernelState | undefined;
    try {
      const client = await JupyterKernelClient.connect({
        url: (session) => config.rest.channelsUrl(kernelId, session),
        headers: config.rest.authHeaders(),
        connectTimeoutMs: config.startTimeoutMs,
        onServerStatus: (state) => {
          if (kernel === undefined) reportedEarly ??= state;
          else kernel.serverReported(state);
        },
        logger: kernelLogger,
      });
      kernel = new JupyterKernel(kernelId, client, config, kernelLogger);
      if (reportedEarly !== undefined) kernel.serverReported(reportedEarly);
      // waitUntilReady fails on its timeout, or at once when the kernel ends (which closes the client).
      await client.waitUntilReady(config.startTimeoutMs).catch((error: unknown) => {
        throw new AssayError(
          ErrorCode.SANDBOX_UNAVAILABLE,
          `The kernel ${kernelId} on ${config.rest.serverLabel} did not answer within ${config.startTimeoutMs} ms` +
            (kernel?.isRunning === false ? ' (it ended while starting)' : '') +
            ': the server may be overloaded (raise startTimeoutMs) or the kernel unable to start.',
          { cause: error, retryable: true },
        );
      });
      await kernel.runStartupCode();
      kernelLogger.debug({ kind: source.kind, startMs: Math.round(performance.now() - startedAt) }, 'kernel ready');
      return kernel;
    } catch (error) {
      await kernel?.stop('failed-start', { deleteKernel: false });
      // A kernel this call created is this call's to remove; a restarted one is left to the caller.
      if (source.kind === 'new') {
        await config.rest.deleteKernel(kernelId).catch((cleanup: unknown) => {
          kernelLogger.warn({ err: cleanup }, 'could not delete a kernel that failed to start');
        });
      }
      throw isAssayError(error)
        ? error
        : new AssayError(ErrorCode.SANDBOX_UNAVAILABLE, `The kernel ${kernelId} could not be used: ${String(error)}`, {
            cause: error,
          });
    }
  }

  /** Interrupts the running cell through the server (SIGINT, or interrupt_request as the kernel spec says). */
  interrupt(): Promise<void> {
    return this.config.rest.interruptKernel(this.kernelId);
  }

  /**
   * Stops using this kernel: closes its WebSocket (requests still waiting are rejected) and,
   * with `deleteKernel`, shuts it down on the server. Resolves with how it ended.
   */
  async stop(reason: StopReason, options: { deleteKernel: boolean }): Promise<JupyterKernelEnd> {
    if (this.running && this.stopReason === undefined) this.stopReason = reason;
    this.finish('stopped', `stopped (${reason})`);
    if (options.deleteKernel) {
      await this.config.rest.deleteKernel(this.kernelId).catch((error: unknown) => {
        this.logger.error({ err: error }, 'could not delete the kernel on the Jupyter server');
      });
    }
    return this.ended;
  }

  private serverReported(state: ServerKernelState): void {
    if (state === 'restarting') {
      this.finish('server-restarted', 'the Jupyter server found the kernel process dead and restarted it');
    } else {
      this.finish('server-dead', 'the Jupyter server found the kernel process dead and could not restart it');
    }
  }

  private finish(cause: JupyterKernelEnd['cause'], detail: string): void {
    if (!this.running) return;
    this.running = false;
    this.client.close(new Error(`kernel ended: ${detail}`));
    const end: JupyterKernelEnd = { stopReason: this.stopReason, cause, detail };
    this.logger.debug({ ...end }, 'kernel ended');
    this.resolveEnded(end);
  }

  /**
   * Runs the configured start-up code; a kernel where it raises is not used, as every cell
   * would then run in an environment other than the one expected.
   */
  private async runStartupCode(): Promise<void> {
    if (this.config.startupCode === '') return;
    const reply = await this.client.executeSilently(this.config.startupCode);
    if (reply.status === 'ok') return;
    const reason = reply.status === 'error' ? `${reply.ename}: ${reply.evalue}` : reply.status;
    throw new AssayError(
      ErrorCode.SANDBOX_UNAVAILABLE,
      `The kernel's start-up code failed (${reason}); check the startupCode option.`,
    );
  }
}

/** The kernel id a source refers to, starting or restarting it on the server first. */
async function kernelIdOf(config: JupyterKernelConfig, source: KernelSource): Promise<string> {
  switch (source.kind) {
    case 'new': {
      const model = await config.rest.startKernel({
        name: config.kernelName,
        path: source.placement.apiPath,
        // Enterprise Gateway starts the kernel there when EG_MIRROR_WORKING_DIRS is on; others ignore it.
        env: { KERNEL_WORKING_DIR: source.placement.serverPath },
      });
      return model.id;
    }
    case 'restart':
      await config.rest.restartKernel(source.kernelId);
      return source.kernelId;
    case 'attach':
      return source.kernelId;
  }
}
