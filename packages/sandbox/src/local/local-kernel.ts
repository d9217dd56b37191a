import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, chown, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { AssayError, ErrorCode } from '@assay/errors';
import type { Logger } from '@assay/logger';
import { SANDBOX_KERNEL_DIR, SANDBOX_WORKSPACE_PATH } from '../consts';
import { KernelClient } from '../protocol/kernel-client';
import type { ReadOnlyBind } from '../types';

/** The resolved settings a local kernel is started with (see `LocalSandboxBackendOptions`). */
export interface LocalKernelConfig {
  pythonPath: string;
  bwrapPath: string;
  prlimitPath: string;
  setprivPath: string;
  /** Host uid and gid the kernel runs as when this process is root; undefined otherwise. */
  runAs: { uid: number; gid: number } | undefined;
  memoryLimitBytes: number;
  openFilesLimit: number;
  /** RLIMIT_NPROC; applied only with `runAs` (a uid of the kernel's own, so the count is the kernel's). */
  processLimit: number;
  /** RLIMIT_FSIZE: largest file the kernel may write. */
  fileSizeLimitBytes: number;
  tmpSizeBytes: number;
  startTimeoutMs: number;
  shutdownGraceMs: number;
  socketRoot: string;
  /** Python run silently in every new kernel before its first cell ('' for none). */
  startupCode: string;
}

/** What a kernel sees of the host besides /usr and /etc. */
export interface KernelMounts {
  /** Bound read-write at /mnt/data. */
  workspaceDir: string;
  readOnlyBinds: readonly ReadOnlyBind[];
}

/** Why Assay stopped a kernel; undefined in {@link KernelEnd} when it ended by itself. */
export type StopReason = 'restart' | 'close' | 'unresponsive' | 'failed-start';

/** How a kernel process ended. */
export interface KernelEnd {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Set when Assay stopped it. */
  stopReason: StopReason | undefined;
}

/** Kernel output kept for error messages (ipykernel prints start-up problems there). */
const OUTPUT_TAIL_CHARS = 4_000;

/** How long a failed start waits for the rest of the kernel's output before reporting it. */
const OUTPUT_DRAIN_MS = 500;

/** Kernel-side name of the ipc sockets: ipykernel binds `<ip>-<port>`. */
const SOCKET_BASENAME = 'k';

/**
 * One ipykernel process in bubblewrap, reached over ZeroMQ ipc sockets in its own host directory
 * (bound at /run/kernel). The directory and its socket files are removed when the process ends.
 */
