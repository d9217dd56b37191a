import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { isAbsolute, join, posix, resolve } from 'node:path';
import { AssayError, ErrorCode } from '@assay/errors';
import { type Logger, createLogger } from '@assay/logger';
import {
  DEFAULT_FILE_SIZE_LIMIT_BYTES,
  DEFAULT_INTERRUPT_GRACE_MS,
  DEFAULT_KERNEL_UID_RANGE,
  DEFAULT_MEMORY_LIMIT_BYTES,
  DEFAULT_OPEN_FILES_LIMIT,
  DEFAULT_PROCESS_LIMIT,
  DEFAULT_SHUTDOWN_GRACE_MS,
  DEFAULT_START_TIMEOUT_MS,
  DEFAULT_STARTUP_CODE,
  DEFAULT_TMP_SIZE_BYTES,
  DEFAULT_WORKSPACE_LIMIT_BYTES,
  MAX_SOCKET_PATH_BYTES,
  SANDBOX_WORKSPACE_PATH,
} from '../consts';
import type { CreateSandboxOptions, Sandbox, SandboxBackend } from '../types';
import { DEFAULT_MAX_OUTPUT_BYTES } from '../execution-recorder';
import { LocalSandbox, type LocalSandboxConfig } from './local-sandbox';
import { UidAllocator } from './uid-allocator';

/** Options of {@link LocalSandboxBackend}. Paths are host paths. */
export interface LocalSandboxBackendOptions {
  /**
   * Python with ipykernel (and the analysis stack). Must be under /usr, the only host tree
   * visible in the sandbox.
   * @defaultValue "/usr/bin/python3"
   */
  pythonPath?: string;
  /** @defaultValue "/usr/bin/bwrap" */
  bwrapPath?: string;
  /** prlimit from util-linux, which applies the memory and file limits. @defaultValue "/usr/bin/prlimit" */
  prlimitPath?: string;
  /** setpriv from util-linux, which drops root before bwrap (see `runAsUid`). @defaultValue "/usr/bin/setpriv" */
  setprivPath?: string;
  /**
   * When this process runs as root, each sandbox's kernel runs as a host uid of its own, drawn
   * from this range (gid = uid), so kernels cannot signal each other or read each other's /proc,
   * and the process limit counts one kernel's processes only. Never root: bwrap maps the sandbox
   * user to the calling host user, so a root kernel could read every root-owned file in /etc. The
   * workspace directory is chowned to the kernel's uid; files Assay puts there must be
   * world-readable. Without root, kernels run as this process's user.
   * @defaultValue {@link DEFAULT_KERNEL_UID_RANGE} (20,000 to 59,999)
   */
  kernelUidRange?: { first: number; size: number };
  /** Processes and threads per kernel (`prlimit --nproc`, only with a uid per kernel). @defaultValue 256 */
  processLimit?: number;
  /** Largest file a kernel may write (`prlimit --fsize`). @defaultValue 1 GiB */
  fileSizeLimitBytes?: number;
  /**
   * Most bytes a kernel's workspace may hold: a cell that grows it beyond is interrupted with a
   * `WorkspaceFull` error (checked about every second while a cell runs).
   * @defaultValue 2 GiB
   */
  workspaceLimitBytes?: number;
  /** Output one cell may keep (text and images); the rest is dropped with a notice. @defaultValue 8 MiB */
  maxOutputBytes?: number;
  /**
   * Address-space limit of a kernel in bytes (`prlimit --as`): a larger allocation raises
   * MemoryError in the cell instead of exhausting the host.
   * @defaultValue 2 GiB
   */
  memoryLimitBytes?: number;
  /** Open file descriptors per kernel (`prlimit --nofile`). @defaultValue 256 */
  openFilesLimit?: number;
  /** Size limit of the kernel's private /tmp in bytes (tmpfs, in RAM). @defaultValue 512 MiB */
  tmpSizeBytes?: number;
  /** How long a new kernel may take to answer. @defaultValue 30_000 */
  startTimeoutMs?: number;
  /**
   * After a cell's timeout, how long it may take to stop once interrupted before the kernel is
   * restarted.
   * @defaultValue 5_000
   */
  interruptGraceMs?: number;
  /** How long a kernel may take to exit after shutdown_request before it is killed. @defaultValue 1_000 */
  shutdownGraceMs?: number;
  /**
   * Host directory for the per-kernel socket directories, created (mode 0711) if missing. Unix
   * socket paths are limited to 107 bytes, so it must be short (at most 95 bytes). When running
   * as root it must be searchable by `runAsUid`, as must every parent of a workspace directory.
   * @defaultValue `${os.tmpdir()}/assay-kernels`
   */
  socketRoot?: string;
  /**
   * Python run silently in every new kernel (and after every restart) before its first cell,
   * to adapt the environment; '' for none. A kernel where it raises is not used.
   * @defaultValue {@link DEFAULT_STARTUP_CODE} (lets pandas read .xls with Debian's xlrd 1.2)
   */
  startupCode?: string;
  /** Logger of sandboxes created without one. @defaultValue a silent logger */
  logger?: Logger;
}

/** Longest suffix a kernel's socket path adds to socketRoot: `/kXXXXXX/k-5`. */
const SOCKET_SUFFIX_BYTES = '/kXXXXXX/k-5'.length;

/**
 * Runs each sandbox as an ipykernel in bubblewrap on this machine: no network, no host paths
 * but read-only /usr and /etc, uid 1000, the workspace at /mnt/data, memory and file limits.
 *
 * @example
 * const backend = new LocalSandboxBackend({ logger });
 * const sandbox = await backend.create({ workspaceDir: '/var/lib/assay/chats/c1' });
 */
