/** E2B's public template with Jupyter and the code-interpreter server (what `Sandbox.create()` starts). */
export const DEFAULT_E2B_TEMPLATE = 'code-interpreter-v1';

/** E2B's cloud domain (the SDK's own default). */
export const DEFAULT_E2B_DOMAIN = 'e2b.app';

/**
 * How long an E2B sandbox lives after its last use before E2B kills it (15 minutes). Each cell
 * pushes the deadline forward; the executor closes idle chats' sandboxes itself, this is the
 * backstop for a replica that crashed without closing.
 */
export const DEFAULT_E2B_SANDBOX_TIMEOUT_MS = 15 * 60_000;

/** Limit of one control-plane or file request (create, connect, upload…), as the SDK's default. */
export const DEFAULT_E2B_REQUEST_TIMEOUT_MS = 30_000;

/**
 * Where files and the kernel's working directory live inside an E2B sandbox: the same path as
 * the local backend's workspace, so generated code reads `/mnt/data/<name>` on both.
 */
export const DEFAULT_E2B_WORKSPACE_PATH = '/mnt/data';

/**
 * The sandbox user that uploads files. The code-interpreter template runs Jupyter as root and
 * /mnt belongs to root, so the default user `user` could not create /mnt/data.
 */
export const DEFAULT_E2B_FILES_USER = 'root';

/**
 * Record of the input files this backend put in a sandbox (path -> key), so that any replica
 * uploads each file once per sandbox. Outside the workspace: code listing /mnt/data must not see it.
 */
export const E2B_INPUTS_MANIFEST_PATH = '/home/user/.assay/inputs.json';

/** Metadata key holding the caller's `sandboxId` (E2B chooses the sandbox's own id). */
export const E2B_METADATA_SANDBOX_ID = 'assaySandboxId';

/**
 * Time a cell may need on top of its timeout before the sandbox's lifetime must be extended
 * (the interrupt probe and the network round trips).
 */
export const E2B_LIFETIME_MARGIN_MS = 60_000;