export class LocalKernel {
  /** Resolves once when the process has ended and its directory is removed. */
  readonly ended: Promise<KernelEnd>;
  private stopReason: StopReason | undefined;
  private running = true;
  private output = '';
  /** Resolves when the process's stdout and stderr are closed (all its output read). */
  private readonly outputClosed: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly client: KernelClient,
    private readonly config: LocalKernelConfig,
    private readonly logger: Logger,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => this.keepOutput(chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.keepOutput(chunk));
    this.outputClosed = new Promise((resolve) => child.once('close', () => resolve()));
    const exited = new Promise<Omit<KernelEnd, 'stopReason'>>((resolve) => {
      child.once('exit', (exitCode, signal) => resolve({ exitCode, signal }));
      child.once('error', (error) => {
        this.logger.error({ err: error }, 'kernel process error');
        resolve({ exitCode: null, signal: null });
      });
    });
    this.ended = exited.then(async (exit) => {
      this.running = false;
      const end = { ...exit, stopReason: this.stopReason };
      this.client.close(new Error(`kernel exited (${describeKernelEnd(end)})`));
      await rm(this.dir, { recursive: true, force: true }).catch((error: unknown) => {
        this.logger.warn({ err: error, dir: this.dir }, 'could not remove the kernel directory');
      });
      this.logger.debug({ ...end }, 'kernel ended');
      return end;
    });
  }

  /** True until the process has exited. */
  get isRunning(): boolean {
    return this.running;
  }

  /** What the kernel printed outside of cells (start-up messages, C-level output), the last 4 000 characters. */
  get outputTail(): string {
    return this.output;
  }

  /**
   * Spawns a kernel with `mounts` and resolves once it answers kernel_info with iopub
   * connected.
   * @throws AssayError SANDBOX_UNAVAILABLE with what to install or change.
   */
  static async start(config: LocalKernelConfig, mounts: KernelMounts, logger: Logger): Promise<LocalKernel> {
    await checkHost(config, mounts);
    const startedAt = performance.now();
    // Searchable, not listable: bwrap resolves the kernel's directory as the sandbox user.
    await mkdir(config.socketRoot, { recursive: true, mode: 0o711 });
    const dir = await mkdtemp(join(config.socketRoot, 'k'));
    const key = randomBytes(32).toString('hex');
    const connection = {
      transport: 'ipc',
      ip: `${SANDBOX_KERNEL_DIR}/${SOCKET_BASENAME}`,
      shell_port: 1,
      iopub_port: 2,
      stdin_port: 3,
      control_port: 4,
      hb_port: 5,
      key,
      signature_scheme: 'hmac-sha256',
      kernel_name: 'python3',
    };
    let child: ChildProcess;
    try {
      await writeFile(join(dir, 'conn.json'), JSON.stringify(connection), { mode: 0o600 });
      if (config.runAs !== undefined) {
        const { uid, gid } = config.runAs;
        await chown(dir, uid, gid);
        await chown(join(dir, 'conn.json'), uid, gid);
        await chown(mounts.workspaceDir, uid, gid);
      }
      child = spawn(config.prlimitPath, kernelCommand(config, mounts, dir), {
        stdio: ['ignore', 'pipe', 'pipe'],
        // A process group of its own, so that stop() can kill bwrap's helper child too: killed
        // during its first milliseconds, bwrap can leave a child that has not yet set up
        // --die-with-parent (nor left the group with --new-session) waiting forever.
        detached: true,
      });
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw new AssayError(ErrorCode.SANDBOX_UNAVAILABLE, `Could not launch the kernel: ${String(error)}`, {
        cause: error,
      });
    }
    const endpoint = (port: number): string => `ipc://${join(dir, `${SOCKET_BASENAME}-${port}`)}`;
    const kernelLogger = logger.child({ kernelPid: child.pid });
    const client = new KernelClient({
      endpoints: {
        shell: endpoint(connection.shell_port),
        control: endpoint(connection.control_port),
        iopub: endpoint(connection.iopub_port),
      },
      key: Buffer.from(key),
      logger: kernelLogger,
    });
    const kernel = new LocalKernel(child, dir, client, config, kernelLogger);

    // waitUntilReady fails on its timeout, or at once when the process ends (which closes the client).
    const failure = await client.waitUntilReady(config.startTimeoutMs).then(
      () => undefined,
      (error: unknown) => ({ error }),
    );
    if (failure === undefined) {
      await kernel.runStartupCode(config);
      kernelLogger.debug({ startMs: Math.round(performance.now() - startedAt) }, 'kernel started');
      return kernel;
    }
    const exitedByItself = !kernel.isRunning;
    const end = await kernel.stop('failed-start', { graceful: false });
    await Promise.race([kernel.outputClosed, delay(OUTPUT_DRAIN_MS)]);
    const tail = kernel.outputTail.trim();
    const said = tail === '' ? '' : ` Kernel output: ${tail}`;
    if (exitedByItself) {
      throw new AssayError(
        ErrorCode.SANDBOX_UNAVAILABLE,
        `${diagnoseStartFailure(config, tail)} (the kernel exited during start-up: ${describeKernelEnd(end)}).${said}`,
        { details: { exitCode: end.exitCode, signal: end.signal } },
      );
    }
    throw new AssayError(
      ErrorCode.SANDBOX_UNAVAILABLE,
      `The kernel did not answer within ${config.startTimeoutMs} ms; the machine may be overloaded ` +
        `(raise startTimeoutMs) or the kernel stuck.${said}`,
      { cause: failure.error, retryable: true },
    );
  }

  /**
   * Runs the configured start-up code; a kernel where it raises is stopped and reported, as every
   * cell would then run in an environment other than the one expected.
   */
  private async runStartupCode(config: LocalKernelConfig): Promise<void> {
    if (config.startupCode === '') return;
    const reply = await this.client.executeSilently(config.startupCode);
    if (reply.status === 'ok') return;
    await this.stop('failed-start', { graceful: false });
    const reason = reply.status === 'error' ? `${reply.ename}: ${reply.evalue}` : reply.status;
    throw new AssayError(ErrorCode.SANDBOX_UNAVAILABLE, `The kernel's start-up code failed (${reason}); check the startupCode option.`);
  }

  /**
   * Ends the kernel: shutdown_request and up to `shutdownGraceMs` to exit when graceful (lets
   * Python flush open files), then SIGKILL. Resolves when the process is gone and its directory
   * removed.
   */
  async stop(reason: StopReason, options: { graceful: boolean }): Promise<KernelEnd> {
    if (this.running && this.stopReason === undefined) this.stopReason = reason;
    if (this.running && options.graceful) {
      this.client.requestShutdown();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.ended,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, this.config.shutdownGraceMs);
        }),
      ]);
      clearTimeout(timer);
    }
    // Killing bwrap kills the whole sandbox: the kernel is in bwrap's pid namespace and has
    // --die-with-parent. The group kill also reaches a bwrap child still being set up.
    if (this.running) {
      const pid = this.child.pid;
      if (pid !== undefined) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // The group is already gone.
        }
      }
      this.child.kill('SIGKILL');
    }
    return this.ended;
  }

  private keepOutput(chunk: Buffer): void {
    // Kept for start-up error messages only, never logged: once cells run it may hold user data.
    this.output = (this.output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  }
}