export class LocalSandboxBackend implements SandboxBackend {
  private readonly config: LocalSandboxConfig;
  private readonly logger: Logger;
  /** Uids for kernels; undefined when not running as root (kernels then share this process's user). */
  private readonly uids: UidAllocator | undefined;

  constructor(options: LocalSandboxBackendOptions = {}) {
    const config: LocalSandboxConfig = {
      pythonPath: options.pythonPath ?? '/usr/bin/python3',
      bwrapPath: options.bwrapPath ?? '/usr/bin/bwrap',
      prlimitPath: options.prlimitPath ?? '/usr/bin/prlimit',
      setprivPath: options.setprivPath ?? '/usr/bin/setpriv',
      runAs: undefined, // chosen per sandbox in create()
      memoryLimitBytes: options.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES,
      openFilesLimit: options.openFilesLimit ?? DEFAULT_OPEN_FILES_LIMIT,
      processLimit: options.processLimit ?? DEFAULT_PROCESS_LIMIT,
      fileSizeLimitBytes: options.fileSizeLimitBytes ?? DEFAULT_FILE_SIZE_LIMIT_BYTES,
      workspaceLimitBytes: options.workspaceLimitBytes ?? DEFAULT_WORKSPACE_LIMIT_BYTES,
      maxOutputBytes: options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
      tmpSizeBytes: options.tmpSizeBytes ?? DEFAULT_TMP_SIZE_BYTES,
      startTimeoutMs: options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
      interruptGraceMs: options.interruptGraceMs ?? DEFAULT_INTERRUPT_GRACE_MS,
      shutdownGraceMs: options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS,
      socketRoot: resolve(options.socketRoot ?? join(tmpdir(), 'assay-kernels')),
      startupCode: options.startupCode ?? DEFAULT_STARTUP_CODE,
    };
    this.logger = options.logger ?? createLogger({ name: 'sandbox', level: 'silent' });

    if (!config.pythonPath.startsWith('/usr/')) {
      throw invalid(`pythonPath must be under /usr (the only host tree visible in the sandbox), got ${config.pythonPath}.`);
    }
    const uidRange = options.kernelUidRange ?? DEFAULT_KERNEL_UID_RANGE;
    if (!Number.isSafeInteger(uidRange.first) || uidRange.first <= 0 || !Number.isSafeInteger(uidRange.size) || uidRange.size <= 0 || uidRange.first + uidRange.size > 2 ** 32 - 2) {
      throw invalid(`kernelUidRange must be positive integers within the uid space, not root, got ${JSON.stringify(uidRange)}.`);
    }
    this.uids = process.getuid?.() === 0 ? new UidAllocator(uidRange.first, uidRange.size) : undefined;
    for (const key of ['bwrapPath', 'prlimitPath', 'setprivPath'] as const) {
      if (!isAbsolute(config[key])) throw invalid(`${key} must be an absolute path, got ${config[key]}.`);
    }
    const positiveIntegers = [
      'memoryLimitBytes',
      'openFilesLimit',
      'processLimit',
      'fileSizeLimitBytes',
      'workspaceLimitBytes',
      'maxOutputBytes',
      'tmpSizeBytes',
      'startTimeoutMs',
      'interruptGraceMs',
      'shutdownGraceMs',
    ] as const;
    for (const key of positiveIntegers) {
      if (!Number.isSafeInteger(config[key]) || config[key] <= 0) {
        throw invalid(`${key} must be a positive integer, got ${config[key]}.`);
      }
    }
    if (Buffer.byteLength(config.socketRoot) + SOCKET_SUFFIX_BYTES > MAX_SOCKET_PATH_BYTES) {
      throw invalid(
        `socketRoot ${config.socketRoot} is too long for unix socket paths (107 bytes): ` +
          `use a directory of at most ${MAX_SOCKET_PATH_BYTES - SOCKET_SUFFIX_BYTES} bytes.`,
      );
    }
    this.config = config;
  }

  async create(options: CreateSandboxOptions): Promise<Sandbox> {
    const id = options.sandboxId ?? randomUUID();
    const readOnlyBinds = (options.readOnlyBinds ?? []).map((bind) => {
      const sandboxPath = posix.normalize(bind.sandboxPath);
      const insideWorkspace = `${sandboxPath}/`.startsWith(`${SANDBOX_WORKSPACE_PATH}/`);
      const normalised = sandboxPath === bind.sandboxPath && !sandboxPath.endsWith('/');
      if (!sandboxPath.startsWith('/mnt/') || insideWorkspace || !normalised) {
        throw new AssayError(
          ErrorCode.VALIDATION_FAILED,
          `readOnlyBinds: sandboxPath must be a normalised path under /mnt/ outside ${SANDBOX_WORKSPACE_PATH}, ` +
            `got ${bind.sandboxPath}.`,
          { status: 400 },
        );
      }
      return { hostPath: resolve(bind.hostPath), sandboxPath };
    });
    const logger = (options.logger ?? this.logger).child({ sandboxId: id });
    const mounts = { workspaceDir: resolve(options.workspaceDir), readOnlyBinds };
    const uids = this.uids;
    if (uids === undefined) return LocalSandbox.create(id, mounts, this.config, logger);
    const uid = uids.acquire();
    try {
      return await LocalSandbox.create(id, mounts, { ...this.config, runAs: { uid, gid: uid } }, logger, () => uids.release(uid));
    } catch (error) {
      uids.release(uid);
      throw error;
    }
  }
}

function invalid(message: string): AssayError {
  return new AssayError(ErrorCode.CONFIG_INVALID, message);
}
