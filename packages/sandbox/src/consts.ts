/** Wall-clock limit of one cell when `runCode` is given no `timeoutMs` (1 minute, as E2B). */
export const DEFAULT_CELL_TIMEOUT_MS = 60_000;

/** How long an interrupted cell may take to stop before its kernel is restarted. */
export const DEFAULT_INTERRUPT_GRACE_MS = 5_000;

/** How long a kernel may take to answer its first kernel_info_request after spawn. */
export const DEFAULT_START_TIMEOUT_MS = 30_000;

/** How long a kernel may take to exit after shutdown_request before it is killed. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 1_000;

/** Address-space limit of a kernel (2 GiB): a larger allocation raises MemoryError in the cell. */
export const DEFAULT_MEMORY_LIMIT_BYTES = 2 * 1024 ** 3;

/** Size of the kernel's private /tmp (tmpfs pages are not counted by the address-space limit). */
export const DEFAULT_TMP_SIZE_BYTES = 512 * 1024 ** 2;

/** Open file descriptors a kernel may hold. */
export const DEFAULT_OPEN_FILES_LIMIT = 256;

/** Where the workspace directory appears inside the sandbox. */
export const SANDBOX_WORKSPACE_PATH = '/mnt/data';

/** Processes and threads one kernel may have (RLIMIT_NPROC of its own host uid): stops fork bombs. */
export const DEFAULT_PROCESS_LIMIT = 256;

/** Largest file a kernel may write (RLIMIT_FSIZE); a bigger write fails with OSError (EFBIG). */
export const DEFAULT_FILE_SIZE_LIMIT_BYTES = 1024 ** 3;

/** What a kernel's workspace may hold; a cell that grows it beyond is interrupted. */
export const DEFAULT_WORKSPACE_LIMIT_BYTES = 2 * 1024 ** 3;

/**
 * Host uids given to kernels when the backend runs as root, one per sandbox, so that no two
 * kernels share a uid: signals, /proc and process limits stay per kernel. Within 0-65535 so that
 * it also works in a container with its own user namespace (Kubernetes `hostUsers: false` maps
 * 65,536 ids), and above the ids Debian gives to accounts and services.
 */
export const DEFAULT_KERNEL_UID_RANGE = Object.freeze({ first: 20_000, size: 40_000 });

/** Where the per-kernel socket directory appears inside the sandbox. */
export const SANDBOX_KERNEL_DIR = '/run/kernel';

/** Longest unix socket path the kernel can bind (sun_path is 108 bytes with its NUL). */
export const MAX_SOCKET_PATH_BYTES = 107;

/**
 * Start-up code of every local kernel. Debian 12 ships xlrd 1.2, which reads .xls workbooks
 * exactly as xlrd 2 does; pandas 1.5 nevertheless refuses any xlrd below 2.0.1 (xlrd 2 dropped
 * .xlsx, which pandas reads with openpyxl anyway). Lowering pandas' recorded minimum lets
 * `pd.read_excel("book.xls")` work. It does nothing where xlrd is 2 or newer, or absent.
 */
export const DEFAULT_STARTUP_CODE = `
def _assay_prepare_environment():
    try:
        import xlrd
    except ImportError:
        return
    if int(xlrd.__version__.split(".")[0]) < 2:
        import pandas.compat._optional as optional
        optional.VERSIONS["xlrd"] = xlrd.__version__
_assay_prepare_environment()
del _assay_prepare_environment
`;