/** One line about how a kernel ended, for logs and error messages. */
export function describeKernelEnd(end: { exitCode: number | null; signal: NodeJS.Signals | null }): string {
  if (end.signal !== null) return `killed by ${end.signal}`;
  if (end.exitCode !== null) return `exit code ${end.exitCode}`;
  return 'the process could not be started';
}

/**
 * `prlimit … -- [setpriv …] bwrap … python3 -m ipykernel_launcher …`, as measured in
 * executor-notes.md. As root, setpriv first drops to an unprivileged host user: bwrap maps the
 * sandbox's uid 1000 to the caller, and a root caller would make every root-owned file in /etc
 * (e.g. /etc/shadow) the sandbox user's own.
 */
function kernelCommand(config: LocalKernelConfig, mounts: KernelMounts, kernelDir: string): string[] {
  const dropPrivileges =
    config.runAs === undefined
      ? []
      : [config.setprivPath, `--reuid=${config.runAs.uid}`, `--regid=${config.runAs.gid}`, '--clear-groups', '--'];
  return [
    `--as=${config.memoryLimitBytes}`,
    `--nofile=${config.openFilesLimit}`,
    `--fsize=${config.fileSizeLimitBytes}`,
    // Counted per host uid: only meaningful when the kernel has a uid of its own.
    ...(config.runAs === undefined ? [] : [`--nproc=${config.processLimit}`]),
    '--',
    ...dropPrivileges,
    config.bwrapPath,
    // Filesystem: the OS read-only, a private /tmp, the workspace and the kernel's sockets.
    '--ro-bind', '/usr', '/usr',
    '--symlink', 'usr/bin', '/bin',
    '--symlink', 'usr/lib', '/lib',
    '--symlink', 'usr/lib64', '/lib64',
    '--symlink', 'usr/sbin', '/sbin',
    // /etc is needed (BLAS is found through /etc/alternatives).
    '--ro-bind', '/etc', '/etc',
    '--proc', '/proc',
    '--dev', '/dev',
    '--size', String(config.tmpSizeBytes),
    '--tmpfs', '/tmp',
    '--bind', mounts.workspaceDir, SANDBOX_WORKSPACE_PATH,
    ...mounts.readOnlyBinds.flatMap((bind) => ['--ro-bind', bind.hostPath, bind.sandboxPath]),
    '--bind', kernelDir, SANDBOX_KERNEL_DIR,
    '--chdir', SANDBOX_WORKSPACE_PATH,
    // Environment: nothing from the host.
    '--clearenv',
    '--setenv', 'HOME', '/tmp',
    '--setenv', 'PATH', '/usr/bin',
    '--setenv', 'MPLCONFIGDIR', '/tmp/mpl',
    '--setenv', 'PYDEVD_DISABLE_FILE_VALIDATION', '1',
    // Isolation: every namespace (no network), no capabilities, uid 1000.
    '--unshare-all',
    '--unshare-user',
    '--disable-userns',
    '--uid', '1000',
    '--gid', '1000',
    '--cap-drop', 'ALL',
    '--new-session',
    '--die-with-parent',
    config.pythonPath,
    '-Xfrozen_modules=off',
    '-m', 'ipykernel_launcher',
    '-f', `${SANDBOX_KERNEL_DIR}/conn.json`,
    '--HistoryManager.enabled=False',
    '--InteractiveShell.colors=NoColor',
  ];
}

