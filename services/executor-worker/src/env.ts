import { BoolEnv, ByteSizeEnv, CoreEnv, PositiveIntEnv, parseEnv } from '@assay/config';
import { MetricsEnv } from '@assay/metrics';
import { StorageEnv, refineStorageEnv } from '@assay/storage';
import { z } from 'zod';

/** An optional setting where an empty value (e.g. `${VAR:-}` in docker-compose) means unset. */
function optionalSetting<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === '' ? undefined : value), schema.optional());
}

/** The executor worker's settings, read once at start-up. */
export const ExecutorWorkerEnv = CoreEnv.extend(MetricsEnv.shape).extend(StorageEnv.shape).extend({
  // Execution
  /** Wall-clock limit of one cell; past it the cell is interrupted. */
  ASSAY_CELL_TIMEOUT_MS: PositiveIntEnv.default(60_000),
  /** A chat's kernel is shut down after this long without use (its variables are lost). */
  ASSAY_KERNEL_IDLE_TTL_MS: PositiveIntEnv.default(30 * 60_000),
  /** How often this replica tells the others it is alive; it counts as gone after three missed beats. */
  ASSAY_EXECUTOR_HEARTBEAT_MS: PositiveIntEnv.default(5_000),
  /** Messages executed at the same time by this process (each in its own chat's kernel). */
  ASSAY_EXECUTOR_CONCURRENCY: PositiveIntEnv.default(4),

  /**
   * Chat kernels one executor holds at most; past it the least recently used idle one is freed
   * (its chat's state is rebuilt on next use); when all are busy, a new chat waits for one.
   */
  ASSAY_MAX_SESSIONS: PositiveIntEnv.default(32),
  /** Kernels kept started and idle for new chats (0: none, every new chat waits for a kernel). */
  ASSAY_WARM_POOL_SIZE: z.coerce.number().int().min(0).max(64).default(2),
  /** Import numpy, pandas and matplotlib in every kernel before its first cell. */
  ASSAY_KERNEL_PRELOAD: BoolEnv.default(true),

  // Artifacts (files the code writes under /mnt/data)
  /** Largest file kept as a downloadable artifact; larger ones get a notice under the cell. */
  ASSAY_MAX_ARTIFACT_BYTES: ByteSizeEnv.default(100 * 1024 ** 2),
  /** Most artifacts kept from one cell. */
  ASSAY_MAX_ARTIFACTS_PER_CELL: PositiveIntEnv.default(20),

  // Sandbox backend
  /**
   * Where kernels run: `local` (ipykernels under bubblewrap on this machine), `jupyter` (a Jupyter
   * Server reached by ASSAY_JUPYTER_URL and ASSAY_JUPYTER_TOKEN) or `e2b` (E2B sandboxes, E2B_API_KEY).
   */
  ASSAY_SANDBOX_BACKEND: z.enum(['local', 'jupyter', 'e2b']).default('local'),
  /** Base URL of the Jupyter Server (with its base_url path), e.g. http://jupyter:8888/; required with the jupyter backend. */
  ASSAY_JUPYTER_URL: optionalSetting(z.url({ protocol: /^https?$/ })),
  /** The Jupyter Server's token (ServerApp.token); required with the jupyter backend. */
  ASSAY_JUPYTER_TOKEN: optionalSetting(z.string()),
  /**
   * The Jupyter Server's root_dir as an absolute path on its machine: only used to name
   * workspaces in messages and in KERNEL_WORKING_DIR for gateways.
   */
  ASSAY_JUPYTER_ROOT_DIR: z.string().startsWith('/', 'must be an absolute path').default('/'),
  /** Directory under the server's root_dir (created if missing) in which each kernel gets its workspace. */
  ASSAY_JUPYTER_WORKSPACES_PATH: z
    .string()
    .refine((value) => value !== '' && !value.startsWith('/') && !value.split('/').includes('..'), 'must be a relative path inside the server\'s root_dir, such as assay-workspaces')
    .default('assay-workspaces'),
  /** E2B API key; required with the e2b backend. */
  E2B_API_KEY: optionalSetting(z.string()),
  /** Domain of the E2B deployment (E2B's cloud or a self-hosted E2B). */
  E2B_DOMAIN: z.string().min(1).default('e2b.app'),
  /** E2B's control-plane URL; default https://api.<E2B_DOMAIN>. */
  E2B_API_URL: optionalSetting(z.url({ protocol: /^https?$/ })),
  /** One URL receiving all sandbox traffic (E2B's client proxy); default per-sandbox hosts under E2B_DOMAIN. */
  E2B_SANDBOX_URL: optionalSetting(z.url({ protocol: /^https?$/ })),
  /** Template of new E2B sandboxes (must run E2B's code-interpreter server). */
  E2B_TEMPLATE: z.string().min(1).default('code-interpreter-v1'),

  // Sandbox (local bubblewrap backend)
  /** Address-space limit of one kernel; larger allocations raise MemoryError in the cell. */
  ASSAY_SANDBOX_MEMORY_BYTES: ByteSizeEnv.default(2 * 1024 ** 3),
  /** First host uid given to kernels when the executor runs as root (one uid per kernel). */
  ASSAY_KERNEL_UID_FIRST: PositiveIntEnv.default(20_000),
  /** How many uids kernels draw from, starting at ASSAY_KERNEL_UID_FIRST. */
  ASSAY_KERNEL_UID_COUNT: PositiveIntEnv.default(40_000),
  /** Processes and threads per kernel (with a uid per kernel, i.e. when running as root). */
  ASSAY_SANDBOX_PROCESS_LIMIT: PositiveIntEnv.default(256),
  /** Largest file a kernel may write. */
  ASSAY_SANDBOX_FILE_SIZE_BYTES: ByteSizeEnv.default(1024 ** 3),
  /** What a kernel's /mnt/data may hold; a cell growing it beyond is interrupted. */
  ASSAY_SANDBOX_WORKSPACE_BYTES: ByteSizeEnv.default(2 * 1024 ** 3),
  /** Output kept per cell (text and images); the rest is dropped with a note. */
  ASSAY_MAX_OUTPUT_BYTES: ByteSizeEnv.default(8 * 1024 ** 2),
  /** Python with ipykernel and the analysis libraries; must be under /usr, the only host tree a kernel sees. */
  ASSAY_PYTHON: z.string().startsWith('/usr/', 'must be under /usr').default('/usr/bin/python3'),
})
  .superRefine(refineStorageEnv)
  .superRefine(refineSandboxBackendEnv);
export type ExecutorWorkerEnv = z.infer<typeof ExecutorWorkerEnv>;

/** The settings a remote sandbox backend cannot run without, named in the start-up error. */
function refineSandboxBackendEnv(
  env: { ASSAY_SANDBOX_BACKEND: string; ASSAY_JUPYTER_URL?: string; ASSAY_JUPYTER_TOKEN?: string; E2B_API_KEY?: string },
  context: z.RefinementCtx,
): void {
  const required: Record<string, ReadonlyArray<keyof typeof env>> = {
    jupyter: ['ASSAY_JUPYTER_URL', 'ASSAY_JUPYTER_TOKEN'],
    e2b: ['E2B_API_KEY'],
  };
  for (const name of required[env.ASSAY_SANDBOX_BACKEND] ?? []) {
    if (env[name] === undefined) {
      context.addIssue({ code: 'custom', path: [name], message: `is required when ASSAY_SANDBOX_BACKEND=${env.ASSAY_SANDBOX_BACKEND}` });
    }
  }
}

export function loadEnv(source: Record<string, string | undefined> = process.env): ExecutorWorkerEnv {
  return parseEnv(ExecutorWorkerEnv, source);
}