/** Checks what a kernel needs on the host, with what to do about each missing piece. */
async function checkHost(config: LocalKernelConfig, mounts: KernelMounts): Promise<void> {
  const missing = async (path: string): Promise<boolean> =>
    access(path, constants.X_OK).then(
      () => false,
      () => true,
    );
  if (await missing(config.bwrapPath)) {
    throw unavailable(`bubblewrap is not installed at ${config.bwrapPath}: apt-get install bubblewrap (or set bwrapPath).`);
  }
  if (await missing(config.prlimitPath)) {
    throw unavailable(`prlimit is not installed at ${config.prlimitPath}: apt-get install util-linux (or set prlimitPath).`);
  }
  if (config.runAs !== undefined && (await missing(config.setprivPath))) {
    throw unavailable(`setpriv is not installed at ${config.setprivPath}: apt-get install util-linux (or set setprivPath).`);
  }
  if (await missing(config.pythonPath)) {
    throw unavailable(
      `Python is not installed at ${config.pythonPath}: ` +
        'apt-get install python3-ipykernel python3-pandas python3-matplotlib (or set pythonPath).',
    );
  }
  const workspace = await stat(mounts.workspaceDir).catch(() => undefined);
  if (workspace === undefined || !workspace.isDirectory()) {
    throw unavailable(
      `The workspace directory ${mounts.workspaceDir} does not exist: create it before starting a sandbox.`,
    );
  }
  for (const bind of mounts.readOnlyBinds) {
    if ((await stat(bind.hostPath).catch(() => undefined)) === undefined) {
      throw unavailable(`${bind.hostPath}, to be mounted at ${bind.sandboxPath}, does not exist: create it first.`);
    }
  }
}

/** Turns what a kernel printed before dying into advice. */
function diagnoseStartFailure(config: LocalKernelConfig, output: string): string {
  if (/No module named ipykernel/.test(output)) {
    return `ipykernel is not installed for ${config.pythonPath}: apt-get install python3-ipykernel`;
  }
  if (/Can't find source path|Permission denied/.test(output) && config.runAs !== undefined) {
    return (
      `bubblewrap, running as uid ${config.runAs.uid}, cannot reach the workspace or ${config.socketRoot}: ` +
      'every parent directory must be searchable by that user (chmod o+x)'
    );
  }
  if (/namespace|uid map|setgroups|Operation not permitted/i.test(output)) {
    return (
      'bubblewrap could not create its namespaces: enable unprivileged user namespaces ' +
      '(sysctl -w kernel.unprivileged_userns_clone=1 and user.max_user_namespaces=15000) or run where they are allowed'
    );
  }
  if (/MemoryError|Cannot allocate memory|failed to map/i.test(output)) {
    return `The kernel could not start within memoryLimitBytes=${config.memoryLimitBytes}: raise memoryLimitBytes`;
  }
  return 'The kernel could not start';
}

function unavailable(message: string): AssayError {
  return new AssayError(ErrorCode.SANDBOX_UNAVAILABLE, message);
}
